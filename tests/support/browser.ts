// Browser-test support: builds the widget into a temporary directory and drives Debian's Chromium (never a downloaded one).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';

const CONFIG = join(import.meta.dirname, '../../widget/vite.config.ts');

/**
 * Builds goldcoin.js and goldcoin-admin.js as `npm run build:widget` does, by default into a fresh temporary
 * directory, so test files running side by side never overwrite each other's scripts. Returns the directory.
 */
export async function buildWidget(outDir?: string): Promise<string> {
  outDir ??= await mkdtemp(join(tmpdir(), 'goldcoin-widget-'));
  for (const mode of ['production', 'admin']) {
    await build({ configFile: CONFIG, mode, logLevel: 'error', build: { outDir, emptyOutDir: false } });
  }
  return outDir;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

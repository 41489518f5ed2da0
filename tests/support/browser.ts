// Browser-test support: builds the widget into a temporary directory and drives Debian's Chromium (never a downloaded one).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
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

/**
 * Logs a user in through wp-login.php. The page moves focus into the form shortly after load and its scripts may
 * reset the fields as they start: fill once that has happened, and check the values before sending.
 */
export async function logInToWordPress(page: Page, siteUrl: string, login: string, password: string, timeoutMs: number): Promise<void> {
  await page.goto(`${siteUrl}/wp-login.php`);
  await page.waitForFunction(() => ['user_login', 'user_pass'].includes(document.activeElement?.id ?? ''));
  for (let attempt = 1; attempt <= 3; attempt++) {
    await page.fill('#user_login', login);
    await page.fill('#user_pass', password);
    if ((await page.inputValue('#user_login')) === login && (await page.inputValue('#user_pass')) === password) break;
  }
  await page.click('#wp-submit');
  await page.waitForURL(/\/wp-admin\//, { timeout: timeoutMs });
}

/** Waits for a locator inside the widget; on timeout the error carries what the widget shows instead. */
export async function shown(widget: Locator, target: Locator): Promise<void> {
  try {
    await target.waitFor();
  } catch (err) {
    const text = await widget.evaluate((e) => (e.shadowRoot?.lastElementChild as HTMLElement | null)?.innerText ?? '').catch(() => '');
    throw new Error(`${(err as Error).message}\nthe widget shows: ${text.slice(0, 2000)}`);
  }
}

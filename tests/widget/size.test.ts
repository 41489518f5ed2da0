// The widget's size budget: goldcoin.js (what visitors load) at most 16 KB gzip; the admin bundle at most 20 KB.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildWidget } from '../support/browser.js';

const VISITOR_BUDGET_BYTES = 16 * 1024;
const ADMIN_BUDGET_BYTES = 20 * 1024;

let dir: string;
beforeAll(async () => {
  dir = await buildWidget();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function measure(file: string) {
  const raw = await readFile(join(dir, file));
  const gzip = gzipSync(raw, { level: 9 }).length;
  console.log(`${file}: ${raw.length} bytes, ${gzip} bytes gzip`);
  return { raw: raw.toString('utf8'), gzip };
}

describe('widget bundle', () => {
  test('goldcoin.js is one self-contained script within 16 KB gzip', async () => {
    const { raw, gzip } = await measure('goldcoin.js');
    expect(gzip).toBeLessThanOrEqual(VISITOR_BUDGET_BYTES);
    // An IIFE with no imports: loadable with a plain <script async src>, nothing else to fetch.
    expect(raw.startsWith('(function()')).toBe(true);
    expect(/\bimport\s*\(|^import\s/m.test(raw)).toBe(false);
    expect(raw.includes('/api/admin/')).toBe(false);
  });

  test('goldcoin-admin.js carries the admin view within 20 KB gzip', async () => {
    const { raw, gzip } = await measure('goldcoin-admin.js');
    expect(gzip).toBeLessThanOrEqual(ADMIN_BUDGET_BYTES);
    expect(raw.includes('/api/admin/adjustments')).toBe(true);
  });
});

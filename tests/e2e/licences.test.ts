// An EA licence end to end in a real WordPress and Chromium: a reader unlocks an EA post, the unlock box shows the key,
// the reference EA client activates a trading account with it, and the reader sees the account and releases it.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { logInToWordPress, shown } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { GcLicence } from '../support/licence-client.js';
import { setPostMeta } from '../support/wp-content.js';
import { startE2eSite, type E2eSite } from '../support/e2e-site.js';
import { loopbackHost, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.57.php for the run. */
const HOST = loopbackHost(57);
const TRADER = { login: 'trader', password: 'trader-pass-1', email: 'trader@example.test' };
const JIAOYI = { login: 'jiaoyi', password: 'jiaoyi-pass-1', email: 'jiaoyi@example.test' };
const UI_TIMEOUT_MS = 15_000;
const LOGIN_TIMEOUT_MS = 45_000;

let site: E2eSite | undefined;
let wp: WordPressSite;
let tdb: TestDatabase;
let sidecarUrl: string;
let browser: Browser;
const ids: Record<string, number> = {};
let eaPostId: number;
let licencesPageId: number;

async function loggedIn(login: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  await logInToWordPress(page, wp.url, login, password, LOGIN_TIMEOUT_MS);
  return { context, page };
}

async function screenshots(page: Page, name: string) {
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `/tmp/goldcoin-licences-${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1366, height: 900 });
}

beforeAll(async () => {
  site = await startE2eSite({ name: 'licences', host: HOST });
  ({ wp, tdb, sidecarUrl, browser } = site);
  const made = await wp.setup<{ id: number }[]>([
    { op: 'user', ...TRADER, role: 'subscriber', name: 'Tom Trader' },
    { op: 'user', ...JIAOYI, role: 'subscriber', locale: 'zh_CN' },
    { op: 'post', title: 'Gold Scalper EA', content: '<p>Scalps gold on M5.</p>\n[goldcoin_unlock]', price: 30 },
    { op: 'post', title: 'My EA licences', content: '[goldcoin_licenses]' },
  ]);
  [ids[TRADER.login], ids[JIAOYI.login], eaPostId, licencesPageId] = made.map((r) => r.id) as [number, number, number, number];
  await setPostMeta(tdb.db, eaPostId, '_goldcoin_ea_product', 'gold-scalper');
  await setPostMeta(tdb.db, eaPostId, '_goldcoin_ea_max_activations', 2);
  for (const login of [TRADER.login, JIAOYI.login]) {
    await applyMovement(tdb.db, { userId: ids[login]!, deltaCoins: 100, kind: 'adjustment', idempotencyRef: `seed:${ids[login]}`, actor: 'test' });
  }
});

afterAll(async () => {
  await site?.close();
});

describe('EA licences in a real WordPress', () => {
  for (const [user, lang, account] of [
    [TRADER, 'en', '51234567'],
    [JIAOYI, 'zh-CN', '88001234'],
  ] as const) {
    it(`${lang}: unlock shows the key, the EA activates an account with it, the reader sees and releases it`, async () => {
      const en = lang === 'en';
      const { context, page } = await loggedIn(user.login, user.password);
      await page.goto(`${wp.url}/?p=${eaPostId}`);
      const unlock = page.locator('goldcoin-widget[view="unlock"]');
      await shown(unlock, unlock.getByRole('button', { name: en ? 'Unlock for 30 coins' : '使用 30 金币解锁' }));
      await unlock.getByRole('button', { name: en ? 'Unlock for 30 coins' : '使用 30 金币解锁' }).click();
      const keyBox = unlock.getByRole('textbox', { name: en ? 'Your licence key' : '您的授权码' });
      await shown(unlock, keyBox);
      const key = await keyBox.inputValue();
      expect(key).toMatch(/^[A-Z2-7]{32}$/);
      const stored = await tdb.db.selectFrom('licences').select('licence_key').where('user_id', '=', ids[user.login]!).executeTakeFirstOrThrow();
      expect(stored.licence_key).toBe(key);
      await screenshots(page, `${lang}-unlocked`);

      // The EA, as the MQL include runs it, checks the key from a trading account.
      const ea = new GcLicence({
        url: `${sidecarUrl}/api/licenses/verify`,
        key: key.toLowerCase().replace(/(.{4})/g, '$1-'),
        productId: 'gold-scalper',
        eaVersion: '1.0.0',
        account,
        accountType: 'real',
        server: 'ICMarkets-Live07',
        checkHours: 4,
        graceHours: 72,
        inTester: false,
      });
      expect(await ea.Check(Date.now())).toBe(true);
      expect(ea.StatusText()).toBe('Gold Coins licence: valid (activated)');

      await page.goto(`${wp.url}/?p=${licencesPageId}`);
      const licences = page.locator('goldcoin-widget[view="licenses"]');
      const release = licences.getByRole('button', { name: `${en ? 'Release' : '解除绑定'} ${account}` });
      await shown(licences, release);
      await shown(licences, licences.getByText('ICMarkets-Live07'));
      await shown(licences, licences.getByText(en ? '1/2 accounts' : '1/2 个账户', { exact: false }));
      expect(await licences.getByRole('textbox', { name: en ? 'Licence key' : '授权码' }).inputValue()).toBe(key);
      await screenshots(page, `${lang}-activated`);
      await release.click();
      await shown(licences, licences.getByText(en ? '0/2 accounts' : '0/2 个账户', { exact: false }));
      await shown(licences, licences.getByText(en ? '2 releases left' : '可解除 2 次', { exact: false }));
      expect(await release.count()).toBe(0);
      const rows = await tdb.db.selectFrom('licence_activations').selectAll().execute();
      const mine = rows.find((r) => r.account === account)!;
      expect(mine.released_at).not.toBeNull();
      await screenshots(page, `${lang}-released`);
      await context.close();
    });
  }

  it("records a new EA version from the editor's meta box, with the licence settings; buyers are notified and the check reports it", async () => {
    const eaPath = join(wp.contentDir, '..', 'GoldScalper-3.1.0.ex4');
    // Binary, as a compiled EA is: WordPress refuses a .ex4 whose bytes look like plain text.
    await writeFile(eaPath, Buffer.concat([Buffer.from([0x4d, 0x51, 0x4c, 0x00, 0xff, 0xfe]), randomBytes(512)]));
    const { context, page } = await loggedIn(wp.admin.user, wp.admin.password);
    await page.goto(`${wp.url}/wp-admin/post.php?post=${eaPostId}&action=edit`);
    const product = page.locator('#goldcoin-ea-product');
    await product.waitFor();
    expect(await product.inputValue()).toBe('gold-scalper');
    await page.locator('#goldcoin-ea-activations').fill('4');
    await page.getByLabel('Demo accounts free and unlimited').check();
    await page.locator('#goldcoin-ea-licence-days').fill('365');
    await page.locator('#goldcoin-file-upload').setInputFiles(eaPath);
    await page.locator('#goldcoin-ea-version').fill('3.1.0');
    await page.locator('#goldcoin-ea-notes').fill('Trails the stop on news.');
    const metaBoxSaved = page.waitForResponse((r) => r.url().includes('meta-box-loader=1') && r.request().method() === 'POST');
    await page.locator('.editor-post-publish-button, .editor-post-publish-button__button').first().click();
    expect([200, 302]).toContain((await metaBoxSaved).status());
    await page.goto(`${wp.url}/wp-admin/post.php?post=${eaPostId}&action=edit`);
    await page.locator('#goldcoin-ea-product').waitFor();
    const box = (await page.locator('#goldcoin').innerText()).replace(/\s+/g, ' ');
    expect(box).toContain('Versions 3.1.0');
    expect(box).toContain('Trails the stop on news.');
    await page.setViewportSize({ width: 1366, height: 1400 });
    await page.locator('#goldcoin').screenshot({ path: '/tmp/goldcoin-licences-meta-box-1366.png' });
    await context.close();

    const meta = await tdb.db.selectFrom('postmeta').select(['meta_key', 'meta_value']).where('post_id', '=', eaPostId).where('meta_key', 'like', '_goldcoin_%').execute();
    const byKey = Object.fromEntries(meta.map((m) => [m.meta_key, m.meta_value]));
    expect(byKey).toMatchObject({ _goldcoin_ea_product: 'gold-scalper', _goldcoin_ea_max_activations: '4', _goldcoin_ea_demo_free: '1', _goldcoin_ea_licence_days: '365' });
    const versions = await tdb.db.selectFrom('ea_versions').selectAll().where('post_id', '=', eaPostId).execute();
    expect(versions).toEqual([expect.objectContaining({ version: '3.1.0', notes: 'Trails the stop on news.', file_id: Number(byKey['_goldcoin_file']) })]);
    const notified = await tdb.db.selectFrom('notifications').select('user_id').where('kind', '=', 'ea_version').execute();
    expect(notified.map((n) => Number(n.user_id)).sort()).toEqual([ids[TRADER.login]!, ids[JIAOYI.login]!].sort());
    const { licence_key } = await tdb.db.selectFrom('licences').select('licence_key').where('user_id', '=', ids[TRADER.login]!).executeTakeFirstOrThrow();
    const ea = new GcLicence({ url: `${sidecarUrl}/api/licenses/verify`, key: licence_key, productId: 'gold-scalper', eaVersion: '1.0.0', account: '51234567', accountType: 'real', server: 'ICMarkets-Live07', checkHours: 4, graceHours: 72, inTester: false });
    expect(await ea.Check(Date.now())).toBe(true);
    expect(ea.StatusText()).toMatch(/^Gold Coins licence: valid \(activated\), until \d{4}-\d\d-\d\dT.*, version 3\.1\.0 available$/);
  });
});

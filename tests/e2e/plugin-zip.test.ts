// npm run package's zip, installed through Plugins → Add New → Upload in a real WordPress and Chromium, then the
// whole flow from it: a recharge, an unlock and the download; then the settings page's Check button.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import type { Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { buildPluginZip, type PackageResult } from '../../scripts/package.js';
import { logInToWordPress } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { startE2eSite, type E2eSite } from '../support/e2e-site.js';
import { loopbackHost, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.21.php for the run. */
const HOST = loopbackHost(21);
const CP = { publicKey: 'zip_public_key', privateKey: 'zip_private_key', merchantId: 'zip_merchant', ipnSecret: 'zip_ipn_secret' };
const READER = { login: 'zipreader', password: 'zip-reader-pass-1', email: 'zipreader@example.test' };
const EA_BYTES = Buffer.concat([Buffer.from('EX5\0'), randomBytes(2048), Buffer.from([0, 255, 13, 10])]);
const UI_TIMEOUT_MS = 20_000;
const LOGIN_TIMEOUT_MS = 45_000;

let site: E2eSite | undefined;
let widgetDir: string;
let outDir: string;
let zip: PackageResult;
let wp: WordPressSite;
let tdb: TestDatabase;
let sim: Simulator;
let browser: Browser;

async function loggedIn(login: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  await logInToWordPress(page, wp.url, login, password, LOGIN_TIMEOUT_MS);
  return { context, page };
}

beforeAll(async () => {
  // WordPress alone: the test installs the plugin from the zip as a site owner would.
  site = await startE2eSite({ name: 'plugin_zip', host: HOST, simulator: CP, env: { RECHARGE_EVENTS_POLL_MS: '200' }, wordpress: { plugin: false } });
  ({ wp, tdb, browser, widgetDir } = site);
  sim = site.sim!;
  outDir = join(widgetDir, 'package-out');
  zip = await buildPluginZip({ widgetDir, outDir });
});

afterAll(async () => {
  await site?.close();
});

describe('the plugin zip in a real WordPress', () => {
  it('holds the plugin, every widget bundle, the compiled translation and a readme.txt with its version', async () => {
    expect(zip.path.endsWith(`goldcoin-${zip.version}.zip`)).toBe(true);
    for (const f of ['goldcoin/goldcoin.php', 'goldcoin/readme.txt', 'goldcoin/languages/goldcoin-zh_CN.mo', 'goldcoin/assets/goldcoin.js', 'goldcoin/assets/goldcoin-admin.js', 'goldcoin/uninstall.php']) {
      expect(zip.files).toContain(f);
    }
    expect(zip.files.filter((f) => /^goldcoin\/assets\/goldcoin-.+-[\w-]{6}\.js$/.test(f)).length).toBeGreaterThan(0);
  });

  it('installs through Plugins → Add New → Upload and activates', async () => {
    const { context, page } = await loggedIn(wp.admin.user, wp.admin.password);
    await page.goto(`${wp.url}/wp-admin/plugin-install.php?tab=upload`);
    await page.locator('#pluginzip').setInputFiles(zip.path);
    await page.locator('#install-plugin-submit').click();
    try {
      await page.getByText('Plugin installed successfully.').waitFor({ timeout: 60_000 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nthe page says: ${(await page.locator('#wpbody-content').innerText()).slice(0, 2000)}`);
    }
    await page.getByRole('link', { name: 'Activate Plugin' }).click();
    await page.waitForURL(/plugins\.php/);
    await page.locator('tr[data-plugin="goldcoin/goldcoin.php"].active').waitFor();

    const installed = join(wp.contentDir, 'plugins', 'goldcoin');
    expect(await readFile(join(installed, 'readme.txt'), 'utf8')).toContain(`Stable tag: ${zip.version}`);
    expect((await readFile(join(installed, 'assets', 'goldcoin.js'))).equals(await readFile(join(widgetDir, 'goldcoin.js')))).toBe(true);
    await context.close();
  }, 120_000);

  it('runs the flow from the installed zip: a 52-coin USDT recharge, the unlock for 30 and the download', async () => {
    const eaPath = join(wp.contentDir, '..', 'ZipScalper.ex4');
    await writeFile(eaPath, EA_BYTES);
    const made = await wp.setup<{ id: number }[]>([
      { op: 'user', ...READER, role: 'subscriber', name: 'Zip Reader' },
      { op: 'post', title: 'Zip Scalper EA', content: '<p>An EA.</p>\n[goldcoin_unlock]', price: 30, ea_file: eaPath },
    ]);
    const [readerId, postId] = made.map((r) => r.id) as [number, number];

    const { context, page } = await loggedIn(READER.login, READER.password);
    await page.goto(`${wp.url}/?p=${postId}`);
    const widget = page.locator('goldcoin-widget:not([view="bell"])');
    await widget.getByText(/30 more/).waitFor();
    await widget.getByRole('button', { name: /Recharge to unlock/i }).click();
    await widget.getByRole('radio', { name: /\b52\b/ }).check();
    await widget.getByRole('radio', { name: /USDT/ }).check();
    await widget.getByRole('button', { name: /Continue/i }).click();
    await widget.getByText(/Waiting for/i).waitFor();
    await expect.poll(() => sim.transactions().filter((t) => t.buyerEmail === READER.email).length, { timeout: UI_TIMEOUT_MS }).toBe(1);
    const txn = sim.transactions().find((t) => t.buyerEmail === READER.email)!;
    const [delivery] = await sim.pay(txn.txnId);
    expect(delivery?.httpStatus).toBe(200);
    await widget.getByText(/credited/i).waitFor();
    await widget.getByRole('button', { name: /Back to the content/i }).click();
    await widget.getByRole('button', { name: /Unlock for 30/i }).click();
    await widget.getByText(/Unlocked/).waitFor();

    const downloading = page.waitForEvent('download');
    await widget.getByRole('button', { name: /Download/i }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('ZipScalper.ex4');
    expect((await readFile((await download.path())!)).equals(EA_BYTES)).toBe(true);
    await context.close();

    const wallet = await tdb.db.selectFrom('user_wallet').selectAll().where('user_id', '=', readerId).executeTakeFirstOrThrow();
    expect(Number(wallet.total_coins)).toBe(22);
    expect((await checkInvariants(tdb.db, [readerId])).problems).toEqual([]);
  }, 120_000);

  it('Check on Gold Coins → Settings runs the sidecar doctor with this site\'s token: the JWT round trip passes, a non-https IPN URL is named with its fix', async () => {
    const { context, page } = await loggedIn(wp.admin.user, wp.admin.password);
    await page.goto(`${wp.url}/wp-admin/admin.php?page=goldcoin-settings`);
    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.waitForURL(/goldcoin-check=1/);
    const jwt = page.locator('li[data-check="jwt"]');
    await expect.poll(() => jwt.getAttribute('class')).toBe('goldcoin-check-ok');
    expect(await jwt.innerText()).toContain(`the plugin's token was accepted: both sides share the secret and the issuer ${wp.url}`);
    for (const id of ['database', 'grants', 'migrations', 'cors', 'payments', 'smtp']) {
      expect(await page.locator(`li[data-check="${id}"]`).getAttribute('class'), id).toBe('goldcoin-check-ok');
    }
    const webhook = page.locator('li[data-check="webhook"]');
    expect(await webhook.getAttribute('class')).toBe('goldcoin-check-problem');
    expect(await webhook.innerText()).toMatch(/is not https: CoinPayments will not deliver to it\s+Fix: set PUBLIC_URL to the https:\/\//);
    await page.reload();
    expect(await page.locator('.goldcoin-check-result').count(), 'the result is shown once').toBe(0);
    await context.close();
  }, 120_000);

  it('ran without a PHP error, warning or notice from the installed plugin', async () => {
    const ours = (await wp.debugLog()).split('\n').filter((line) => /plugins\/goldcoin\//.test(line));
    expect(ours).toEqual([]);
  });
});

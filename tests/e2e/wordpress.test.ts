// The whole product in a real WordPress and a real Chromium: editor prices a post, subscriber recharges, unlocks and downloads.
// The suite runs once per CoinPayments platform (legacy api.php with IPNs, the new platform with signed webhooks).
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyToken } from '../../sidecar/src/http/auth.js';
import { systemClock } from '../../sidecar/src/clock.js';
import { startSimulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { startSimulatorV2 } from '../../simulators/coinpayments-v2/server.js';
import { signDownloadToken } from '../../sidecar/src/spending/download-token.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { buildTestApp } from '../support/app.js';
import { buildWidget, launchBrowser, shown } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { PLATFORMS, type Platform } from '../support/payments.js';
import { createEmptyDatabase, dropDatabase, freePort, loopbackHost, sidecarDatabase, startWordPress, type WordPressSite } from '../support/wordpress.js';

/** Each platform's run its own loopback host: it owns /etc/wordpress/config-<net>.<octet>.php for the run. */
const HOSTS: Record<Platform, string> = { legacy: loopbackHost(3), v2: loopbackHost(59) };
const SECRET = randomBytes(32).toString('hex');
const CP = { publicKey: 'e2e_public_key', privateKey: 'e2e_private_key', merchantId: 'e2e_merchant', ipnSecret: 'e2e_ipn_secret' };
const CP_V2 = { clientId: 'e2e-client-id', clientSecret: 'e2e-client-secret-0123456789abcdef' };
const EDITOR = { login: 'editor', password: 'editor-pass-1', email: 'editor@example.test' };
const SUBSCRIBER = { login: 'reader', password: 'reader-pass-1', email: 'reader@example.test' };
/** Bytes of a compiled EA: binary, with NULs and high bytes, so any re-encoding on the way shows. */
const EA_BYTES = Buffer.concat([Buffer.from('EX4\0'), randomBytes(4096), Buffer.from([0, 255, 13, 10, 26])]);
const UI_TIMEOUT_MS = 15_000;
const VIP_ROLE = 'goldcoin_vip';

let dbName: string;
let widgetDir: string;
let wp: WordPressSite;
let tdb: TestDatabase;
let payments: PaymentPlatform;
let sidecar: ServerType;
let sidecarUrl: string;
let browser: Browser;
let postId: number;
/** A post with [goldcoin_unlock] but no price. */
let freePostId: number;
let editorId: number;
let subscriberId: number;

const LOGIN_TIMEOUT_MS = 45_000;

async function loggedIn(login: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  await page.goto(`${wp.url}/wp-login.php`);
  // wp-login.php moves focus into the form 200 ms after load (wp_attempt_focus) and its scripts may reset
  // the fields while they start: fill only once that has happened, and check the values before sending.
  await page.waitForFunction(() => ['user_login', 'user_pass'].includes(document.activeElement?.id ?? ''));
  for (let attempt = 1; attempt <= 3; attempt++) {
    await page.fill('#user_login', login);
    await page.fill('#user_pass', password);
    if ((await page.inputValue('#user_login')) === login && (await page.inputValue('#user_pass')) === password) break;
  }
  // A loaded 2-core machine can take a while to answer the login POST; say why if it never gets through.
  await page.click('#wp-submit');
  try {
    await page.waitForURL(/\/wp-admin\//, { timeout: LOGIN_TIMEOUT_MS });
  } catch (err) {
    const why = await page.locator('#login_error').textContent({ timeout: 1_000 }).catch(() => null);
    throw new Error(`login as ${login} did not reach wp-admin (${why?.trim() ?? 'no error shown'}): ${(err as Error).message}`);
  }
  return { context, page };
}

// The page's widget, not the notifications bell the admin bar carries on every page.
const widgetIn = (page: Page): Locator => page.locator('goldcoin-widget:not([view="bell"])');

async function tokenOf(page: Page): Promise<string> {
  return (await widgetIn(page).getAttribute('token')) ?? '';
}

/** One CoinPayments platform the suite runs on: its simulator, the sidecar settings pointing at it, and the buyer paying. */
interface PaymentPlatform {
  /** Stored on each recharge, and part of its ledger reference. */
  provider: string;
  env: Record<string, string>;
  /** Waits for the one payment opened for this buyer: where to pay, and paying it in full (the HTTP status of each notification sent). */
  theOnePaymentOf(email: string): Promise<{ address: string; pay(): Promise<Array<number | null>> }>;
  close(): Promise<void>;
}

async function startPlatform(platform: Platform): Promise<PaymentPlatform> {
  if (platform === 'legacy') {
    const sim = await startSimulator({ ...CP, host: '127.0.0.1', port: 0 });
    return {
      provider: 'coinpayments',
      env: {
        COINPAYMENTS_PLATFORM: 'legacy',
        COINPAYMENTS_API_URL: sim.apiUrl,
        COINPAYMENTS_PUBLIC_KEY: CP.publicKey,
        COINPAYMENTS_PRIVATE_KEY: CP.privateKey,
        COINPAYMENTS_MERCHANT_ID: CP.merchantId,
        COINPAYMENTS_IPN_SECRET: CP.ipnSecret,
      },
      async theOnePaymentOf(email) {
        const mine = () => sim.transactions().filter((t) => t.buyerEmail === email);
        await expect.poll(() => mine().length, { timeout: UI_TIMEOUT_MS }).toBe(1);
        const txn = mine()[0]!;
        expect(txn.currency2).toMatch(/^USDT/);
        return { address: txn.address, pay: async () => (await sim.pay(txn.txnId)).map((d) => d.httpStatus) };
      },
      close: () => sim.close(),
    };
  }
  // As `npm run demo` wires it: new recharges on the new platform, its simulator signing the webhooks (the test
  // environment's legacy keys stay configured, as on a site that switched).
  const sim = await startSimulatorV2({ ...CP_V2, host: '127.0.0.1', port: 0 });
  return {
    provider: 'coinpayments-v2',
    env: {
      COINPAYMENTS_PLATFORM: 'v2',
      COINPAYMENTS_CLIENT_ID: CP_V2.clientId,
      COINPAYMENTS_CLIENT_SECRET: CP_V2.clientSecret,
      COINPAYMENTS_API_BASE: sim.apiBase,
    },
    async theOnePaymentOf(email) {
      const mine = () => sim.invoices().filter((i) => (i.buyer as { emailAddress?: string } | null)?.emailAddress === email);
      await expect.poll(() => mine().length, { timeout: UI_TIMEOUT_MS }).toBe(1);
      const inv = mine()[0]!;
      // Pinned to the coin the buyer chose in the widget: USDT on Tron, so the address comes back at once.
      expect(inv.payCurrencyId).toBe('9:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
      return { address: inv.address!, pay: async () => (await sim.pay(inv.id)).map((d) => d.httpStatus) };
    },
    close: () => sim.close(),
  };
}

beforeAll(async () => {
  widgetDir = await buildWidget();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  if (widgetDir) await rm(widgetDir, { recursive: true, force: true });
});

/** A fresh WordPress, database, simulator and sidecar for one platform's run of the suite. */
async function setUp(platform: Platform): Promise<void> {
  dbName = `gct_e2e_wordpress_${platform}_${randomBytes(3).toString('hex')}`;
  await createEmptyDatabase(dbName);
  const sidecarPort = await freePort();
  sidecarUrl = `http://127.0.0.1:${sidecarPort}`;
  wp = await startWordPress({ host: HOSTS[platform], port: await freePort(HOSTS[platform]), database: dbName, sidecarUrl, jwtSecret: SECRET, widgetDir });
  tdb = await sidecarDatabase(dbName);
  payments = await startPlatform(platform);
  const { app } = buildTestApp(tdb, {
    env: {
      WP_HOME: wp.url,
      CORS_ORIGINS: wp.url,
      PUBLIC_URL: sidecarUrl,
      GOLDCOIN_JWT_SECRET: SECRET,
      ...payments.env,
      RECHARGE_EVENTS_POLL_MS: '200',
      REWARDS_CATALOG: JSON.stringify([{ key: 'vip-reader', title: 'VIP reader', cost_coins: 10, fulfilment: 'role', value: VIP_ROLE }]),
    },
  });
  await new Promise<void>((resolve) => {
    sidecar = serve({ fetch: app.fetch, port: sidecarPort, hostname: '127.0.0.1' }, () => resolve());
  });
  const made = await wp.setup<{ id: number }[]>([
    { op: 'user', ...EDITOR, role: 'editor', name: 'Eddie Editor' },
    { op: 'user', ...SUBSCRIBER, role: 'subscriber', name: 'Rita Reader' },
    { op: 'post', title: 'Scalper Pro EA', content: '<p>A grid scalper for EURUSD.</p>\n[goldcoin_unlock]', author: EDITOR.login },
    { op: 'post', title: 'Market notes', content: '<p>Free to read.</p>\n[goldcoin_unlock]', author: EDITOR.login },
    { op: 'role', name: VIP_ROLE, display: 'VIP reader', caps: ['read'] },
  ]);
  [editorId, subscriberId, postId, freePostId] = made.map((r) => r.id) as [number, number, number, number];
}

async function tearDown(): Promise<void> {
  await new Promise<void>((resolve) => (sidecar ? sidecar.close(() => resolve()) : resolve()));
  await payments?.close();
  await wp?.stop();
  if (tdb) await tdb.drop();
  else if (dbName) await dropDatabase(dbName);
}

describe.each(PLATFORMS)('Gold Coins in a real WordPress, paid through the %s platform', (platform) => {
  beforeAll(() => setUp(platform));
  afterAll(tearDown);

  it('mints a JWT in PHP that the sidecar verifies with jose: read on visitor pages, each role’s admin caps only for the admin view', async () => {
    const [sub, editor, admin, subAdmin, editorAdmin, adminAdmin] = await wp.setup<{ token: string }[]>([
      { op: 'token', login: SUBSCRIBER.login, post: postId },
      { op: 'token', login: EDITOR.login },
      { op: 'token', login: wp.admin.user },
      { op: 'token', login: SUBSCRIBER.login, scope: 'admin' },
      { op: 'token', login: EDITOR.login, scope: 'admin' },
      { op: 'token', login: wp.admin.user, scope: 'admin' },
    ]);
    const opts = { secret: SECRET, issuer: wp.url, clock: systemClock };
    const reader = await verifyToken(sub!.token, opts);
    expect(reader).toMatchObject({ id: subscriberId, email: SUBSCRIBER.email, name: 'Rita Reader', locale: 'en_US', caps: ['read'], postId });
    expect(await verifyToken(editor!.token, opts)).toMatchObject({ id: editorId, caps: ['read'], postId: null });
    expect((await verifyToken(admin!.token, opts)).caps).toEqual(['read']);
    expect((await verifyToken(subAdmin!.token, opts)).caps).toEqual(['read']);
    expect((await verifyToken(editorAdmin!.token, opts)).caps).toEqual(['read', 'edit_posts']);
    expect((await verifyToken(adminAdmin!.token, opts)).caps).toEqual(['read', 'edit_posts', 'manage_options']);
    const claims = JSON.parse(Buffer.from(sub!.token.split('.')[1]!, 'base64url').toString()) as Record<string, number | string>;
    expect(claims['aud']).toBe('goldcoin');
    expect(claims['sub']).toBe(String(subscriberId));
    expect(Number(claims['exp']) - Number(claims['iat'])).toBeGreaterThanOrEqual(600);
    expect(Number(claims['exp']) - Number(claims['iat'])).toBeLessThanOrEqual(900);
    await expect(verifyToken(sub!.token, { ...opts, secret: 'another-secret-of-at-least-32-bytes!!' })).rejects.toMatchObject({ status: 401 });
  });

  it('lets the editor price the post at 30 coins and attach an EA file through the meta box; the upload URL then serves nothing', async () => {
    const eaPath = join(wp.contentDir, '..', 'ScalperPro.ex4');
    await writeFile(eaPath, EA_BYTES);
    const { context, page } = await loggedIn(EDITOR.login, EDITOR.password);
    await page.goto(`${wp.url}/wp-admin/post.php?post=${postId}&action=edit`);
    const price = page.locator('#goldcoin-price');
    await price.waitFor();
    await price.fill('30');
    await page.locator('#goldcoin-file-upload').setInputFiles(eaPath);
    const metaBoxSaved = page.waitForResponse((r) => r.url().includes('meta-box-loader=1') && r.request().method() === 'POST');
    await page.locator('.editor-post-publish-button, .editor-post-publish-button__button').first().click();
    // post.php answers the block editor's meta box form with a redirect to the edit screen once saved.
    expect([200, 302]).toContain((await metaBoxSaved).status());
    await context.close();

    const meta = await tdb.db
      .selectFrom('postmeta')
      .select(['meta_key', 'meta_value'])
      .where('post_id', '=', postId)
      .where('meta_key', 'in', ['_goldcoin_price', '_goldcoin_file'])
      .execute();
    const byKey = Object.fromEntries(meta.map((m) => [m.meta_key, m.meta_value]));
    expect(byKey['_goldcoin_price']).toBe('30');
    const fileId = Number(byKey['_goldcoin_file']);
    expect(fileId).toBeGreaterThan(0);
    const attachment = (await sql<{ guid: string; post_type: string }>`SELECT guid, post_type FROM ${sql.table('posts')} WHERE ID = ${fileId}`.execute(tdb.db)).rows[0]!;
    expect(attachment.post_type).toBe('attachment');
    const stored = await tdb.db.selectFrom('postmeta').select('meta_value').where('post_id', '=', fileId).where('meta_key', '=', '_wp_attached_file').executeTakeFirstOrThrow();
    expect(stored.meta_value!.startsWith(wp.protectedDir + '/')).toBe(true);
    expect((await readFile(stored.meta_value!)).equals(EA_BYTES)).toBe(true);

    expect(attachment.guid).toMatch(/\/wp-content\/uploads\/.+ScalperPro\.ex4$/);
    const direct = await fetch(attachment.guid);
    const body = Buffer.from(await direct.arrayBuffer());
    expect(direct.status).toBe(404);
    expect(body.includes(EA_BYTES.subarray(0, 64))).toBe(false);
    const media = (await (await fetch(`${wp.url}/?rest_route=/wp/v2/media/${fileId}`)).json()) as { source_url: string };
    expect(media.source_url).toBe(`${wp.url}/?attachment_id=${fileId}`);
  });

  it('shows a logged-out visitor a login link that returns to the post, and no widget', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${wp.url}/?p=${postId}`);
    const link = page.locator('p.goldcoin-login a');
    await expect.poll(() => link.count()).toBe(1);
    const href = new URL((await link.getAttribute('href'))!);
    expect(href.pathname).toBe('/wp-login.php');
    expect(href.searchParams.get('redirect_to')).toBe(`${wp.url}/?p=${postId}`);
    expect(await widgetIn(page).count()).toBe(0);
    await page.goto(`${wp.url}/?p=${freePostId}`);
    await page.getByText('Free to read.').waitFor();
    expect(await page.locator('p.goldcoin-login, goldcoin-widget').count()).toBe(0);
    await context.close();
  });

  it('speaks Simplified Chinese to a zh_CN site owner: translated admin screens and the locale in the token', async () => {
    const owner = { login: 'guanli', password: 'guanli-pass-1', email: 'guanli@example.test' };
    await wp.setup([{ op: 'user', ...owner, role: 'administrator', locale: 'zh_CN' }]);
    const { context, page } = await loggedIn(owner.login, owner.password);
    await page.goto(`${wp.url}/wp-admin/admin.php?page=goldcoin-settings`);
    await page.getByRole('heading', { name: '金币设置' }).waitFor();
    // Prices are the sidecar's: the settings page says where they are set and offers no currency of its own.
    await page.getByText(/PRICE_CURRENCY/).waitFor();
    expect(await page.locator('th').filter({ hasText: /^价格$/ }).count()).toBe(1);
    expect(await page.locator('input[name*="[currency]"]').count()).toBe(0);
    // Styles come from the plugin's stylesheet, loaded on its own screens only.
    expect(await page.locator('link[href*="goldcoin-admin.css"]').count()).toBe(1);
    expect(await page.locator('.goldcoin-settings [style]').count()).toBe(0);
    await page.goto(`${wp.url}/wp-admin/admin.php?page=goldcoin`);
    const claims = JSON.parse(Buffer.from((await tokenOf(page)).split('.')[1]!, 'base64url').toString()) as { locale: string };
    expect(claims.locale).toBe('zh_CN');
    expect(await widgetIn(page).getAttribute('locale')).toBe('zh_CN');
    await context.close();
  });

  it('takes the subscriber from the unlock widget through a 52-coin USDT recharge, live crediting, the unlock and the download', async () => {
    const { context, page } = await loggedIn(SUBSCRIBER.login, SUBSCRIBER.password);
    await page.goto(`${wp.url}/?p=${postId}`);
    const widget = widgetIn(page);
    expect(await widget.getAttribute('view')).toBe('unlock');
    expect(await page.locator('script[src*="goldcoin.js"][async]').count()).toBe(1);
    await widget.getByText('Scalper Pro EA').waitFor();
    await widget.getByText(/30 more/).waitFor();

    await widget.getByRole('button', { name: /Recharge to unlock/i }).click();
    await widget.getByRole('radio', { name: /\b52\b/ }).check();
    await widget.getByRole('radio', { name: /USDT/ }).check();
    await widget.getByRole('button', { name: /Continue/i }).click();
    await widget.getByText(/Waiting for/i).waitFor();

    const payment = await payments.theOnePaymentOf(SUBSCRIBER.email);
    // The buyer is shown where to send the coins, whichever platform opened the payment.
    const address = widget.getByRole('textbox', { name: /^Address/ });
    await shown(widget, address);
    expect(await address.inputValue()).toBe(payment.address);
    const answers = await payment.pay();
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((status) => status === 200)).toBe(true);

    const credited = widget.getByText(/credited/i);
    await shown(widget, credited);
    expect(await credited.innerText()).toMatch(/\b52\b/);
    await widget.getByRole('button', { name: /Back to the content/i }).click();
    await widget.getByRole('button', { name: /Unlock for 30/i }).click();
    await widget.getByText(/Unlocked/).waitFor();
    await widget.getByText(/^22$/).first().waitFor();

    const downloading = page.waitForEvent('download');
    await widget.getByRole('button', { name: /Download/i }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('ScalperPro.ex4');
    await widget.getByRole('button', { name: /ScalperPro\.ex4/ }).waitFor();
    expect((await readFile((await download.path())!)).equals(EA_BYTES)).toBe(true);

    const wallet = await tdb.db.selectFrom('user_wallet').selectAll().where('user_id', '=', subscriberId).executeTakeFirstOrThrow();
    expect(Number(wallet.total_coins)).toBe(22);
    const recharge = await tdb.db.selectFrom('recharge_transactions').selectAll().where('user_id', '=', subscriberId).executeTakeFirstOrThrow();
    expect([recharge.provider, recharge.status, recharge.coins_credited]).toEqual([payments.provider, 'completed', 52]);
    const credit = await tdb.db.selectFrom('coin_ledger').select('idempotency_ref').where('user_id', '=', subscriberId).where('kind', '=', 'recharge').executeTakeFirstOrThrow();
    expect(credit.idempotency_ref).toBe(`recharge:${payments.provider}:${recharge.txn_id}`);
    expect((await checkInvariants(tdb.db, [subscriberId])).problems).toEqual([]);
    await context.close();
  });

  it('refuses a token edited in the browser with 401 while the real one and the shim refresh work', async () => {
    const { context, page } = await loggedIn(SUBSCRIBER.login, SUBSCRIBER.password);
    await page.goto(`${wp.url}/?p=${postId}`);
    const token = await tokenOf(page);
    const refreshUrl = (await widgetIn(page).getAttribute('refresh-url'))!;
    const nonce = (await widgetIn(page).getAttribute('refresh-nonce'))!;
    const answers = await page.evaluate(
      async ({ api, token, refreshUrl, nonce }) => {
        const [h, p, s] = token.split('.');
        const claims = JSON.parse(atob(p!.replace(/-/g, '+').replace(/_/g, '/')));
        claims.caps = ['read', 'edit_posts', 'manage_options'];
        const edited = [h, btoa(JSON.stringify(claims)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), s].join('.');
        const wallet = (t: string) => fetch(`${api}/api/wallet`, { headers: { Authorization: `Bearer ${t}` } }).then((r) => r.status);
        const adminStats = (t: string) => fetch(`${api}/api/admin/payments`, { headers: { Authorization: `Bearer ${t}` } }).then((r) => r.status);
        const refreshed = await fetch(refreshUrl, { method: 'POST', credentials: 'same-origin', headers: { 'X-WP-Nonce': nonce } });
        const fresh = (await refreshed.json()) as { token: string };
        const noNonce = await fetch(refreshUrl, { method: 'POST', credentials: 'same-origin' });
        return {
          real: await wallet(token),
          edited: await wallet(edited),
          editedAdmin: await adminStats(edited),
          refresh: refreshed.status,
          refreshedWallet: await wallet(fresh.token),
          refreshWithoutNonce: noNonce.status,
        };
      },
      { api: sidecarUrl, token, refreshUrl, nonce },
    );
    expect(answers).toEqual({ real: 200, edited: 401, editedAdmin: 401, refresh: 200, refreshedWallet: 200, refreshWithoutNonce: 401 });
    await context.close();
  });

  it('serves the EA only to the logged-in buyer with a valid sidecar-signed token', async () => {
    const fileId = Number(
      (await tdb.db.selectFrom('postmeta').select('meta_value').where('post_id', '=', postId).where('meta_key', '=', '_goldcoin_file').executeTakeFirstOrThrow()).meta_value,
    );
    const sign = async (over: { secret?: string; issuer?: string; fileId?: number; now?: Date } = {}) =>
      (
        await signDownloadToken(
          { userId: subscriberId, postId, fileId: over.fileId ?? fileId },
          { secret: over.secret ?? SECRET, issuer: over.issuer ?? sidecarUrl, ttlS: 300, now: over.now ?? new Date() },
        )
      ).token;
    /** The same claims under {"alg":"none"} and no signature. */
    const unsigned = (token: string) => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${token.split('.')[1]}.`;
    const link = (token: string) => `${wp.url}/?goldcoin_download=${encodeURIComponent(token)}`;

    const buyer = await loggedIn(SUBSCRIBER.login, SUBSCRIBER.password);
    const good = await buyer.page.request.get(link(await sign()));
    expect(good.status()).toBe(200);
    expect(good.headers()['content-disposition']).toMatch(/^attachment; filename="ScalperPro\.ex4"/);
    expect(good.headers()['x-content-type-options']).toBe('nosniff');
    expect(Number(good.headers()['content-length'])).toBe(EA_BYTES.length);
    expect((await good.body()).equals(EA_BYTES)).toBe(true);

    const refused = await Promise.all(
      [
        await sign({ secret: 'a-forged-secret-that-is-long-enough-000' }),
        await sign({ issuer: 'http://evil.example' }),
        await sign({ now: new Date(Date.now() - 3_600_000) }),
        await sign({ fileId: fileId + 1000 }),
        'not.a.token',
        unsigned(await sign()),
      ].map((token) => buyer.page.request.get(link(token)).then((r) => r.status())),
    );
    expect(refused).toEqual([403, 403, 403, 403, 403, 403]);
    await buyer.context.close();

    const loggedOut = await fetch(link(await sign()));
    expect(loggedOut.status).toBe(403);
    const other = await loggedIn(EDITOR.login, EDITOR.password);
    expect((await other.page.request.get(link(await sign()))).status()).toBe(403);
    await other.context.close();
  });

  it('gives an administrator a read-only token on a post, admin caps only on the admin page, and marks token pages private', async () => {
    const caps = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { caps: string[] }).caps;
    const { context, page } = await loggedIn(wp.admin.user, wp.admin.password);
    const post = await page.goto(`${wp.url}/?p=${postId}`);
    expect(post!.headers()['cache-control']).toMatch(/\bprivate\b/);
    expect(caps(await tokenOf(page))).toEqual(['read']);
    expect(await page.locator('link[href*="goldcoin-admin.css"]').count()).toBe(0);
    const visitorRefresh = (await widgetIn(page).getAttribute('refresh-url'))!;
    const visitorNonce = (await widgetIn(page).getAttribute('refresh-nonce'))!;
    const refresh = (url: string, nonce: string) =>
      page.evaluate(
        async ({ url, nonce }) => {
          const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'X-WP-Nonce': nonce } });
          return { status: res.status, token: res.ok ? ((await res.json()) as { token: string }).token : '' };
        },
        { url, nonce },
      );
    const fromPost = await refresh(visitorRefresh, visitorNonce);
    expect([fromPost.status, caps(fromPost.token)]).toEqual([200, ['read']]);
    const tradedUp = await refresh(`${visitorRefresh}&scope=admin`, visitorNonce);
    expect(tradedUp.status).toBe(403);

    await page.goto(`${wp.url}/wp-admin/admin.php?page=goldcoin`);
    expect(caps(await tokenOf(page))).toEqual(['read', 'edit_posts', 'manage_options']);
    const adminRefresh = (await widgetIn(page).getAttribute('refresh-url'))!;
    const adminNonce = (await widgetIn(page).getAttribute('refresh-nonce'))!;
    const fromAdmin = await refresh(adminRefresh, adminNonce);
    expect([fromAdmin.status, caps(fromAdmin.token)]).toEqual([200, ['read', 'edit_posts', 'manage_options']]);
    const withoutAdminNonce = new URL(adminRefresh);
    withoutAdminNonce.searchParams.delete('admin_nonce');
    expect((await refresh(withoutAdminNonce.toString(), adminNonce)).status).toBe(403);
    await context.close();
  });

  it('shows the site owner the payment and the unlock on the Gold Coins admin page', async () => {
    const { context, page } = await loggedIn(wp.admin.user, wp.admin.password);
    await page.goto(`${wp.url}/wp-admin/admin.php?page=goldcoin`);
    const widget = widgetIn(page);
    expect(await widget.getAttribute('view')).toBe('admin');
    const payment = widget.locator('tr', { hasText: SUBSCRIBER.login });
    await payment.first().waitFor();
    await expect.poll(() => payment.first().innerText()).toMatch(/52/);
    await widget.getByRole('tab', { name: /Ledger/i }).click();
    await shown(widget, widget.locator('li, tr').filter({ hasText: /Unlock/ }).filter({ hasText: /[-−]30\b/ }).first());
    const rows = await tdb.db
      .selectFrom('coin_ledger')
      .select(['kind', 'delta_coins'])
      .where('user_id', '=', subscriberId)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => [r.kind, Number(r.delta_coins)])).toEqual([
      ['recharge', 52],
      ['unlock', -30],
    ]);
    const unlocks = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table('entitlements')} WHERE user_id = ${subscriberId}`.execute(tdb.db);
    expect(Number(unlocks.rows[0]!.n)).toBe(1);

    await page.goto(`${wp.url}/wp-admin/admin.php?page=goldcoin-settings`);
    const settings = await page.content();
    expect(settings).toContain('GOLDCOIN_JWT_SECRET');
    expect(settings).not.toContain(SECRET);
    await context.close();
  });

  it('gives the subscriber the WordPress role a redeemed reward grants, when the plugin next mints a token', async () => {
    const [{ token }] = (await wp.setup<{ token: string }[]>([{ op: 'token', login: SUBSCRIBER.login }])) as [{ token: string }];
    const redeemed = await fetch(`${sidecarUrl}/api/rewards/vip-reader/redeem`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomBytes(8).toString('hex') },
      body: '{}',
    });
    expect(redeemed.status).toBe(201);
    // Page views above already checked for grants; the plugin waits a minute between checks per user.
    const [, , after] = await wp.setup<[unknown, unknown, { roles: string[] }]>([
      { op: 'delete_option', name: `_transient_goldcoin_grants_checked_${subscriberId}` },
      { op: 'token', login: SUBSCRIBER.login },
      { op: 'user_roles', login: SUBSCRIBER.login },
    ]);
    expect(after.roles.sort()).toEqual([VIP_ROLE, 'subscriber']);
    expect((await checkInvariants(tdb.db, [subscriberId])).problems).toEqual([]);
  });

  it('keeps every coin record on uninstall unless the owner ticked "delete all coin data"', async () => {
    const ours = async () => ({
      options: (await sql<{ option_name: string }>`SELECT option_name FROM wp_options WHERE option_name LIKE 'goldcoin%' ORDER BY option_name`.execute(tdb.db)).rows.map((r) => r.option_name),
      tables: (await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'wp\_goldcoin\_%'`.execute(tdb.db)).rows.length,
      ledgerRows: (await sql<{ n: number }>`SELECT COUNT(*) AS n FROM wp_goldcoin_coin_ledger`.execute(tdb.db).catch(() => ({ rows: [{ n: -1 }] }))).rows[0]!.n,
      prices: (await sql<{ n: number }>`SELECT COUNT(*) AS n FROM wp_postmeta WHERE meta_key = '_goldcoin_price'`.execute(tdb.db)).rows[0]!.n,
    });
    const before = await ours();
    expect(before.options).toContain('goldcoin_settings');
    expect(Number(before.ledgerRows)).toBe(3);

    await wp.setup([{ op: 'uninstall', plugin: 'goldcoin/goldcoin.php' }]);
    const kept = await ours();
    // Only the record of protected folders stays: the EA files stay too, and a reinstall must keep them hidden.
    expect(kept.options).toEqual(['goldcoin_protected_dirs']);
    expect({ tables: kept.tables, ledgerRows: Number(kept.ledgerRows), prices: Number(kept.prices) }).toEqual({
      tables: before.tables,
      ledgerRows: 3,
      prices: 1,
    });

    await wp.setup([
      { op: 'activate', plugin: 'goldcoin/goldcoin.php' },
      { op: 'option', name: 'goldcoin_settings', value: { delete_data_on_uninstall: true } },
      { op: 'uninstall', plugin: 'goldcoin/goldcoin.php' },
    ]);
    const wiped = await ours();
    expect({ options: wiped.options, tables: wiped.tables, ledgerRows: Number(wiped.ledgerRows), prices: Number(wiped.prices) }).toEqual({
      options: ['goldcoin_protected_dirs'],
      tables: 0,
      ledgerRows: -1,
      prices: 0,
    });
    // Deleting the files also removes the emptied protected folder.
    const eaFiles = async () => (await readdir(wp.protectedDir, { recursive: true }).catch(() => [] as string[])).filter((f) => f.endsWith('.ex4'));
    expect(await eaFiles()).toHaveLength(1);

    await wp.setup([
      { op: 'activate', plugin: 'goldcoin/goldcoin.php' },
      { op: 'option', name: 'goldcoin_settings', value: { delete_files_on_uninstall: true } },
      { op: 'uninstall', plugin: 'goldcoin/goldcoin.php' },
    ]);
    expect((await ours()).options).toEqual([]);
    expect(await eaFiles()).toEqual([]);
  });

  it('ran every request above without a PHP error, warning or notice from the plugin or the set-up scripts', async () => {
    const ours = (await wp.debugLog()).split('\n').filter((line) => /plugins\/goldcoin\/|scripts\/wp-/.test(line));
    expect(ours).toEqual([]);
  });
});

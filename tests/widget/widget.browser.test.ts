// The widget in Debian's Chromium against a real sidecar, MariaDB and the CoinPayments simulator, on a host page
// served from another origin (so CORS, the shadow root and the token refresh are exercised as on a real site).
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement, readBalance } from '../../sidecar/src/ledger/ledger.js';
import { mintToken, TEST_HOME, type TokenOptions } from '../support/app.js';
import { buildWidget, launchBrowser } from '../support/browser.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';
import { deletePostMeta, insertPricedPost, setPostMeta } from '../support/wp-content.js';

const WAIT_MS = 15_000;
const NONCE = 'wp-rest-nonce-1234';
const AGGRESSIVE_CSS = `
  * { color: red !important; font-size: 40px !important; font-family: "Comic Sans MS", cursive !important;
      margin: 13px !important; padding: 9px !important; background: yellow !important; line-height: 3 !important;
      border: 3px dashed blue !important; text-transform: uppercase !important; letter-spacing: 4px !important;
      box-sizing: content-box !important; display: inline !important; }
  button, input, select, label, section, h2, p, span { all: revert !important; color: green !important; }`;

/** The host site: serves the built scripts, pages made by the tests, and the shim's token refresh route. */
interface Host {
  origin: string;
  page(body: string, opts?: { script?: string; css?: string }): string;
  refreshes: string[];
  refreshToken: () => Promise<string>;
  close(): Promise<void>;
}

async function startHost(dir: string): Promise<Host> {
  const pages = new Map<string, string>();
  const host: Host = {
    origin: '',
    refreshes: [],
    refreshToken: async () => '',
    page(body, opts = {}) {
      const id = String(pages.size + 1);
      pages.set(
        id,
        `<!doctype html><html><head><meta charset="utf-8"><title>host</title><style>${opts.css ?? ''}</style></head>` +
          `<body><p id="outside">Host page text</p>${body}` +
          (opts.script === '' ? '' : `<script async src="/${opts.script ?? 'goldcoin.js'}"></script>`) +
          '</body></html>',
      );
      return `${host.origin}/page/${id}`;
    },
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    void (async () => {
      if (req.method === 'POST' && url.pathname === '/refresh') {
        const nonce = String(req.headers['x-wp-nonce'] ?? '');
        host.refreshes.push(nonce);
        if (nonce !== NONCE) return res.writeHead(403).end('{}');
        return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: await host.refreshToken() }));
      }
      const page = url.pathname.startsWith('/page/') ? pages.get(url.pathname.slice(6)) : undefined;
      if (page) return res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page);
      // The two scripts and the chunks goldcoin.js fetches from beside itself.
      if (/^\/goldcoin[\w.-]*\.js(\.map)?$/.test(url.pathname)) {
        const type = extname(url.pathname) === '.js' ? 'text/javascript' : 'application/json';
        return res.writeHead(200, { 'Content-Type': type }).end(await readFile(join(dir, url.pathname)));
      }
      res.writeHead(404).end();
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  host.close = () => new Promise((resolve) => server.close(() => resolve()));
  return host;
}

let dir: string;
let tdb: TestDatabase;
let h: PaymentsHarness;
let host: Host;
let browser: Browser;

beforeAll(async () => {
  [dir, tdb] = await Promise.all([buildWidget(), createTestDatabase(import.meta.filename)]);
  host = await startHost(dir);
  h = await startPaymentsHarness(tdb, {
    env: {
      CORS_ORIGINS: host.origin,
      RECHARGE_EVENTS_POLL_MS: '200',
      RATE_LIMIT_RECHARGE: '100',
      // A dearer reward beside the 100-coin one, to show what a short balance reads like.
      REWARDS_CATALOG: JSON.stringify([
        { key: 'premium-ea', title: 'Premium EA', cost_coins: 100, fulfilment: 'code', value: 'EA-' },
        { key: 'vip-group', title: 'VIP group', cost_coins: 200, fulfilment: 'link', value: 'https://t.me/+vipInvite', per_user_limit: 1 },
      ]),
    },
  });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await host?.close();
  await tdb?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A WordPress user with a token and, optionally, coins credited through the ledger. */
async function visitor(coins = 0, opts: TokenOptions = {}) {
  const userId = await createWpUser(tdb.db);
  if (coins > 0) {
    const r = await applyMovement(tdb.db, { userId, deltaCoins: coins, kind: 'adjustment', idempotencyRef: `widget-test:${userId}`, actor: 'test' });
    expect(r.ok).toBe(true);
  }
  return { userId, email: `user${userId}@example.test`, token: await mintToken(userId, opts) };
}

function widget(attrs: Record<string, string | number>): string {
  const list = Object.entries(attrs).map(([k, v]) => `${k}="${String(v).replace(/"/g, '&quot;')}"`);
  return `<goldcoin-widget ${list.join(' ')}></goldcoin-widget>`;
}

async function open(body: string, opts?: { script?: string; css?: string }): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 720, height: 900 } });
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(host.page(body, opts));
  return page;
}

async function shot(page: Page, name: string) {
  await page.locator('goldcoin-widget').first().screenshot({ path: `/tmp/goldcoin-${name}.png`, animations: 'disabled' });
}

/** The element focused inside the widget's shadow root: its tag and text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.querySelector('goldcoin-widget')!.shadowRoot!.activeElement;
    return el ? `${el.tagName.toLowerCase()}: ${el.textContent}` : '';
  });
}

/** Pays the user's newest simulator transaction in full, delivering its IPN to the sidecar. */
async function payNewest(email: string) {
  const tx = h.sim.transactions().filter((t) => t.buyerEmail === email).pop();
  expect(tx).toBeDefined();
  await h.sim.pay(tx!.txnId);
  return tx!;
}

describe('recharge', () => {
  test('52 coins with USDT: payment view with QR and countdown, paid by the simulator, credited live, balance 52', async () => {
    const v = await visitor();
    const page = await open(widget({ view: 'recharge', api: h.url, token: v.token }));
    await page.locator('label.pk', { hasText: '¥52.00' }).click();
    await page.getByRole('radio', { name: 'USDT' }).check();
    await page.getByLabel('Network').selectOption('USDT.TRC20');
    await shot(page, 'recharge');
    // A double click is one user action: one recharge, one payment.
    await page.getByRole('button', { name: 'Continue to payment' }).dblclick();

    await page.getByRole('img', { name: 'Payment QR code' }).waitFor();
    await page.getByText(/Expires in \d{2,}:\d{2}/).waitFor();
    // Keyboard and screen-reader users land on the payment view's heading, and the countdown's ticks keep them there.
    expect(await focused(page)).toBe('h2: Send exactly');
    const tx = h.sim.transactions().filter((t) => t.buyerEmail === v.email);
    expect(tx).toHaveLength(1);
    expect(tx[0]!.currency2).toBe('USDT.TRC20');
    expect(await page.getByRole('textbox', { name: 'Address' }).inputValue()).toBe(tx[0]!.address);
    expect(await page.locator('.amt').textContent()).toContain(tx[0]!.amount2.replace(/\.?0+$/, ''));
    await expect.poll(() => page.locator('[aria-live=polite]').textContent()).toContain('Waiting for payment');
    await shot(page, 'payment');

    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    await h.sim.pay(tx[0]!.txnId);
    await page.getByRole('heading', { name: '52 gold coins credited' }).waitFor();
    await page.locator('.done p', { hasText: 'Your balance: 52' }).waitFor();
    // The final state is announced once: by the focused confirmation heading, while the live region falls silent.
    expect(await focused(page)).toBe('h2: 52 gold coins credited');
    expect(await page.locator('[aria-live=polite]').textContent()).toBe('');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await shot(page, 'credited');
    expect(await readBalance(tdb.db, v.userId)).toBe(52);
    expect((await checkInvariants(tdb.db, [v.userId])).ok).toBe(true);
    await page.close();
  });

  test('falls back to polling when the event stream cannot be read', async () => {
    const v = await visitor();
    const page = await open(widget({ view: 'recharge', api: h.url, token: v.token }));
    let streamsRefused = 0;
    await page.route('**/events', (route) => {
      streamsRefused++;
      return route.abort();
    });
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.getByRole('img', { name: 'Payment QR code' }).waitFor();
    await expect.poll(() => streamsRefused).toBeGreaterThan(0);
    await payNewest(v.email);
    await page.getByRole('heading', { name: '22 gold coins credited' }).waitFor();
    await page.close();
  });

  test('a payment that expires is announced once by the live region, in words rather than a code', async () => {
    const v = await visitor();
    const page = await open(widget({ view: 'recharge', api: h.url, token: v.token }));
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    const live = page.locator('[aria-live=polite]');
    await expect.poll(() => live.textContent()).toBe('Waiting for payment…');
    // Every text the live region takes from here on, as a screen reader would hear them.
    await live.evaluate((el) => {
      const heard: string[] = [];
      (window as unknown as { heard: string[] }).heard = heard;
      new MutationObserver(() => heard.at(-1) !== el.textContent && heard.push(el.textContent!)).observe(el, {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });
    await h.sim.expire(h.sim.transactions().filter((t) => t.buyerEmail === v.email).pop()!.txnId);
    await page.getByRole('button', { name: 'Start a new payment' }).waitFor();
    expect(await live.textContent()).toBe('This payment has expired.');
    expect(await page.evaluate(() => (window as unknown as { heard: string[] }).heard)).toEqual(['This payment has expired.']);
    expect(await focused(page)).toBe('h2: Send exactly');
    await page.close();
  });

  test('the total of a custom amount is exact: the coin price times the coins in cents, as the sidecar charges', async () => {
    // A coin price whose products are not exact in binary floating point (0.07 × 29 = 2.0300000000000002 as a float).
    // The owner sets it in the catalog (the database's, shared with the other harness), and puts it back after.
    const priced = await startPaymentsHarness(tdb, { env: { CORS_ORIGINS: host.origin } });
    const catalog = priced.deps.catalog;
    const owner = { id: 1, name: 'owner' };
    const before = await catalog.current();
    expect((await catalog.update({ pricing: { ...before.doc.pricing, coin_price: '0.07' } }, before.version, owner)).ok).toBe(true);
    try {
      const v = await visitor();
      const page = await open(widget({ view: 'recharge', api: priced.url, token: v.token }));
      await page.locator('label.pk', { hasText: 'Custom' }).click();
      const amount = page.getByRole('spinbutton', { name: 'Coins' });
      const total = page.locator('dt:text-is("Total") + dd');
      await amount.fill('29');
      await expect.poll(() => total.textContent()).toBe('¥2.03');
      // 1003 coins reach the 1000-coin tier: 10 % bonus, rounded down as the sidecar does.
      await amount.fill('1003');
      await expect.poll(() => total.textContent()).toBe('¥70.21');
      expect(await page.locator('dt:text-is("You get") + dd').textContent()).toBe('1103');
      await shot(page, 'custom-amount');
      const created = page.waitForResponse((r) => r.url().endsWith('/api/recharges') && r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Continue to payment' }).click();
      const body = (await (await created).json()) as { coins: number; bonus_coins: number; price: { amount: string } };
      expect(body).toMatchObject({ coins: 1003, bonus_coins: 100, price: { amount: '70.21' } });
      await page.getByRole('heading', { name: 'Send exactly' }).waitFor();
      await page.close();
    } finally {
      const now = await catalog.current();
      await catalog.update({ pricing: before.doc.pricing }, now.version, owner);
      await priced.close();
    }
  });

  test('a rejected recharge shows its localized message', async () => {
    const v = await visitor(0, { locale: 'zh_CN' });
    const page = await open(widget({ view: 'recharge', api: h.url, token: v.token }));
    // A network the site stopped offering after the page loaded: the sidecar refuses it with unsupported_currency.
    await page.route('**/api/recharges', (route) =>
      route.continue({ postData: JSON.stringify({ ...route.request().postDataJSON(), network: 'USDT.RETIRED' }) }),
    );
    await page.getByRole('radio', { name: 'USDT' }).check();
    await page.getByRole('button', { name: '前往支付' }).click();
    await page.getByRole('alert').filter({ hasText: '请求未被接受，请检查所选内容或刷新页面（unsupported_currency）。' }).waitFor();
    await shot(page, 'rejected');
    expect(h.sim.transactions().filter((t) => t.buyerEmail === v.email)).toHaveLength(0);
    await page.close();
  });

  test('an API error is shown as a localized message', async () => {
    const v = await visitor(0, { locale: 'zh_CN' });
    const page = await open(widget({ view: 'unlock', 'post-id': 999999, api: h.url, token: v.token }));
    await page.getByRole('alert').filter({ hasText: '该内容不出售。' }).waitFor();
    await page.close();
  });
});

describe('unlock', () => {
  test('with enough coins: unlocks once, shows the new balance, then downloads through a signed URL', async () => {
    const v = await visitor(100);
    const { postId } = await insertPricedPost(tdb.db, 30, { title: 'Gold Scalper EA', filePath: '2026/11/GoldScalper-v3.ex4' });
    const page = await open(widget({ view: 'unlock', 'post-id': postId, api: h.url, token: v.token }));
    await page.getByRole('heading', { name: 'Gold Scalper EA' }).waitFor();
    await page.getByRole('button', { name: 'Unlock for 30 coins' }).click();
    await page.getByText('Unlocked').waitFor();
    await page.locator('dd', { hasText: '70' }).waitFor();
    expect(await readBalance(tdb.db, v.userId)).toBe(70);
    await shot(page, 'unlocked');

    await page.route(`${TEST_HOME}/**`, (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: 'EA file' }));
    await page.getByRole('button', { name: 'Download GoldScalper-v3.ex4' }).click();
    await page.waitForURL((u) => u.origin === TEST_HOME);
    await page.close();
  });

  test('with too few coins: the exact shortfall, an inline recharge that returns to the unlock, then the unlock', async () => {
    const v = await visitor(10);
    const { postId } = await insertPricedPost(tdb.db, 30, { title: 'Trend Rider EA', filePath: '2026/11/TrendRider.ex5' });
    const page = await open(widget({ view: 'unlock', 'post-id': postId, api: h.url, token: v.token }));
    await page.getByText('20 more gold coins needed.').waitFor();
    await shot(page, 'shortfall');
    await page.getByRole('button', { name: 'Recharge to unlock' }).click();

    // The smallest package that covers the shortfall is preselected.
    await page.locator('label.pk.on', { hasText: '¥22.00' }).waitFor();
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.getByRole('img', { name: 'Payment QR code' }).waitFor();
    await payNewest(v.email);
    await page.getByRole('heading', { name: '22 gold coins credited' }).waitFor();
    await page.getByRole('button', { name: 'Back to the content' }).click();

    await page.locator('dd', { hasText: '32' }).waitFor();
    await page.getByRole('button', { name: 'Unlock for 30 coins' }).click();
    await page.getByText('Unlocked').waitFor();
    await page.locator('dd', { hasText: /^2$/ }).waitFor();
    expect(await readBalance(tdb.db, v.userId)).toBe(2);
    expect((await checkInvariants(tdb.db, [v.userId])).ok).toBe(true);
    await page.close();
  });

  test('a price raised after it was shown: nothing charged, the new price shown and asked again, in one request more', async () => {
    const v = await visitor(100);
    const { postId } = await insertPricedPost(tdb.db, 30, { title: 'Breakout EA' });
    const page = await open(widget({ view: 'unlock', 'post-id': postId, api: h.url, token: v.token }));
    await page.getByRole('button', { name: 'Unlock for 30 coins' }).waitFor();
    const calls: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(h.url) && r.method() !== 'OPTIONS') calls.push(`${r.method()} ${new URL(r.url()).pathname}`);
    });
    await setPostMeta(tdb.db, postId, '_goldcoin_price', '45');
    await page.getByRole('button', { name: 'Unlock for 30 coins' }).click();
    await page.getByRole('alert').filter({ hasText: 'The price is now 45 coins. Nothing was charged' }).waitFor();
    expect(await readBalance(tdb.db, v.userId)).toBe(100);
    await page.getByRole('button', { name: 'Unlock for 45 coins' }).click();
    await page.getByText('Unlocked').waitFor();
    await page.locator('dd', { hasText: '55' }).waitFor();
    expect(await readBalance(tdb.db, v.userId)).toBe(55);
    // The refused unlock and the one at the new price: no reload in between.
    expect(calls).toEqual([`POST /api/posts/${postId}/unlock`, `POST /api/posts/${postId}/unlock`]);
    await page.close();

    const zh = await visitor(100, { locale: 'zh_CN' });
    const other = await insertPricedPost(tdb.db, 10, { title: 'Scalper EA' });
    const zhPage = await open(widget({ view: 'unlock', 'post-id': other.postId, api: h.url, token: zh.token }));
    await zhPage.getByRole('button', { name: '使用 10 金币解锁' }).waitFor();
    await setPostMeta(tdb.db, other.postId, '_goldcoin_price', '12');
    await zhPage.getByRole('button', { name: '使用 10 金币解锁' }).click();
    await zhPage.getByRole('alert').filter({ hasText: '价格已变为 12 金币，未扣费。' }).waitFor();
    await zhPage.getByRole('button', { name: '使用 12 金币解锁' }).waitFor();
    expect(await readBalance(tdb.db, zh.userId)).toBe(100);
    await zhPage.close();
  });

  test('a post without a file offers no download once unlocked, and a file removed meanwhile is explained', async () => {
    const v = await visitor(10);
    const premium = await insertPricedPost(tdb.db, 5, { title: 'Premium analysis' });
    const page = await open(widget({ view: 'unlock', 'post-id': premium.postId, api: h.url, token: v.token }));
    await page.getByRole('button', { name: 'Unlock for 5 coins' }).click();
    await page.getByText('Unlocked').waitFor();
    expect(await page.getByRole('button').count()).toBe(0);
    await page.close();

    // The editor detaches the EA file while the reader's page is open: the sidecar answers no_file.
    const ea = await insertPricedPost(tdb.db, 5, { title: 'Grid EA', filePath: '2026/11/Grid.ex4' });
    const again = await open(widget({ view: 'unlock', 'post-id': ea.postId, api: h.url, token: v.token }));
    await again.getByRole('button', { name: 'Unlock for 5 coins' }).click();
    await deletePostMeta(tdb.db, ea.postId, '_goldcoin_file');
    await again.getByRole('button', { name: 'Download Grid.ex4' }).click();
    await again.getByRole('alert').filter({ hasText: 'This post has no file to download yet.' }).waitFor();
    await again.close();
  });
});

describe('redeem', () => {
  test('redeems a reward the balance covers, shows its fulfilment and the new balance; a dearer one says what is missing', async () => {
    const v = await visitor(150);
    const page = await open(widget({ view: 'redeem', api: h.url, token: v.token }));
    const vip = page.getByRole('button', { name: /VIP group/ });
    await vip.waitFor();
    expect(await vip.isDisabled()).toBe(true);
    expect(await vip.textContent()).toBe('50 more gold coins needed.');

    await page.getByRole('button', { name: 'Redeem for 100 coins: Premium EA' }).click();
    await page.getByRole('heading', { name: /Your reward/ }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Your reward' }).inputValue()).toMatch(/^EA-/);
    await page.locator('.hd .coin', { hasText: '50' }).waitFor();
    await shot(page, 'redeemed');
    expect(await readBalance(tdb.db, v.userId)).toBe(50);
    await page.close();
  });
});

describe('wallet and admin', () => {
  test('the wallet shows the balance, the history and the tabs of my payments, what I bought and the notifications', async () => {
    const v = await visitor(40);
    const page = await open(widget({ view: 'wallet', api: h.url, token: v.token }));
    await page.locator('.big .coin', { hasText: '40' }).waitFor();
    await page.locator('li', { hasText: 'Adjustment' }).waitFor();
    await page.getByRole('tab', { name: 'Notifications' }).waitFor();
    await shot(page, 'wallet');
    await page.close();
  });

  test('the admin view lists payments, adjusts a balance with a reason and draws the daily chart', async () => {
    const admin = await visitor(0, { caps: ['read', 'manage_options'] });
    const target = await visitor(5);
    const page = await open(widget({ view: 'admin', api: h.url, token: admin.token }), { script: 'goldcoin-admin.js' });
    await page.getByRole('columnheader', { name: 'Status' }).waitFor();
    await page.getByRole('cell', { name: 'Completed' }).first().waitFor();
    await shot(page, 'admin-payments');

    await page.getByRole('tab', { name: 'Adjust' }).click();
    await page.getByLabel('User ID').fill(String(target.userId));
    await page.getByLabel('Coins (±)').fill('7');
    await page.getByLabel('Reason').fill('Goodwill credit');
    await page.getByRole('button', { name: 'Apply adjustment' }).click();
    await page.getByText('Done. New balance: 12').waitFor();
    expect(await readBalance(tdb.db, target.userId)).toBe(12);

    await page.getByRole('tab', { name: 'Stats' }).click();
    await page.getByRole('img', { name: 'Revenue and coins per day' }).waitFor();
    await shot(page, 'admin-stats');
    await page.close();
  });

  test('the admin licences tab lists a licence, opens its accounts and audit trail, and revokes it with a reason', async () => {
    const buyer = await visitor(50);
    const { postId } = await insertPricedPost(tdb.db, 20, { title: 'Trend Rider EA' });
    await setPostMeta(tdb.db, postId, '_goldcoin_ea_product', 'trend-rider');
    const api = (path: string, init: RequestInit = {}) => fetch(`${h.url}${path}`, { ...init, headers: { Authorization: `Bearer ${buyer.token}`, 'Content-Type': 'application/json' } });
    expect((await api(`/api/posts/${postId}/unlock`, { method: 'POST', body: '{}' })).status).toBe(200);
    const { licence } = (await (await api(`/api/posts/${postId}/license`)).json()) as { licence: { id: number; key: string } };
    const check = await fetch(`${h.url}/api/licenses/verify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: licence.key, account: '7001', account_type: 'real', server: 'Broker-Live', product_id: 'trend-rider', nonce: 'n'.repeat(16) }),
    });
    expect(((await check.json()) as { reason: string }).reason).toBe('activated');
    for (const lang of ['en', 'zh-CN'] as const) {
      const en = lang === 'en';
      const admin = await visitor(0, { caps: ['read', 'manage_options'], locale: en ? 'en_US' : 'zh_CN' });
      const page = await open(widget({ view: 'admin', api: h.url, token: admin.token }), { script: 'goldcoin-admin.js' });
      await page.setViewportSize({ width: 1366, height: 900 });
      await page.getByRole('tab', { name: en ? 'EA licences' : 'EA 授权' }).click();
      await page.getByRole('cell', { name: `Trend Rider EA #${postId}` }).waitFor();
      await page.getByRole('cell', { name: `…${licence.key.slice(-4)}` }).waitFor();
      await shot(page, `admin-licences-${lang}`);
      await page.getByRole('button', { name: String(licence.id), exact: true }).click();
      await page.getByRole('cell', { name: 'Broker-Live', exact: true }).waitFor();
      if (en) {
        await page.getByLabel('Reason').first().fill('chargeback');
        await page.getByRole('button', { name: 'Revoke' }).click();
        await page.getByText('Saved.').waitFor();
        await page.getByRole('cell', { name: 'revoke', exact: true }).waitFor();
        await page.getByRole('button', { name: 'Reinstate' }).waitFor();
      }
      await shot(page, `admin-licence-detail-${lang}`);
      await page.close();
    }
    const row = await tdb.db.selectFrom('licences').selectAll().where('id', '=', licence.id).executeTakeFirstOrThrow();
    expect(row.revoked_reason).toBe('chargeback');
  });

  test('the admin tabs are one tab stop: arrow keys, Home and End move between them and select', async () => {
    const admin = await visitor(0, { caps: ['read', 'manage_options'] });
    const page = await open(widget({ view: 'admin', api: h.url, token: admin.token }), { script: 'goldcoin-admin.js' });
    const tab = (name: string) => page.getByRole('tab', { name });
    await tab('Payments').focus();
    const selected = () =>
      page.evaluate(() => {
        const tabs = [...document.querySelector('goldcoin-widget')!.shadowRoot!.querySelectorAll('[role=tab]')];
        const on = tabs.filter((t) => t.getAttribute('aria-selected') === 'true' && t.getAttribute('tabindex') === '0');
        return on.map((t) => t.textContent);
      });
    const steps = [
      'ArrowRight:Stuck', 'End:Export', 'ArrowRight:Payments', 'ArrowLeft:Export', 'Home:Payments', 'ArrowLeft:Export',
      'ArrowLeft:Change log', 'ArrowLeft:Catalog', 'ArrowLeft:Stats',
    ];
    for (const [key, name] of steps.map((s) => s.split(':') as [string, string])) {
      await page.keyboard.press(key);
      expect(await selected()).toEqual([name]);
      expect(await focused(page)).toBe(`button: ${name}`);
    }
    await page.getByRole('tabpanel', { name: 'Stats' }).getByRole('img', { name: 'Revenue and coins per day' }).waitFor();
    await shot(page, 'admin-tabs-keyboard');
    // Tab leaves the tab list for the panel instead of walking through the other tabs.
    await page.keyboard.press('ArrowLeft');
    await page.getByRole('tabpanel', { name: 'EA licences' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatch(/^input: /);
    await page.close();
  });

  test('view="admin" in the visitor script says the admin script is needed, in the reader\'s language', async () => {
    const v = await visitor(0, { locale: 'zh_CN' });
    const attrs = { view: 'admin', api: h.url, token: v.token };
    const page = await open(widget(attrs) + widget({ ...attrs, locale: 'en' }));
    await page.getByRole('alert').filter({ hasText: '管理视图需要加载管理脚本 goldcoin-admin.js。' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'The admin view needs the admin script, goldcoin-admin.js.' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Recharge' }).count()).toBe(0);
    await page.close();
  });
});

describe('embedding', () => {
  test('zh-CN renders Chinese labels, from the locale attribute or from the token', async () => {
    const v = await visitor(0, { locale: 'zh_CN' });
    const page = await open(
      widget({ view: 'recharge', api: h.url, token: v.token, locale: 'zh_CN' }) + widget({ view: 'wallet', api: h.url, token: v.token }),
    );
    await page.getByRole('button', { name: '前往支付' }).waitFor();
    await page.getByRole('heading', { name: '充值' }).waitFor();
    await page.getByText('支付方式').waitFor();
    await page.getByText('我的余额').waitFor();
    await page.getByRole('tab', { name: '金币明细' }).waitFor();
    await shot(page, 'zh-CN');
    await page.close();
  });

  test('aggressive host CSS changes nothing inside the widget, and the widget changes nothing outside it', async () => {
    const v = await visitor(25);
    // Pinned to the same whole-pixel spot on both pages, so their pixels can be compared exactly.
    const pin = 'position:fixed;top:0;left:0;width:600px;margin:0;padding:0;border:0;display:block'.replace(/;/g, '!important;');
    const body = `<div style="${pin}!important">${widget({ view: 'recharge', api: h.url, token: v.token })}</div>`;
    const styles = async (page: Page) => {
      await page.getByRole('button', { name: 'Continue to payment' }).waitFor();
      return page.evaluate(() => {
        const root = document.querySelector('goldcoin-widget')!.shadowRoot!;
        const props = ['color', 'font-size', 'font-family', 'line-height', 'margin-top', 'padding-top', 'background-color',
          'border-top-style', 'text-transform', 'letter-spacing', 'display', 'box-sizing', 'width', 'height'];
        const pick = (el: Element) => props.map((p) => getComputedStyle(el).getPropertyValue(p));
        return ['section.c', 'h2', 'label.pk', '.coin', 'legend', 'select', 'dl', 'button.btn'].map((s) => [s, pick(root.querySelector(s)!)]);
      });
    };
    const plain = await open(body);
    const hostile = await open(body, { css: AGGRESSIVE_CSS });
    expect(await styles(hostile)).toEqual(await styles(plain));
    // Pixels of the card, inset past its rounded corners (where the page's own background shows through).
    const card = async (page: Page) => {
      const box = (await page.locator('section.c').boundingBox())!;
      const clip = { x: box.x + 10, y: box.y + 10, width: box.width - 20, height: box.height - 20 };
      return page.screenshot({ clip, animations: 'disabled' });
    };
    expect(Buffer.compare(await card(plain), await card(hostile))).toBe(0);
    await hostile.locator('goldcoin-widget').screenshot({ path: '/tmp/goldcoin-hostile-css.png' });

    const outside = (page: Page) => page.evaluate(() => {
      const s = getComputedStyle(document.getElementById('outside')!);
      return [s.color, s.fontSize, s.fontFamily, s.margin];
    });
    const bare = await open('');
    expect(await outside(plain)).toEqual(await outside(bare));
    await Promise.all([plain.close(), hostile.close(), bare.close()]);
  });

  test('nothing is fetched before the element is on the page, and the script defines no globals', async () => {
    const v = await visitor(3);
    const page = await browser.newPage();
    const before = await (async () => {
      await page.goto(host.page('', { script: '' }));
      return page.evaluate(() => Object.keys(window));
    })();
    await page.goto(host.page(''));
    await page.waitForFunction(() => customElements.get('goldcoin-widget') !== undefined);
    const sidecarRequests: string[] = [];
    page.on('request', (r) => r.url().startsWith(h.url) && sidecarRequests.push(r.url()));
    const created = await page.evaluate((attrs) => {
      const el = document.createElement('goldcoin-widget');
      for (const [k, val] of Object.entries(attrs)) el.setAttribute(k, val);
      return Object.keys(window).length;
    }, { view: 'wallet', api: h.url, token: v.token });
    expect(sidecarRequests).toEqual([]);
    expect(created).toBe(before.length);
    expect(await page.evaluate(() => Object.keys(window))).toEqual(before);

    await page.evaluate((attrs) => {
      const el = document.createElement('goldcoin-widget');
      for (const [k, val] of Object.entries(attrs)) el.setAttribute(k, val);
      document.body.append(el);
    }, { view: 'wallet', api: h.url, token: v.token });
    await page.locator('.big .coin', { hasText: '3' }).waitFor({ timeout: WAIT_MS });
    expect(sidecarRequests.some((u) => u.endsWith('/api/wallet'))).toBe(true);
    await page.close();
  });

  test('an expired token is refreshed through the shim route with its nonce, and the request retried', async () => {
    const v = await visitor(9);
    const expired = await mintToken(v.userId, { iatOffsetS: -1200, expiresInS: 600 });
    host.refreshes.length = 0;
    host.refreshToken = () => mintToken(v.userId);
    const page = await open(
      widget({ view: 'wallet', api: h.url, token: expired, 'refresh-url': `${host.origin}/refresh`, 'refresh-nonce': NONCE }),
    );
    await page.locator('.big .coin', { hasText: '9' }).waitFor();
    // The wallet and ledger requests both got a 401 but share one refresh.
    expect(host.refreshes).toEqual([NONCE]);
    await page.close();
  });
});

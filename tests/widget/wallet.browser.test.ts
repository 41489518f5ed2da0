// The wallet's loops in Debian's Chromium against a real sidecar, MariaDB and the CoinPayments simulator: my payments
// (a pending one reopened and paid, a receipt, an expired one and a new one), what I bought (a redeemed code found again
// after a reload, a post's download), ledger memos in the reader's language, and the bell whose count drops when opened.
import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { buyTier, DAY_MS } from '../../sidecar/src/membership/membership.js';
import { createTier, type VipTier } from '../../sidecar/src/membership/tiers.js';
import { mintToken, TEST_HOME } from '../support/app.js';
import { buildWidget, launchBrowser } from '../support/browser.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';
import { userWithCoins } from '../support/seeded.js';
import { insertPricedPost } from '../support/wp-content.js';
import { element, startHost, WIDTHS, type Host } from './first-load.js';

const WAIT_MS = 15_000;

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
      RATE_LIMIT_REDEEM: '0',
      REWARDS_CATALOG: JSON.stringify([
        { key: 'ea-code', title: 'EA licence code', cost_coins: 20, fulfilment: 'code', value: 'EA-' },
        { key: 'group', title: 'Private trading group', cost_coins: 10, fulfilment: 'link', value: 'https://t.me/+private' },
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

let keys = 0;
async function api(token: string, method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await h.call(method, path, { token, ...(body !== undefined ? { body } : {}), headers: method === 'POST' ? { 'Idempotency-Key': `wallet-widget-${++keys}` } : {} });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as Record<string, any>;
}

async function open(view: string, token: string, size: { width: number; height: number } = WIDTHS[0]!, locale = 'en_US'): Promise<Page> {
  const page = await browser.newPage({ viewport: size });
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(host.page(element(view, { api: h.url, token, locale }, null)));
  return page;
}

const shot = (page: Page, name: string) => page.locator('goldcoin-widget').first().screenshot({ path: `/tmp/goldcoin-${name}.png`, animations: 'disabled' });

describe('my payments', () => {
  test('a pending payment left behind reopens in the payment view and is credited live; a credited one shows its receipt; an expired one says why and offers a new one', async () => {
    const userId = await createWpUser(tdb.db);
    const token = await mintToken(userId);
    const paid = await api(token, 'POST', '/api/recharges', { package_id: 'p22', method: 'USDT' });
    await h.sim.pay(paid['payment'].txn_id);
    const lapsed = await api(token, 'POST', '/api/recharges', { package_id: 'p52', method: 'USDT' });
    await h.sim.expire(lapsed['payment'].txn_id);
    const pending = await api(token, 'POST', '/api/recharges', { coins: 300, method: 'USDT' });

    const page = await open('wallet', token);
    await page.getByRole('tab', { name: 'My payments' }).click();
    await page.getByRole('button', { name: 'Open the payment' }).waitFor();
    await shot(page, 'wallet-payments');
    expect(await page.getByRole('button', { name: 'Open the payment' }).count()).toBe(1);

    await page.getByRole('button', { name: /^Credited/ }).click();
    await page.getByText(paid['payment'].txn_id).waitFor();
    await page.getByRole('button', { name: /^Not paid/ }).click();
    await page.getByText('It expired before the payment arrived.').waitFor();
    await shot(page, 'wallet-payments-open');

    await page.getByRole('button', { name: 'Open the payment' }).click();
    await page.getByRole('img', { name: 'Payment QR code' }).waitFor();
    expect(await page.getByRole('textbox', { name: 'Address' }).inputValue()).toBe(pending['payment'].address);
    await h.sim.pay(pending['payment'].txn_id);
    await page.getByRole('heading', { name: '300 gold coins credited' }).waitFor();
    expect(await readBalance(tdb.db, userId)).toBe(22 + 300);
    await page.getByRole('button', { name: 'Back to the content' }).click();
    await page.getByRole('tab', { name: 'My payments' }).click();
    await page.getByRole('button', { name: /^Not paid/ }).click();
    await page.getByRole('button', { name: 'Start a new payment' }).click();
    await page.getByRole('button', { name: 'Continue to payment' }).waitFor();
    await page.close();
  });
});

describe('what I bought', () => {
  test('a redeemed code is there again after a reload, a link reads as its title, and a bought post offers its download', async () => {
    const u = await userWithCoins(tdb.db, 200);
    const { postId } = await insertPricedPost(tdb.db, 30, { title: 'Gold Scalper EA', filePath: '2026/11/GoldScalper-v3.ex4' });
    await api(u.token, 'POST', `/api/posts/${postId}/unlock`);
    const code = (await api(u.token, 'POST', '/api/rewards/ea-code/redeem'))['redemption'].fulfilment.value as string;
    await api(u.token, 'POST', '/api/rewards/group/redeem');

    const page = await open('wallet', u.token);
    for (let load = 0; load < 2; load++) {
      if (load) await page.reload();
      await page.getByRole('tab', { name: 'What I bought' }).click();
      expect(await page.getByRole('textbox', { name: 'Your code' }).inputValue()).toBe(code);
    }
    expect(await page.getByRole('link', { name: 'Private trading group' }).getAttribute('href')).toBe('https://t.me/+private');
    expect(await page.getByRole('link', { name: 'Gold Scalper EA' }).getAttribute('href')).toBe(`${TEST_HOME}/?p=${postId}`);
    await shot(page, 'wallet-bought');

    // The download goes to the plugin's protected route with a fresh signed token.
    let asked = '';
    await page.route(`${TEST_HOME}/**`, (route) => {
      asked = route.request().url();
      return route.fulfill({ status: 200, contentType: 'text/plain', body: 'EA file' });
    });
    await page.getByRole('button', { name: 'Download: GoldScalper-v3.ex4' }).click();
    await expect.poll(() => asked).toContain(TEST_HOME);
    await page.close();
  });
});

describe('what I bought: memberships', () => {
  test('lists an ended membership with its tier, from and until next to the running one, in English and Chinese', async () => {
    const tier = (key: string, title: string, days: number): VipTier => ({
      key, title, days, priceCoins: 50, role: null, keepsUnlocks: false, dailyDownloads: null, active: true, sortOrder: 0,
    });
    for (const t of [tier('month', 'Monthly VIP', 30), tier('year', 'Yearly VIP', 365)]) expect((await createTier(tdb.db, t, 'test')).ok).toBe(true);
    const u = await userWithCoins(tdb.db, 200);
    const bought = async (t: VipTier, now: Date) => expect((await buyTier(tdb.db, { userId: u.id, tier: t, idemKey: t.key, now })).ok).toBe(true);
    const past = new Date(Date.UTC(2025, 0, 10));
    await bought(tier('month', 'Monthly VIP', 30), past);
    await bought(tier('year', 'Yearly VIP', 365), new Date());

    for (const [locale, texts] of [
      ['en_US', { tab: 'What I bought', ended: 'Ended', running: 'Running', join: ' to ' }],
      ['zh_CN', { tab: '我的购买', ended: '已结束', running: '生效中', join: ' 至 ' }],
    ] as const) {
      const token = await mintToken(u.id, { locale });
      for (const size of WIDTHS) {
        const page = await open('wallet', token, size, locale);
        await page.getByRole('tab', { name: texts.tab }).click();
        const rows = page.locator('ul.vip > li');
        await expect.poll(() => rows.count(), { timeout: WAIT_MS }).toBe(2);
        const lang = locale === 'zh_CN' ? 'zh-CN' : 'en-US';
        const day = (d: Date) => d.toLocaleDateString(lang, { dateStyle: 'medium' });
        expect(await rows.nth(0).innerText()).toContain('Yearly VIP');
        expect(await rows.nth(0).getByText(texts.running, { exact: true }).count()).toBe(1);
        expect(await rows.nth(1).innerText()).toContain('Monthly VIP');
        expect(await rows.nth(1).getByText(`${day(past)}${texts.join}${day(new Date(past.getTime() + 30 * DAY_MS))}`).count()).toBe(1);
        // The state stays on one line, in Chinese too.
        const state = rows.nth(1).getByText(texts.ended, { exact: true });
        const box = await state.boundingBox();
        expect(box!.height).toBeLessThan(24);
        await shot(page, `wallet-vip-${locale}-${size.width}`);
        await page.close();
      }
    }
  });
});

describe("ledger memos in the reader's language", () => {
  test('Chinese readers see a recharge as 充值 alone and an unlock with its post title; no English memo is shown', async () => {
    const userId = await createWpUser(tdb.db);
    const token = await mintToken(userId, { locale: 'zh_CN' });
    const r = await api(token, 'POST', '/api/recharges', { package_id: 'p22', method: 'USDT' });
    await h.sim.pay(r['payment'].txn_id);
    const { postId } = await insertPricedPost(tdb.db, 5, { title: '黄金剥头皮 EA' });
    await api(token, 'POST', `/api/posts/${postId}/unlock`);
    for (const size of WIDTHS) {
      const page = await open('wallet', token, size, 'zh_CN');
      await page.locator('li', { hasText: '黄金剥头皮 EA' }).waitFor();
      const rows = await page.locator('li').allTextContents();
      expect(rows[0]).toMatch(/^解锁 · 黄金剥头皮 EA/);
      expect(rows.find((x) => x.startsWith('充值'))).toMatch(/^充值\d/);
      expect(rows.join('\n')).not.toMatch(/recharge/i);
      // No tab label wraps inside: each is one line high.
      const heights = await page.locator('[role=tab]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
      expect(new Set(heights).size).toBe(1);
      await shot(page, `wallet-zh-${size.width}`);
      await page.getByRole('tab', { name: '我的支付' }).click();
      await page.getByRole('button', { name: /^已到账/ }).waitFor();
      await shot(page, `wallet-payments-zh-${size.width}`);
      await page.close();
    }
  });
});

describe('the bell', () => {
  test('shows the unread count; opening it lists the latest and marks them read, and the count is gone on the next load', async () => {
    const u = await userWithCoins(tdb.db, 100);
    await api(u.token, 'POST', '/api/rewards/ea-code/redeem');
    await api(u.token, 'POST', '/api/rewards/group/redeem');
    for (const [locale, name, label] of [
      ['en_US', 'Notifications, 2 unread', 'Notifications'],
      ['zh_CN', '通知, 2 条未读', '通知'],
    ] as const) {
      // A new notification for the second language's turn: the first turn read them all.
      if (locale === 'zh_CN') await api(u.token, 'POST', '/api/rewards/group/redeem');
      const token = await mintToken(u.id, { locale });
      const unread = (await api(token, 'GET', '/api/notifications'))['unread_count'] as number;
      const page = await open('bell', token, WIDTHS[1], locale);
      const bell = page.getByRole('button', { name: name.replace('2', String(unread)) });
      await bell.waitFor();
      await shot(page, `bell-${locale}`);
      await bell.click();
      await page.getByRole('heading', { name: label }).waitFor();
      await page.getByRole('button', { name: label, exact: true }).waitFor();
      await page.screenshot({ path: `/tmp/goldcoin-bell-open-${locale}.png` });
      expect((await api(token, 'GET', '/api/notifications'))['unread_count']).toBe(0);
      await page.reload();
      await page.getByRole('button', { name: label, exact: true }).waitFor();
      await page.close();
    }
  });

  test('counts a new notification while the page stays open: every minute while in view, and at once when shown after a missed turn', async () => {
    const u = await userWithCoins(tdb.db, 100);
    const page = await browser.newPage({ viewport: WIDTHS[1] });
    page.setDefaultTimeout(WAIT_MS);
    let asked = 0;
    page.on('request', (r) => void (r.url().includes('/api/notifications?') && asked++));
    await page.clock.install();
    // The button is there before its first answer: wait for the answer, not the button.
    const firstAnswer = page.waitForResponse((r) => r.url().includes('/api/notifications?'));
    await page.goto(host.page(element('bell', { api: h.url, token: u.token, locale: 'en_US' }, null)));
    await firstAnswer;
    await page.getByRole('button', { name: 'Notifications', exact: true }).waitFor();
    expect(asked).toBe(1);

    await api(u.token, 'POST', '/api/rewards/group/redeem');
    await page.clock.runFor(60_000);
    await page.getByRole('button', { name: 'Notifications, 1 unread' }).waitFor();
    expect(asked).toBe(2);

    // Hidden: the minute passes without a request; shown again, it asks once.
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await api(u.token, 'POST', '/api/rewards/group/redeem');
    await page.clock.runFor(120_000);
    expect(asked).toBe(2);
    await setHidden(false);
    await page.getByRole('button', { name: 'Notifications, 2 unread' }).waitFor();
    expect(asked).toBe(3);
    // Shown again with no turn missed: nothing more is asked.
    await setHidden(true);
    await setHidden(false);
    await page.clock.runFor(1_000);
    expect(asked).toBe(3);
    await page.close();
  });
});

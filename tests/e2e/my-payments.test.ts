// The visitor's loops in a real WordPress and Chromium: a payment started on the recharge page, the tab closed, reopened
// from "my payments" in the wallet and paid; "go to premium content" after a recharge on the recharge page; a redeemed
// code found again after a reload; and the admin bar's bell, whose count drops once opened.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import type { Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { logInToWordPress, shown } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { startE2eSite, type E2eSite } from '../support/e2e-site.js';
import { loopbackHost, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.53.php for the run. */
const HOST = loopbackHost(53);
const CP = { publicKey: 'e2e_public_key', privateKey: 'e2e_private_key', merchantId: 'e2e_merchant', ipnSecret: 'e2e_ipn_secret' };
const READER = { login: 'payreader', password: 'pay-reader-pass-1', email: 'payreader@example.test' };
const ZH_READER = { login: 'zhreader', password: 'zh-reader-pass-1', email: 'zhreader@example.test' };
const UI_TIMEOUT_MS = 15_000;
const LOGIN_TIMEOUT_MS = 45_000;

let site: E2eSite | undefined;
let wp: WordPressSite;
let tdb: TestDatabase;
let sim: Simulator;
let browser: Browser;
let readerId: number;
let zhReaderId: number;
let rechargePage: number;
let walletPage: number;
let redeemPage: number;
let premiumPost: number;

async function loggedIn(who: { login: string; password: string }, width = 1366): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  await logInToWordPress(page, wp.url, who.login, who.password, LOGIN_TIMEOUT_MS);
  return { context, page };
}

/** The page's widget of this view (the admin bar's bell is another widget on every page). */
const widgetOf = (page: Page, view: string): Locator => page.locator(`goldcoin-widget[view="${view}"]`).first();

const newestTxn = (email: string) => sim.transactions().filter((t) => t.buyerEmail === email).pop();

/** Starts a 52-coin USDT payment in the recharge view shown on `page`; returns its simulator transaction. */
async function startPayment(page: Page, email: string) {
  const widget = widgetOf(page, 'recharge');
  // The radios are visually hidden inside their labels: a reader clicks the label.
  const pack = widget.locator('label.pk', { hasText: '¥52.00' });
  await shown(widget, pack);
  const before = sim.transactions().filter((t) => t.buyerEmail === email).length;
  await pack.click();
  await widget.locator('.seg label', { hasText: 'USDT' }).click();
  await widget.getByRole('button', { name: 'Continue to payment' }).click();
  await shown(widget, widget.getByText('Waiting for payment…'));
  await expect.poll(() => sim.transactions().filter((t) => t.buyerEmail === email).length).toBe(before + 1);
  return newestTxn(email)!;
}

beforeAll(async () => {
  site = await startE2eSite({
    name: 'mypay',
    host: HOST,
    simulator: CP,
    env: {
      RECHARGE_EVENTS_POLL_MS: '200',
      RATE_LIMIT_REDEEM: '0',
      REWARDS_CATALOG: JSON.stringify([{ key: 'ea-code', title: 'EA licence code', cost_coins: 20, fulfilment: 'code', value: 'EA-' }]),
    },
  });
  ({ wp, tdb, browser } = site);
  sim = site.sim!;
  const made = await wp.setup<{ id: number }[]>([
    { op: 'user', ...READER, role: 'subscriber', name: 'Paula Payer' },
    { op: 'user', ...ZH_READER, role: 'subscriber', name: '王小明', locale: 'zh_CN' },
    { op: 'post', title: 'Buy coins', content: '[goldcoin_recharge]', type: 'page' },
    { op: 'post', title: 'My wallet', content: '[goldcoin_wallet]', type: 'page' },
    { op: 'post', title: 'Rewards', content: '[goldcoin_redeem]', type: 'page' },
    { op: 'post', title: 'Gold Scalper EA', content: '<p>A scalper for XAUUSD.</p>\n[goldcoin_unlock]', price: 40 },
  ]);
  [readerId, zhReaderId, rechargePage, walletPage, redeemPage, premiumPost] = made.map((r) => r.id) as [number, number, number, number, number, number];
});

afterAll(async () => {
  await site?.close();
});

describe('my payments, what I bought and the bell in a real WordPress', () => {
  it('a payment left behind with its tab closed is reopened from "my payments" and paid, then credited', async () => {
    const { context, page } = await loggedIn(READER);
    await page.goto(`${wp.url}/?page_id=${rechargePage}`);
    const txn = await startPayment(page, READER.email);
    await page.close();

    const back = await context.newPage();
    await back.goto(`${wp.url}/?page_id=${walletPage}`);
    const wallet = widgetOf(back, 'wallet');
    await shown(wallet, wallet.getByRole('tab', { name: 'My payments' }));
    await wallet.getByRole('tab', { name: 'My payments' }).click();
    await shown(wallet, wallet.getByRole('button', { name: 'Open the payment' }));
    await wallet.getByRole('button', { name: 'Open the payment' }).click();
    await shown(wallet, wallet.getByRole('img', { name: 'Payment QR code' }));
    expect(await wallet.getByRole('textbox', { name: 'Address' }).inputValue()).toBe(txn.address);
    const [delivery] = await sim.pay(txn.txnId);
    expect(delivery?.httpStatus).toBe(200);
    await shown(wallet, wallet.getByRole('heading', { name: '52 gold coins credited' }));
    expect(await readBalance(tdb.db, readerId)).toBe(52);

    await wallet.getByRole('button', { name: 'Back to the content' }).click();
    await wallet.getByRole('tab', { name: 'My payments' }).click();
    await shown(wallet, wallet.getByRole('button', { name: /^Credited/ }));
    expect(await wallet.getByRole('button', { name: 'Open the payment' }).count()).toBe(0);
    await back.screenshot({ path: '/tmp/goldcoin-e2e-my-payments-1366.png', fullPage: true });
    await context.close();
  });

  it('after a recharge on the recharge page, "go to premium content" leads back to the post the reader came from', async () => {
    const { context, page } = await loggedIn(READER);
    const post = `${wp.url}/?p=${premiumPost}`;
    await page.goto(`${wp.url}/?page_id=${rechargePage}&return=${encodeURIComponent(post)}`);
    expect(await widgetOf(page, 'recharge').getAttribute('return-url')).toBe(post);
    const txn = await startPayment(page, READER.email);
    await sim.pay(txn.txnId);
    const widget = widgetOf(page, 'recharge');
    await shown(widget, widget.getByRole('heading', { name: '52 gold coins credited' }));
    const go = widget.getByRole('link', { name: 'Go to premium content' });
    expect(await go.getAttribute('href')).toBe(post);
    await page.screenshot({ path: '/tmp/goldcoin-e2e-go-to-premium-1366.png' });
    await go.click();
    await page.waitForURL(post);
    await shown(widgetOf(page, 'unlock'), widgetOf(page, 'unlock').getByRole('button', { name: /Unlock for 40/ }));

    // Without ?return=, the page the reader came from.
    await page.goto(`${wp.url}/?page_id=${rechargePage}`, { referer: post });
    expect(await widgetOf(page, 'recharge').getAttribute('return-url')).toBe(post);

    // Another site's address is never a target: without a setting or a same-site page there is no such link.
    await page.goto(`${wp.url}/?page_id=${rechargePage}&return=${encodeURIComponent('https://evil.example/phish')}`);
    await shown(widgetOf(page, 'recharge'), widgetOf(page, 'recharge').getByRole('button', { name: 'Continue to payment' }));
    expect(await widgetOf(page, 'recharge').getAttribute('return-url')).toBeNull();
    expect((await checkInvariants(tdb.db, [readerId])).problems).toEqual([]);
    await context.close();
  });

  it('a redeemed code is in "what I bought" after a reload, and the bell in the admin bar counts down to nothing once opened', async () => {
    const { context, page } = await loggedIn(READER);
    await page.goto(`${wp.url}/?page_id=${redeemPage}`);
    const redeem = widgetOf(page, 'redeem');
    await shown(redeem, redeem.getByRole('button', { name: /Redeem for 20 coins: EA licence code/ }));
    await redeem.getByRole('button', { name: /Redeem for 20 coins: EA licence code/ }).click();
    await shown(redeem, redeem.getByRole('textbox', { name: 'Your reward' }));
    const code = await redeem.getByRole('textbox', { name: 'Your reward' }).inputValue();
    expect(code).toMatch(/^EA-[A-Z2-9]{12}$/);

    await page.goto(`${wp.url}/?page_id=${walletPage}`);
    await page.reload();
    const wallet = widgetOf(page, 'wallet');
    await shown(wallet, wallet.getByRole('tab', { name: 'What I bought' }));
    await wallet.getByRole('tab', { name: 'What I bought' }).click();
    await shown(wallet, wallet.getByRole('textbox', { name: 'Your code' }));
    expect(await wallet.getByRole('textbox', { name: 'Your code' }).inputValue()).toBe(code);

    // Two credited recharges and the redemption: three unread, in the bell of the admin bar.
    const bell = page.locator('#wp-admin-bar-goldcoin-bell goldcoin-widget');
    await shown(bell, bell.getByRole('button', { name: 'Notifications, 3 unread' }));
    await page.locator('#wpadminbar').screenshot({ path: '/tmp/goldcoin-e2e-admin-bar-bell.png' });
    await bell.getByRole('button', { name: 'Notifications, 3 unread' }).click();
    await shown(bell, bell.getByText(`Your code: ${code}.`));
    await shown(bell, bell.getByRole('button', { name: 'Notifications', exact: true }));
    await page.screenshot({ path: '/tmp/goldcoin-e2e-bell-open-1366.png' });
    await page.reload();
    await shown(widgetOf(page, 'bell'), widgetOf(page, 'bell').getByRole('button', { name: 'Notifications', exact: true }));
    // In wp-admin too.
    await page.goto(`${wp.url}/wp-admin/profile.php`);
    await shown(widgetOf(page, 'bell'), widgetOf(page, 'bell').getByRole('button', { name: 'Notifications', exact: true }));
    await context.close();
  });

  it('in Chinese, at 1366 and 390 px: the wallet tabs and the bell read in the reader’s language with no label wrapped, and the bell stays in a phone’s admin bar', async () => {
    for (const width of [1366, 390]) {
      const { context, page } = await loggedIn(ZH_READER, width);
      await page.goto(`${wp.url}/?page_id=${walletPage}`);
      const wallet = widgetOf(page, 'wallet');
      await shown(wallet, wallet.getByRole('tab', { name: '我的支付' }));
      const heights = await wallet.getByRole('tab').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
      expect(new Set(heights).size, 'every tab one line high').toBe(1);
      await wallet.getByRole('tab', { name: '我的支付' }).click();
      await shown(wallet, wallet.getByText('暂无记录。'));
      await page.screenshot({ path: `/tmp/goldcoin-e2e-wallet-zh-${width}.png`, fullPage: true });
      expect(await widgetOf(page, 'bell').getAttribute('locale')).toBe('zh_CN');
      // The admin bar hides most of its items on a phone; the bell stays where people look.
      await shown(widgetOf(page, 'bell'), widgetOf(page, 'bell').getByRole('button', { name: '通知', exact: true }));
      expect(await widgetOf(page, 'bell').isVisible()).toBe(true);
      await context.close();
    }
    expect(zhReaderId).toBeGreaterThan(0);
  });
});

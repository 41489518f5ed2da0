// Button labels in Chinese, in Debian's Chromium at a desktop and a phone width: every button and button-styled link of
// the payment, recharge, unlock (with a licence key), wallet, VIP, redeem, referral and licences views keeps its label on
// one line (a flex row once squeezed the payment view's copy buttons to one character a line). Also what the payment view
// repeats of the purchase, and the title a reward link shows. Screenshots go to /tmp/goldcoin-labels-<view>-<width>.png.
import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { seedTiers } from '../../sidecar/src/membership/tiers.js';
import { mintToken } from '../support/app.js';
import { buildWidget, launchBrowser } from '../support/browser.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';
import { insertPricedPost, setPostMeta } from '../support/wp-content.js';
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
      RATE_LIMIT_RECHARGE: '100',
      REWARDS_CATALOG: JSON.stringify([
        { key: 'vip-group', title: 'VIP 交流群', cost_coins: 10, fulfilment: 'link', value: 'https://t.me/+vipInvite0123456789' },
        { key: 'premium-ea', title: 'Premium EA', cost_coins: 10, fulfilment: 'code', value: 'EA-' },
      ]),
    },
  });
  await seedTiers(tdb.db, h.config.vip.seedTiers);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await host?.close();
  await tdb?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function reader(coins: number) {
  const userId = await createWpUser(tdb.db);
  if (coins > 0) {
    const r = await applyMovement(tdb.db, { userId, deltaCoins: coins, kind: 'adjustment', idempotencyRef: `labels:${userId}`, actor: 'test' });
    expect(r.ok).toBe(true);
  }
  return { userId, token: await mintToken(userId, { locale: 'zh_CN' }) };
}

async function open(size: { width: number; height: number }, view: string, attrs: Record<string, string | number>): Promise<Page> {
  const page = await browser.newPage({ viewport: size });
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(host.page(element(view, { api: h.url, locale: 'zh-CN', ...attrs }, null)));
  return page;
}

/**
 * Each visible button and button-styled link in the widget with the number of lines its label takes: the distinct
 * tops of its text's line boxes (a label split over lines has one client rect per line).
 */
function labelLines(page: Page): Promise<{ text: string; lines: number; widthPx: number }[]> {
  return page.evaluate(() => {
    const root = document.querySelector('goldcoin-widget')!.shadowRoot!;
    return [...root.querySelectorAll<HTMLElement>('button, .btn')]
      .filter((el) => el.getClientRects().length > 0 && el.textContent!.trim() !== '')
      .map((el) => {
        const range = document.createRange();
        range.selectNodeContents(el);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        return { text: el.textContent!.trim(), lines: tops.size, widthPx: el.getBoundingClientRect().width };
      });
  });
}

async function expectOneLineLabels(page: Page, name: string, atLeast: string[]) {
  await page.locator('goldcoin-widget').screenshot({ path: `/tmp/goldcoin-labels-${name}.png`, animations: 'disabled' });
  const labels = await labelLines(page);
  expect(labels.map((l) => l.text)).toEqual(expect.arrayContaining(atLeast));
  for (const l of labels) expect(l.lines, `${name}: "${l.text}" on one line (${l.widthPx} px wide)`).toBe(1);
}

describe.each(WIDTHS)('zh-CN at $width px', (size) => {
  test('the payment view: copy buttons and links on one line, and the coins and price being bought at its top', async () => {
    const r = await reader(0);
    const page = await open(size, 'recharge', { token: r.token });
    await page.locator('label.pk', { hasText: '¥52.00' }).click();
    await expectOneLineLabels(page, `recharge-${size.width}`, ['前往支付']);
    await page.getByRole('button', { name: '前往支付' }).click();
    await page.getByRole('img', { name: '支付二维码' }).waitFor();
    await page.getByRole('textbox', { name: '收款地址' }).waitFor();
    // The simulator's package of 52 coins for ¥52.00, no bonus: named before the amount to send.
    const bought = page.locator('goldcoin-widget .c > p.row').first();
    expect((await bought.textContent())?.replace(/\s+/g, ' ')).toBe('您购买 52¥52.00');
    await expectOneLineLabels(page, `payment-${size.width}`, ['复制', '复制']);
    // The copy button keeps at least its label's width: two Chinese characters of 13 px plus its padding.
    for (const b of await labelLines(page)) if (b.text === '复制') expect(b.widthPx).toBeGreaterThanOrEqual(2 * 13 + 24);
    await page.close();
  });

  test('the unlock, wallet, VIP and redeem views: every label on one line; a reward link shows its title, not its URL', async () => {
    const r = await reader(100);
    const { postId } = await insertPricedPost(tdb.db, 30, { title: 'Gold Scalper EA', filePath: '2026/11/GoldScalper-v3.ex4' });
    let page = await open(size, 'unlock', { token: r.token, 'post-id': postId });
    await page.getByRole('button', { name: /30/ }).waitFor();
    await expectOneLineLabels(page, `unlock-${size.width}`, []);
    await page.close();

    page = await open(size, 'wallet', { token: r.token });
    await page.locator('goldcoin-widget .hero .coin').waitFor();
    await expectOneLineLabels(page, `wallet-${size.width}`, []);
    await page.close();

    page = await open(size, 'vip', { token: r.token });
    await page.getByRole('button', { name: /使用 200 金币购买/ }).waitFor();
    await expectOneLineLabels(page, `vip-${size.width}`, []);
    await page.close();

    page = await open(size, 'redeem', { token: r.token });
    await page.getByRole('button', { name: '使用 10 金币兑换: VIP 交流群' }).click();
    const link = page.locator('goldcoin-widget .done a.btn');
    await link.waitFor();
    expect(await link.textContent()).toBe('VIP 交流群');
    expect(await link.getAttribute('href')).toBe('https://t.me/+vipInvite0123456789');
    await expectOneLineLabels(page, `redeem-${size.width}`, ['VIP 交流群']);
    await page.close();
  });

  test('the referral view: the copy button of the link on one line', async () => {
    const r = await reader(0);
    const page = await open(size, 'referral', { token: r.token });
    await page.getByRole('img', { name: '邀请链接二维码' }).waitFor();
    await page.getByText('您邀请的好友').waitFor();
    await expectOneLineLabels(page, `referral-${size.width}`, ['复制']);
    await page.close();
  });

  test('the unlock view with its licence key and the licences view: copy and release on one line', async () => {
    const r = await reader(100);
    const { postId } = await insertPricedPost(tdb.db, 30, { title: 'Gold Scalper EA' });
    await setPostMeta(tdb.db, postId, '_goldcoin_ea_product', 'gold-scalper');
    let page = await open(size, 'unlock', { token: r.token, 'post-id': postId });
    await page.getByRole('button', { name: '使用 30 金币解锁' }).click();
    const key = page.getByRole('textbox', { name: '您的授权码' });
    await key.waitFor();
    await expectOneLineLabels(page, `unlock-licence-${size.width}`, ['复制']);
    const verified = await fetch(`${h.url}/api/licenses/verify`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: await key.inputValue(), account: '88001234', account_type: 'real', server: 'ICMarkets-Live07', product_id: 'gold-scalper', nonce: 'n'.repeat(16) }),
    });
    expect(((await verified.json()) as { reason: string }).reason).toBe('activated');
    await page.close();
    page = await open(size, 'licenses', { token: r.token });
    await page.getByRole('button', { name: '解除绑定 88001234' }).waitFor();
    await expectOneLineLabels(page, `licenses-${size.width}`, ['复制', '解除绑定']);
    await page.close();
  });
});

// A view part asked for ahead of its use (here the payment view, fetched while the recharge is created) can land, on a
// loaded machine, after its placeholder has painted but before the placeholder's effect has run; the placeholder must
// still give way. That order is made here on purpose: animation frames are stopped and, from the click that creates
// the recharge, Preact's effect timers (35 ms) are held; the payment chunk is let through once the placeholder is on
// screen, and the effects run only after the chunk's module has been evaluated.
test('a view part whose chunk lands between its placeholder and its effect still shows', async () => {
  const r = await reader(0);
  const page = await browser.newPage({ viewport: WIDTHS[1] });
  page.setDefaultTimeout(WAIT_MS);
  await page.addInitScript(() => {
    const w = window as unknown as { held: (() => void)[] | null; releaseEffects(): void };
    window.requestAnimationFrame = () => 0;
    w.held = null;
    const later = window.setTimeout;
    window.setTimeout = ((fn: () => void, ms?: number) => {
      if (ms === 35 && w.held) return void w.held.push(fn);
      return later(fn, ms);
    }) as typeof window.setTimeout;
    w.releaseEffects = () => {
      const fns = w.held ?? [];
      w.held = null;
      for (const fn of fns) fn();
    };
  });
  let chunk = '';
  let placeholder!: () => void;
  const painted = new Promise<void>((resolve) => (placeholder = resolve));
  await page.route(/\/goldcoin-Payment-[\w-]+\.js$/, async (route) => {
    chunk = route.request().url();
    await painted;
    await route.continue();
  });
  await page.goto(host.page(element('recharge', { api: h.url, locale: 'zh-CN', token: r.token }, null)));
  const widget = page.locator('goldcoin-widget');
  const pay = widget.getByRole('button', { name: '前往支付' });
  await pay.waitFor();
  await page.evaluate(() => void ((window as unknown as { held: unknown[] }).held = []));
  await pay.click();
  await widget.getByRole('status').waitFor();
  expect(chunk).not.toBe('');
  placeholder();
  // A string, so the test runner's transform leaves the page's own import() alone.
  await page.evaluate(`import(${JSON.stringify(chunk)}).then(() => new Promise((r) => setTimeout(r, 0))).then(() => releaseEffects())`);
  await widget.getByRole('img', { name: '支付二维码' }).waitFor();
  await page.close();
});

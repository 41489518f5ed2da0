// The admin view's payment detail in Debian's Chromium against a real sidecar, MariaDB and the CoinPayments simulator:
// a held (underpaid) payment is opened from the list, its IPN log read, and resolved exactly once; the referral report.
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { seedTiers } from '../../sidecar/src/membership/tiers.js';
import { trimDecimal } from '../../sidecar/src/payments/decimal.js';
import { mintToken } from '../support/app.js';
import { buildWidget, launchBrowser } from '../support/browser.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';

const WAIT_MS = 15_000;

let dir: string;
let tdb: TestDatabase;
let h: PaymentsHarness;
let host: Server;
let origin: string;
let browser: Browser;
let adminId: number;
let adminToken: string;

beforeAll(async () => {
  [dir, tdb] = await Promise.all([buildWidget(), createTestDatabase(import.meta.filename)]);
  // The host site: one page per request, the widget element with its attributes from the query string.
  host = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    if (url.pathname === '/goldcoin-admin.js') {
      void readFile(join(dir, 'goldcoin-admin.js')).then((js) => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(js));
      return;
    }
    const attrs = [...url.searchParams].map(([k, v]) => `${k}="${v.replace(/"/g, '&quot;')}"`).join(' ');
    res
      .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end(`<!doctype html><meta charset="utf-8"><title>admin</title><goldcoin-widget ${attrs}></goldcoin-widget><script async src="/goldcoin-admin.js"></script>`);
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;
  h = await startPaymentsHarness(tdb, { env: { CORS_ORIGINS: origin, RECHARGE_UNDERPAYMENT: 'hold', RATE_LIMIT_RECHARGE: '100' } });
  adminId = await createWpUser(tdb.db);
  adminToken = await mintToken(adminId, { caps: ['read', 'manage_options'] });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await new Promise((resolve) => host?.close(resolve));
  await tdb?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let keySeq = 0;

/** A buyer's recharge of 1000 coins (+100 bonus, 140 USDT) paid through the simulator: in full, or short and so held. */
async function payment(underpayPercent?: number, received?: string) {
  const user = await createWpUser(tdb.db);
  const res = await h.call('POST', '/api/recharges', {
    token: await mintToken(user),
    body: { coins: 1000, method: 'USDT' },
    headers: { 'Idempotency-Key': `admin-browser-${keySeq++}` },
  });
  expect(res.status).toBe(201);
  const { id, payment: p } = (await res.json()) as { id: number; payment: { txn_id: string; amount: string } };
  await h.sim.pay(p.txn_id, underpayPercent ? { underpayPercent } : received ? { received } : {});
  const row = await rechargeRow(id);
  expect([row.status, row.hold_reason]).toEqual(underpayPercent || received ? ['pending', 'underpaid'] : ['completed', null]);
  return { user, id, txnId: p.txn_id, amount: p.amount };
}

const rechargeRow = (id: number) => tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const resolutions = (id: number) => tdb.db.selectFrom('payment_resolutions').selectAll().where('recharge_id', '=', id).execute();

async function openAdmin(locale = 'en'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 720, height: 1100 } });
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(`${origin}/?${new URLSearchParams({ view: 'admin', api: h.url, token: adminToken, locale })}`);
  return page;
}

/** Lists the payments on hold (or all of them) and opens one from its row's button, by keyboard. */
async function openPayment(page: Page, id: number, onHold: boolean) {
  await page.getByRole('columnheader', { name: 'Status' }).waitFor();
  if (onHold) {
    await page.getByRole('checkbox', { name: 'On hold' }).check();
    await page.getByRole('button', { name: 'Search' }).click();
    // Earlier tests completed payments: once the filtered page replaces the full one, every row is on hold.
    await page.getByRole('row', { name: /Completed/ }).first().waitFor({ state: 'detached' });
    const rows = page.getByRole('row').filter({ has: page.getByRole('cell') });
    expect(await rows.count()).toBe(await rows.filter({ hasText: 'On hold' }).count());
    await shot(page, 'admin-payments-on-hold');
  }
  await page.getByRole('button', { name: `Details of payment #${id}` }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: `Payment #${id}` }).waitFor();
  await page.getByRole('heading', { name: 'IPN log' }).waitFor();
}

async function shot(page: Page, name: string) {
  await page.locator('goldcoin-widget').screenshot({ path: `/tmp/goldcoin-${name}.png`, animations: 'disabled' });
}

describe('admin payment detail', () => {
  test('a held payment: its fields and IPN log, resolved with "Credit what arrived" for the proportional credit', async () => {
    const p = await payment(25);
    const page = await openAdmin();
    await openPayment(page, p.id, true);
    const row = await rechargeRow(p.id);
    const value = (term: string) => page.locator('dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');
    expect(await value('Status').textContent()).toBe('Pending · On hold: underpaid');
    expect(await value('Transaction ID').textContent()).toBe(p.txnId);
    // As the buyer's payment view showed them: no DECIMAL(30,10) trailing zeros (7.28, not 7.2800000000).
    expect(await value('Received').textContent()).toBe(`${trimDecimal(row.received_amount!)} ${row.crypto_currency}`);
    expect(await value('Crypto amount').textContent()).toBe(`${p.amount} ${row.crypto_currency}`);
    expect(row.crypto_amount).toMatch(/0$/);
    const ipns = await tdb.db.selectFrom('ipn_log').select(['verdict', 'reason']).where('txn_id', '=', p.txnId).orderBy('id', 'desc').execute();
    expect(ipns.length).toBeGreaterThan(0);
    const ipnRows = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'Processed' }) });
    expect(await ipnRows.count()).toBe(ipns.filter((x) => x.verdict === 'processed').length);
    // Each reason in words, its code beside it for support.
    for (const x of ipns) {
      const cell = page.getByRole('cell').filter({ hasText: new RegExp(`\\. ${x.reason.replace(/[:_]/g, '.')}$`) }).first();
      await cell.waitFor();
    }
    expect(ipns.map((x) => x.reason)).toContain('hold:underpaid');
    await page.getByRole('cell', { name: 'Less than the amount asked arrived: held for a decision. hold:underpaid', exact: true }).first().waitFor();
    await shot(page, 'admin-payment-held');

    await page.getByLabel('Reason').fill('Buyer confirmed the short payment');
    await page.getByRole('button', { name: 'Credit what arrived' }).click();
    const done = page.getByRole('status').filter({ hasText: `Resolved by admin:${adminId}` });
    await done.waitFor();
    expect(await done.textContent()).toContain('Credit what arrived, 750 + 0 coins credited. Reason: Buyer confirmed the short payment');
    expect(await page.getByRole('button', { name: 'Credit what arrived' }).count()).toBe(0);
    expect(await value('Status').textContent()).toBe('Completed');
    await page.locator('li', { hasText: 'Recharge' }).filter({ hasText: '+750' }).waitFor();
    expect(await page.locator('li', { hasText: 'Bonus' }).count()).toBe(0);
    // 75% of the quote arrived: 75% of the coins, which are below the frozen 1000:10 tier, so no bonus.
    const after = await rechargeRow(p.id);
    expect([after.status, after.coins_credited, after.bonus_credited]).toEqual(['completed', 750, 0]);
    expect(await readBalance(tdb.db, p.user)).toBe(750);
    expect((await checkInvariants(tdb.db, [p.user])).problems).toEqual([]);
    await shot(page, 'admin-payment-resolved');

    // Back in the list, the row shows its new state and has the keyboard focus again.
    await page.getByRole('button', { name: 'Back to the list' }).click();
    const back = page.getByRole('button', { name: `Details of payment #${p.id}` });
    await back.waitFor();
    expect(await back.evaluate((el) => (el.getRootNode() as ShadowRoot).activeElement === el)).toBe(true);
    expect(await page.getByRole('row', { name: new RegExp(`#${p.id} .*Completed`) }).count()).toBe(1);
    await page.close();
  });

  test('a double click resolves once, and a retry after a lost answer reuses its Idempotency-Key', async () => {
    const page = await openAdmin();
    const keys: string[] = [];
    await page.route('**/resolve', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      return route.continue();
    });

    const first = await payment(40);
    await openPayment(page, first.id, true);
    await page.getByLabel('Reason').fill('Double clicked');
    await page.getByRole('button', { name: 'Credit what arrived' }).dblclick();
    await page.getByRole('status').filter({ hasText: 'Resolved by' }).waitFor();
    expect(keys).toHaveLength(1);
    expect(await resolutions(first.id)).toHaveLength(1);
    expect(await readBalance(tdb.db, first.user)).toBe(600);

    // The answer to the first attempt is lost after the sidecar resolved the payment: the retry sends the
    // same key, gets the stored answer, and nothing is credited twice.
    const second = await payment(40);
    await page.unroute('**/resolve');
    keys.length = 0;
    await page.route('**/resolve', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key'] ?? '');
      if (keys.length > 1) return route.continue();
      await route.fetch();
      return route.abort('failed');
    });
    await page.getByRole('button', { name: 'Back to the list' }).click();
    await page.getByRole('button', { name: 'Search' }).click();
    await openPayment(page, second.id, false);
    await page.getByLabel('Reason').fill('Retried after a network error');
    await page.getByRole('button', { name: 'Credit what arrived' }).click();
    await page.getByRole('alert').filter({ hasText: 'Cannot reach the server.' }).waitFor();
    expect(await resolutions(second.id)).toHaveLength(1);
    await page.getByRole('button', { name: 'Credit what arrived' }).click();
    await page.getByRole('status').filter({ hasText: 'Resolved by' }).waitFor();
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
    expect(await resolutions(second.id)).toHaveLength(1);
    expect(await readBalance(tdb.db, second.user)).toBe(600);
    expect((await checkInvariants(tdb.db, [first.user, second.user])).problems).toEqual([]);
    await page.close();
  });

  test('a payment resolved meanwhile by someone else says so and shows its new state', async () => {
    const p = await payment(25);
    const page = await openAdmin();
    await openPayment(page, p.id, true);
    const other = await h.call('POST', `/api/admin/payments/${p.id}/resolve`, {
      token: adminToken,
      body: { action: 'reject', reason: 'refunded on chain' },
      headers: { 'Idempotency-Key': `admin-browser-${keySeq++}` },
    });
    expect(other.status).toBe(200);
    await page.getByLabel('Reason').fill('Too late');
    await page.getByRole('button', { name: 'Credit the full amount' }).click();
    await page.getByRole('alert').filter({ hasText: 'This payment is no longer on hold: reload to see its state.' }).waitFor();
    await page.getByText('Reject, 0 + 0 coins credited. Reason: refunded on chain').waitFor();
    expect(await page.getByRole('button', { name: 'Credit the full amount' }).count()).toBe(0);
    expect(await readBalance(tdb.db, p.user)).toBe(0);
    await page.close();
  });

  test('"Credit what arrived" when too little arrived for one coin says so and keeps the payment on hold', async () => {
    const p = await payment(undefined, '0.1');
    const page = await openAdmin();
    await openPayment(page, p.id, true);
    await page.getByLabel('Reason').fill('Dust only');
    await page.getByRole('button', { name: 'Credit what arrived' }).click();
    await page.getByRole('alert').filter({ hasText: 'Nothing was received: credit the full amount or reject it.' }).waitFor();
    expect(await resolutions(p.id)).toHaveLength(0);
    await page.getByRole('button', { name: 'Reject' }).click();
    await page.getByRole('status').filter({ hasText: 'Reject, 0 + 0 coins credited. Reason: Dust only' }).waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    expect(await rechargeRow(p.id)).toMatchObject({ status: 'failed', failed_reason: 'rejected', hold_reason: null });
    expect(await readBalance(tdb.db, p.user)).toBe(0);
    await page.close();
  });

  test('the detail of a completed payment has no resolve buttons', async () => {
    const p = await payment();
    const page = await openAdmin();
    await openPayment(page, p.id, false);
    await page.getByRole('cell', { name: 'Processed' }).first().waitFor();
    await page.locator('li', { hasText: 'Recharge' }).filter({ hasText: '+1000' }).waitFor();
    for (const name of ['Credit what arrived', 'Credit the full amount', 'Reject']) {
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    }
    expect(await page.getByLabel('Reason').count()).toBe(0);
    await shot(page, 'admin-payment-completed');
    await page.close();
  });

  test('zh-CN: the detail and the resolve actions of a held payment are in Chinese', async () => {
    const p = await payment(25);
    const page = await openAdmin('zh-CN');
    await page.getByRole('checkbox', { name: '待人工处理' }).check();
    await page.getByRole('button', { name: '搜索' }).click();
    await page.getByRole('button', { name: `支付 #${p.id} 详情` }).click();
    await page.getByRole('heading', { name: `支付 #${p.id}` }).waitFor();
    for (const name of ['按实收金额入账', '按全额入账', '拒绝', '返回列表']) await page.getByRole('button', { name }).waitFor();
    await page.getByText('待人工处理（少付）').waitFor();
    await page.getByRole('heading', { name: 'IPN 记录' }).waitFor();
    await shot(page, 'admin-payment-zh');
    await page.close();
  });
});

describe('admin referral report', () => {
  /** A referrer with three referees: one rewarded, one beyond the cap, one who has not paid yet. */
  async function referrals() {
    const referrer = await createWpUser(tdb.db, `referrer_${keySeq++}`);
    const [paid, capped, waiting] = [await createWpUser(tdb.db), await createWpUser(tdb.db), await createWpUser(tdb.db)];
    const decided = new Date('2026-11-20T10:00:00Z');
    await tdb.db
      .insertInto('referral_bindings')
      .values([
        { referee_user_id: paid, referrer_user_id: referrer, reward_coins: 50, outcome: 'rewarded', decided_at: decided, rewarded_at: decided, rewarded_recharge_id: null },
        { referee_user_id: capped, referrer_user_id: referrer, reward_coins: 50, outcome: 'cap_reached', decided_at: decided, rewarded_at: null, rewarded_recharge_id: null },
        { referee_user_id: waiting, referrer_user_id: referrer, reward_coins: 50, rewarded_at: null, rewarded_recharge_id: null },
      ])
      .execute();
    return { referrer, paid, capped, waiting };
  }

  test('lists referrer, referee, outcome and reward, and filters by outcome, in English and Chinese', async () => {
    const r = await referrals();
    for (const [locale, tab, capped, counted, outcome] of [
      ['en', 'Referrals', 'Not counted: cap reached', 'Counted: +50 coins', 'Outcome'],
      ['zh-CN', '推荐记录', '未计入：已达奖励上限', '已计入：+50 金币', '结果'],
    ] as const) {
      const page = await openAdmin(locale);
      await page.getByRole('tab', { name: tab }).click();
      await page.getByRole('columnheader', { name: outcome }).waitFor();
      const row = (user: number) => page.getByRole('row').filter({ hasText: `#${user}` }).filter({ hasText: `#${r.referrer}` });
      await row(r.capped).filter({ hasText: capped }).waitFor();
      await row(r.paid).filter({ hasText: counted }).waitFor();
      expect(await row(r.paid).getByRole('cell').last().innerText()).toBe('50');
      await row(r.waiting).waitFor();
      await shot(page, `admin-referrals-${locale}`);
      await page.getByRole('combobox', { name: outcome }).selectOption('cap_reached');
      await page.getByRole('textbox').first().fill(String(r.referrer));
      await page.getByRole('button', { name: locale === 'en' ? 'Search' : '搜索' }).click();
      await row(r.paid).waitFor({ state: 'detached' });
      expect(await page.getByRole('row').filter({ has: page.getByRole('cell') }).count()).toBe(1);
      await row(r.capped).waitFor();
      await page.close();
    }
  });
});

describe('admin VIP tier editor', () => {
  // The tiers a fresh install starts with (VIP_TIERS), as the sidecar's start-up writes them.
  beforeAll(() => seedTiers(tdb.db, h.config.vip.seedTiers));
  const tierRow = (key: string) => tdb.db.selectFrom('vip_tiers').selectAll().where('tier_key', '=', key).executeTakeFirst();
  /** One tier's form, found by its legend (title and key). */
  const tierForm = (page: Page, key: string) => page.getByRole('form', { name: new RegExp(`\\(${key}\\)`) });
  const newForm = (page: Page, name = 'New tier') => page.getByRole('form', { name });

  async function openTiers(locale = 'en', width = 720) {
    const page = await openAdmin(locale);
    await page.setViewportSize({ width, height: 1400 });
    await page.getByRole('tab', { name: locale === 'en' ? 'VIP tiers' : 'VIP 等级' }).click();
    return page;
  }

  test('edits a seeded tier, shows each refused field and saves nothing then, creates a tier, refuses its key twice, retires it', async () => {
    const page = await openTiers();
    const group = tierForm(page, 'vip-group');
    await group.waitFor();
    // The lifetime tier has no length to type, only the box ticked.
    const lifetime = tierForm(page, 'lifetime');
    expect(await lifetime.getByRole('checkbox', { name: 'Lifetime' }).isChecked()).toBe(true);
    expect(await lifetime.getByRole('textbox', { name: 'Days' }).count()).toBe(0);
    await shot(page, 'admin-vip-tiers');

    const before = await tierRow('vip-group');
    await group.getByRole('textbox', { name: 'Title' }).fill(' ');
    await group.getByRole('textbox', { name: 'Price in coins' }).fill('12.5');
    await group.getByRole('textbox', { name: 'Days' }).fill('40000');
    await group.getByRole('textbox', { name: /^WordPress role/ }).fill('VIP Members');
    await group.getByRole('button', { name: 'Save tier' }).click();
    await group.getByRole('alert').filter({ hasText: 'Nothing was saved: correct the marked fields.' }).waitFor();
    for (const text of ['Enter a title.', 'Enter a whole number.', 'Must be at most 36500.', 'Enter a WordPress role name like goldcoin_vip: lower-case letters, digits, - or _.']) {
      await group.getByText(text, { exact: true }).waitFor();
    }
    expect(await group.locator('[aria-invalid=true]').count()).toBe(4);
    expect(await tierRow('vip-group')).toEqual(before);
    await shot(page, 'admin-vip-tiers-refused');

    await group.getByRole('textbox', { name: 'Title' }).fill('VIP group (monthly)');
    await group.getByRole('textbox', { name: 'Price in coins' }).fill('250');
    await group.getByRole('textbox', { name: 'Days' }).fill('31');
    await group.getByRole('textbox', { name: /^WordPress role/ }).fill('goldcoin_vip');
    await group.getByRole('textbox', { name: /^EA downloads per day/ }).fill('');
    await group.getByRole('button', { name: 'Save tier' }).click();
    await group.getByRole('status').filter({ hasText: 'Saved: new purchases use it now.' }).waitFor();
    expect(await group.locator('[aria-invalid=true]').count()).toBe(0);
    expect(await tierRow('vip-group')).toMatchObject({ title: 'VIP group (monthly)', price_coins: 250, days: 31, role: 'goldcoin_vip', daily_downloads: null, active: 1 });
    const audit = await tdb.db.selectFrom('vip_tier_audit').selectAll().where('tier_key', '=', 'vip-group').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect([audit.action, audit.actor]).toEqual(['update', `admin:${adminId}`]);
    // Saving again with nothing changed sends nothing.
    await group.getByRole('button', { name: 'Save tier' }).click();
    await group.getByRole('status').filter({ hasText: 'Nothing changed.' }).waitFor();

    const add = newForm(page);
    await add.getByRole('textbox', { name: 'Key' }).fill('weekly');
    await add.getByRole('textbox', { name: 'Title' }).fill('Weekly pass');
    await add.getByRole('textbox', { name: 'Price in coins' }).fill('60');
    await add.getByRole('textbox', { name: 'Days' }).fill('7');
    await add.getByRole('checkbox', { name: /stay unlocked/ }).check();
    await add.getByRole('button', { name: 'Create tier' }).click();
    await add.getByRole('status').filter({ hasText: 'Tier created: it is on sale now.' }).waitFor();
    const weekly = tierForm(page, 'weekly');
    await weekly.waitFor();
    expect(await tierRow('weekly')).toMatchObject({ title: 'Weekly pass', price_coins: 60, days: 7, keeps_unlocks: 1, active: 1 });
    // The form is blank again; the same key a second time is refused on the key field.
    expect(await add.getByRole('textbox', { name: 'Key' }).inputValue()).toBe('');
    await add.getByRole('textbox', { name: 'Key' }).fill('weekly');
    await add.getByRole('textbox', { name: 'Title' }).fill('Another weekly');
    await add.getByRole('textbox', { name: 'Price in coins' }).fill('70');
    await add.getByRole('button', { name: 'Create tier' }).click();
    await add.getByText('A tier with this key exists.').first().waitFor();
    expect(await add.getByRole('textbox', { name: 'Key' }).getAttribute('aria-invalid')).toBe('true');
    expect(await tierRow('weekly')).toMatchObject({ title: 'Weekly pass', price_coins: 60 });

    await weekly.getByRole('button', { name: 'Retire' }).click();
    await weekly.getByRole('status').filter({ hasText: 'Retired: no longer sold.' }).waitFor();
    await weekly.getByRole('button', { name: 'Put back on sale' }).waitFor();
    expect((await tierRow('weekly'))!.active).toBe(0);
    // A buyer no longer sees it on sale; the edited tier is sold at its new price.
    const sale = (await (await h.call('GET', '/api/vip', { token: await mintToken(await createWpUser(tdb.db)) })).json()) as { tiers: Array<{ key: string; price_coins: number }> };
    expect(sale.tiers.map((x) => x.key)).not.toContain('weekly');
    expect(sale.tiers.find((x) => x.key === 'vip-group')?.price_coins).toBe(250);
    for (const width of [1366, 390]) {
      await page.setViewportSize({ width, height: 1400 });
      await shot(page, `admin-vip-tiers-en-${width}`);
    }
    await page.close();
  });

  test('zh-CN at 1366 and 390 px: the tier editor and its refusals are in Chinese, nothing cut or wrapped mid-word in a button', async () => {
    for (const width of [1366, 390]) {
      const page = await openTiers('zh-CN', width);
      const yearly = tierForm(page, 'yearly');
      await yearly.getByRole('textbox', { name: '价格（金币）' }).fill('0');
      await yearly.getByRole('button', { name: '保存等级' }).click();
      await yearly.getByText('不能小于 1。').waitFor();
      await yearly.getByRole('alert').filter({ hasText: '未保存：请修改标出的字段。' }).waitFor();
      await newForm(page, '新建等级').getByRole('button', { name: '创建等级' }).waitFor();
      // Each button's label stays on one line (its text is one box), at either width.
      const buttons = page.locator('.vt .btn');
      expect(await buttons.count()).toBeGreaterThan(6);
      for (let i = 0; i < (await buttons.count()); i++) {
        const lines = await buttons.nth(i).evaluate((b) => {
          const range = document.createRange();
          range.selectNodeContents(b);
          return range.getClientRects().length;
        });
        expect(lines, await buttons.nth(i).innerText()).toBe(1);
      }
      await shot(page, `admin-vip-tiers-zh-${width}`);
      await page.close();
    }
    expect((await tierRow('yearly'))!.price_coins).toBe(2000);
  });
});

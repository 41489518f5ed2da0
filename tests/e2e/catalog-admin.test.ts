// The catalog edited in a real wp-admin with Chromium: a package price and a bonus tier changed, the visitor's next quote
// using them with no restart, a bad value refused beside its field with nothing saved, the change log; the Users column,
// sorted by balance, and a profile adjustment; screenshots at desktop width in English and Simplified Chinese.
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logInToWordPress } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { startE2eSite, type E2eSite } from '../support/e2e-site.js';
import { loopbackHost, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host (issue 14). */
const HOST = loopbackHost(14);
const CP = { publicKey: 'cat_public_key', privateKey: 'cat_private_key', merchantId: 'cat_merchant', ipnSecret: 'cat_ipn_secret' };
const READER = { login: 'buyer', password: 'buyer-pass-1', email: 'buyer@example.test' };
const OWNER_ZH = { login: 'dianzhu', password: 'dianzhu-pass-1', email: 'dianzhu@example.test' };
const UI_TIMEOUT_MS = 20_000;
const LOGIN_TIMEOUT_MS = 45_000;

let site: E2eSite | undefined;
let wp: WordPressSite;
let tdb: TestDatabase;
let browser: Browser;
let readerId: number;
let rechargePageId: number;

async function loggedIn(login: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  await logInToWordPress(page, wp.url, login, password, LOGIN_TIMEOUT_MS);
  return { context, page };
}

// The page's widget, not the notifications bell the admin bar carries on every page.
const widgetIn = (page: Page): Locator => page.locator('goldcoin-widget:not([view="bell"])');
const catalogVersion = async () => Number((await tdb.db.selectFrom('catalog_version').select('version').executeTakeFirstOrThrow()).version);

async function openCatalog(page: Page): Promise<Locator> {
  await page.goto(`${wp.url}/wp-admin/admin.php?page=goldcoin`);
  const widget = widgetIn(page);
  await widget.getByRole('tab', { name: /Catalog|商品与价格/ }).click();
  await widget.locator('input[name="packages.2.price"]').waitFor();
  return widget;
}

/** The visitor's recharge page: the package of 200 coins as the widget offers it. */
async function package200(page: Page): Promise<Locator> {
  await page.goto(`${wp.url}/?page_id=${rechargePageId}`);
  const option = widgetIn(page).locator('label.pk').filter({ hasText: /^200/ });
  await option.waitFor();
  return option;
}

beforeAll(async () => {
  site = await startE2eSite({ name: 'catalog', host: HOST, simulator: CP });
  ({ wp, tdb, browser } = site);
  const made = await wp.setup<{ id: number }[]>([
    { op: 'user', ...READER, role: 'subscriber', name: 'Bea Buyer' },
    { op: 'user', ...OWNER_ZH, role: 'administrator', locale: 'zh_CN', name: '店主' },
    { op: 'post', title: 'Top up', content: '[goldcoin_recharge]', type: 'page' },
  ]);
  [readerId, , rechargePageId] = made.map((r) => r.id) as [number, number, number];
}, 180_000);

afterAll(async () => {
  await site?.close();
});

describe('the catalog in wp-admin', () => {
  it('refuses a bad price beside its field and saves nothing; a good package price and bonus tier reach the next quote at once', async () => {
    const visitor = await loggedIn(READER.login, READER.password);
    const before = await package200(visitor.page);
    expect(await before.innerText()).toContain('¥200.00');
    expect(await before.innerText()).not.toMatch(/\+\d+/);

    const owner = await loggedIn(wp.admin.user, wp.admin.password);
    const widget = await openCatalog(owner.page);
    const version = await catalogVersion();
    await widget.locator('input[name="packages.2.price"]').fill('1.005');
    await widget.getByRole('button', { name: 'Save changes' }).click();
    await widget.getByText('Nothing was saved: correct the marked fields.').waitFor();
    const refused = widget.locator('label.bad').filter({ has: owner.page.locator('input[name="packages.2.price"]') });
    expect(await refused.innerText()).toContain('Enter a price above zero like 52.00 (at most 2 decimals).');
    expect(await catalogVersion()).toBe(version);
    expect(await (await package200(visitor.page)).innerText()).toContain('¥200.00');

    await widget.locator('input[name="packages.2.price"]').fill('180.00');
    await widget.locator('input[name="bonus_tiers.0.min_coins"]').fill('200');
    await widget.locator('input[name="bonus_tiers.0.bonus_percent"]').fill('15');
    await widget.getByRole('button', { name: 'Save changes' }).click();
    await widget.getByText(/Saved: packages, bonus tiers\./).waitFor();
    expect(await catalogVersion()).toBe(version + 1);
    await owner.page.screenshot({ path: '/tmp/goldcoin-catalog-en.png', fullPage: true });

    // The visitor's next page load quotes the new terms; nothing was restarted.
    const after = await package200(visitor.page);
    expect(await after.innerText()).toContain('¥180.00');
    expect(await after.innerText()).toContain('+30');
    await after.click();
    await widgetIn(visitor.page).getByRole('radio', { name: /USDT/ }).check();
    await widgetIn(visitor.page).getByRole('button', { name: /Continue/i }).click();
    await widgetIn(visitor.page).getByText(/Waiting for/i).waitFor();
    const row = await tdb.db.selectFrom('recharge_transactions').selectAll().where('user_id', '=', readerId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ coins: 200, bonus_coins: 30, price_amount: '180.00', price_currency: 'CNY' });

    // The change log names the owner, the parts changed, before and after.
    await widget.getByRole('tab', { name: 'Change log' }).click();
    const log = widget.locator('table.au');
    await log.getByText('180.00').first().waitFor();
    const latest = log.locator('tr').nth(1);
    expect(await latest.innerText()).toMatch(/admin:\d+/);
    const text = await log.innerText();
    expect(text).toContain('bonus tiers');
    expect(text).toContain('min_coins=200 bonus_percent=15');
    expect(text).toContain('Initial settings');
    await owner.page.screenshot({ path: '/tmp/goldcoin-catalog-audit-en.png', fullPage: true });
    await owner.context.close();
    await visitor.context.close();
  });

  it('shows a zh_CN owner the catalog and its refusals in Simplified Chinese', async () => {
    const { context, page } = await loggedIn(OWNER_ZH.login, OWNER_ZH.password);
    const widget = await openCatalog(page);
    await widget.getByText('充值套餐').waitFor();
    await widget.locator('input[name="limits.min_coins"]').fill('999999');
    await widget.locator('input[name="limits.max_coins"]').fill('100');
    await widget.getByRole('button', { name: '保存更改' }).click();
    await widget.getByText('未保存：请修改标出的字段。').waitFor();
    await widget.getByText('不能高于单次最多金币。').waitFor();
    await page.screenshot({ path: '/tmp/goldcoin-catalog-zh.png', fullPage: true });
    await context.close();
  });
});

describe('WordPress user screens', () => {
  it('adjusts a balance from the profile with a reason, once, and shows it in a sortable Coins column', async () => {
    const { context, page } = await loggedIn(wp.admin.user, wp.admin.password);
    await page.goto(`${wp.url}/wp-admin/user-edit.php?user_id=${readerId}`);
    await page.locator('#goldcoin').waitFor();
    expect(await page.locator('.goldcoin-balance').innerText()).toBe('0 coins');
    await page.fill('#goldcoin-delta', '25');
    await page.fill('#goldcoin-reason', 'Goodwill for a late payment');
    await page.click('#submit');
    await page.locator('.goldcoin-adjust-notice').getByText('Adjusted. New balance: 25 coins.').waitFor();
    expect(await page.locator('.goldcoin-balance').innerText()).toBe('25 coins');
    expect(await page.locator('.goldcoin-movements').innerText()).toContain('Goodwill for a late payment');
    await page.screenshot({ path: '/tmp/goldcoin-profile-en.png', fullPage: true });

    // The same form sent again (the browser's resend) replays its Idempotency-Key: no second movement.
    const key = await page.inputValue('input[name="goldcoin_key"]');
    const ledger = () => tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', readerId).where('kind', '=', 'adjustment').execute();
    expect(await ledger()).toHaveLength(1);
    expect((await ledger())[0]).toMatchObject({ delta_coins: 25, memo: 'Goodwill for a late payment' });
    expect(key).toMatch(/^[0-9a-f-]{36}$/);

    await page.goto(`${wp.url}/wp-admin/users.php?orderby=goldcoin_balance&order=desc`);
    const header = page.locator('th#goldcoin_balance');
    expect(await header.innerText()).toContain('Coins');
    expect(await header.locator('a').count()).toBe(1);
    expect(await page.locator('link[href*="goldcoin-admin.css"]').count()).toBe(1);
    const first = page.locator('#the-list tr').first();
    expect(await first.locator('.column-username').innerText()).toContain(READER.login);
    expect(await first.locator('.column-goldcoin_balance').innerText()).toBe('25');
    await page.goto(`${wp.url}/wp-admin/users.php?orderby=goldcoin_balance&order=asc`);
    expect(await page.locator('#the-list tr').last().locator('.column-username').innerText()).toContain(READER.login);
    await page.screenshot({ path: '/tmp/goldcoin-users-en.png', fullPage: true });

    // A subscriber sees their own balance on their profile, without the adjustment form.
    const visitor = await loggedIn(READER.login, READER.password);
    await visitor.page.goto(`${wp.url}/wp-admin/profile.php`);
    expect(await visitor.page.locator('.goldcoin-balance').innerText()).toBe('25 coins');
    expect(await visitor.page.locator('#goldcoin-delta').count()).toBe(0);
    await visitor.context.close();
    await context.close();
  });
});

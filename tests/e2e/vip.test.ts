// A VIP membership bought in a real WordPress and Chromium: [goldcoin_vip], then a "free for VIP" post unlocked for
// nothing, a "VIP price" post at the discount, and the tier's role; then both clocks (the sidecar's injected one,
// WordPress's through libfaketime) moved past the membership's end: the free unlock refused, the post locked again,
// the discounted one kept, the role taken away.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement, readBalance } from '../../sidecar/src/ledger/ledger.js';
import { seedTiers } from '../../sidecar/src/membership/tiers.js';
import { logInToWordPress, shown } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { movableClock } from '../support/payments.js';
import { setPostMeta } from '../support/wp-content.js';
import { startE2eSite, type E2eSite } from '../support/e2e-site.js';
import { loopbackHost, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.41.php for the run. */
const HOST = loopbackHost(41);
const READER = { login: 'vipreader', password: 'vip-reader-pass-1', email: 'vipreader@example.test' };
const ROLE = 'goldcoin_member';
const UI_TIMEOUT_MS = 15_000;
const LOGIN_TIMEOUT_MS = 45_000;

let site: E2eSite | undefined;
let wp: WordPressSite;
let tdb: TestDatabase;
let sidecarUrl: string;
let browser: Browser;
let readerId: number;
let vipPageId: number;
let freePostId: number;
/** A post members buy at a discount (80 coins, 30 for VIP). */
let discountPostId: number;
let walletPageId: number;
let clockDir: string;
/** The sidecar's clock; WordPress's follows it through the offset file (see moveClocks). */
const clock = movableClock();
let offsetS = 0;

/** Moves the sidecar's clock and WordPress's by the same amount, forward only. */
async function moveClocks(byMs: number): Promise<void> {
  clock.advance(byMs);
  offsetS += Math.ceil(byMs / 1000);
  await writeFile(join(clockDir, 'offset'), `+${offsetS}\n`);
}

async function loggedIn(login: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  await logInToWordPress(page, wp.url, login, password, LOGIN_TIMEOUT_MS);
  return { context, page };
}

beforeAll(async () => {
  clockDir = await mkdtemp(join(tmpdir(), 'goldcoin-vip-clock-'));
  await writeFile(join(clockDir, 'offset'), '+0\n');
  site = await startE2eSite({
    name: 'vip',
    host: HOST,
    env: { VIP_TIERS: `monthly:30:200:${ROLE},lifetime:0:5000` },
    clock,
    wordpress: { clockOffsetFile: join(clockDir, 'offset') },
  });
  ({ wp, tdb, sidecarUrl, browser } = site);
  // Seeded once the sidecar is served, still before its first request: every request comes after this hook.
  await seedTiers(tdb.db, site.config.vip.seedTiers);
  const made = await wp.setup<{ id: number }[]>([
    { op: 'user', ...READER, role: 'subscriber', name: 'Vera Vip' },
    { op: 'role', name: ROLE, display: 'VIP member', caps: ['read'] },
    { op: 'post', title: 'Become a VIP', content: '<p>Members read every signal free.</p>\n[goldcoin_vip]' },
    { op: 'post', title: 'Weekly signals', content: '<p>This week in gold.</p>\n[goldcoin_unlock]', price: 50 },
    { op: 'post', title: 'Gold scalper EA', content: '<p>The EA members buy cheaper.</p>\n[goldcoin_unlock]', price: 80 },
    { op: 'post', title: 'My coins', content: '[goldcoin_wallet]' },
  ]);
  [readerId, , vipPageId, freePostId, discountPostId, walletPageId] = made.map((r) => r.id) as [number, number, number, number, number, number];
  await setPostMeta(tdb.db, freePostId, '_goldcoin_vip', 'free');
  await setPostMeta(tdb.db, discountPostId, '_goldcoin_vip', 'discount');
  await setPostMeta(tdb.db, discountPostId, '_goldcoin_vip_price', 30);
  await applyMovement(tdb.db, { userId: readerId, deltaCoins: 280, kind: 'adjustment', idempotencyRef: `seed:${readerId}`, actor: 'test' });
});

afterAll(async () => {
  await site?.close();
  if (clockDir) await rm(clockDir, { recursive: true, force: true });
});

describe('VIP in a real WordPress', () => {
  it('buys a tier in the [goldcoin_vip] widget, unlocks a "free for VIP" post for nothing and a "VIP price" post at the discount, and holds the tier\'s role', async () => {
    const { context, page } = await loggedIn(READER.login, READER.password);
    await page.goto(`${wp.url}/?p=${vipPageId}`);
    const widget = page.locator('goldcoin-widget:not([view="bell"])');
    expect(await widget.getAttribute('view')).toBe('vip');
    const buy = widget.getByRole('button', { name: 'Buy for 200 coins: Monthly' });
    await shown(widget, buy);
    // The lifetime tier costs more than the balance: its button says what is missing.
    expect(await widget.getByRole('button', { name: /Lifetime/ }).textContent()).toBe('4720 more gold coins needed.');
    await buy.click();
    await shown(widget, widget.getByText(/Welcome aboard: your membership runs until/));
    await shown(widget, widget.getByText(/Your membership: Monthly · Active until/));
    await shown(widget, widget.getByRole('button', { name: 'Renew for 200 coins: Monthly' }));

    const membership = await tdb.db.selectFrom('vip_memberships').selectAll().where('user_id', '=', readerId).executeTakeFirstOrThrow();
    expect(membership.tier_key).toBe('monthly');
    expect(membership.expires_at!.getTime() - membership.since.getTime()).toBe(30 * 86_400_000);
    expect(await readBalance(tdb.db, readerId)).toBe(80);

    await page.goto(`${wp.url}/?p=${freePostId}`);
    const unlock = page.locator('goldcoin-widget:not([view="bell"])');
    await shown(unlock, unlock.getByText('Free for VIP members'));
    await unlock.getByRole('button', { name: 'Unlock free with VIP' }).click();
    await shown(unlock, unlock.getByText(/Access until/));
    expect(await readBalance(tdb.db, readerId)).toBe(80);
    const ent = await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', readerId).where('post_id', '=', freePostId).executeTakeFirstOrThrow();
    expect(ent).toMatchObject({ source: 'vip', price_coins: 0 });
    expect(ent.expires_at!.getTime()).toBe(membership.expires_at!.getTime());

    // The "VIP price" post: a member pays the discount, 30 of its 80 coins, and keeps it for good.
    await page.goto(`${wp.url}/?p=${discountPostId}`);
    const discounted = page.locator('goldcoin-widget');
    await shown(discounted, discounted.getByText('VIP price'));
    await discounted.getByRole('button', { name: 'Unlock for 30 coins' }).click();
    await shown(discounted, discounted.getByText('Unlocked'));
    expect(await readBalance(tdb.db, readerId)).toBe(50);
    const paid = await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', readerId).where('post_id', '=', discountPostId).executeTakeFirstOrThrow();
    expect([paid.price_coins, paid.expires_at]).toEqual([30, null]);

    // The wallet shows the tier and when it ends.
    await page.goto(`${wp.url}/?p=${walletPageId}`);
    const wallet = page.locator('goldcoin-widget');
    const ends = membership.expires_at!.toLocaleDateString('en', { dateStyle: 'medium' });
    await shown(wallet, wallet.getByText(`VIP Monthly → ${ends}`));
    await context.close();

    // The plugin applies the tier's role when it next mints a token for the reader.
    const [, , roles] = await wp.setup<[unknown, unknown, { roles: string[] }]>([
      { op: 'delete_option', name: `_transient_goldcoin_grants_checked_${readerId}` },
      { op: 'token', login: READER.login },
      { op: 'user_roles', login: READER.login },
    ]);
    expect(roles.roles.sort()).toEqual([ROLE, 'subscriber']);
    expect((await checkInvariants(tdb.db, [readerId])).problems).toEqual([]);
  });
  it('once the membership has ended, the free unlock is refused, the post is locked again and the role is taken away', async () => {
    const membership = await tdb.db.selectFrom('vip_memberships').selectAll().where('user_id', '=', readerId).executeTakeFirstOrThrow();
    // Both clocks a minute past the end: the sidecar's injected one, and WordPress's, which mints the tokens.
    await moveClocks(membership.expires_at!.getTime() - clock.now().getTime() + 60_000);
    const [{ token }] = (await wp.setup<{ token: string }[]>([{ op: 'token', login: READER.login, post: freePostId }])) as [{ token: string }];
    const iat = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number }).iat;
    expect(Math.abs(iat * 1000 - clock.now().getTime())).toBeLessThan(30_000);

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${sidecarUrl}${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers } });
    const post = (await (await api(`/api/posts/${freePostId}`)).json()) as { unlocked: boolean; your_price_coins: number | null };
    expect([post.unlocked, post.your_price_coins]).toEqual([false, 50]);
    // The widget's "unlock free with VIP", sent now: refused, nothing charged.
    const free = await api(`/api/posts/${freePostId}/unlock`, { method: 'POST', headers: { 'Idempotency-Key': randomBytes(8).toString('hex') }, body: JSON.stringify({ expected_price_coins: 0 }) });
    expect(free.status).toBe(409);
    expect(((await free.json()) as { error: { code: string } }).error.code).toBe('price_changed');
    expect(await readBalance(tdb.db, readerId)).toBe(50);

    // In the browser, logged in again at the new time: the post asks its full price, the free unlock is gone.
    const { context, page } = await loggedIn(READER.login, READER.password);
    await page.goto(`${wp.url}/?p=${freePostId}`);
    const unlock = page.locator('goldcoin-widget');
    await shown(unlock, unlock.getByRole('button', { name: 'Unlock for 50 coins' }));
    expect(await unlock.getByRole('button', { name: 'Unlock free with VIP' }).count()).toBe(0);
    // The post bought at the VIP price stays bought.
    await page.goto(`${wp.url}/?p=${discountPostId}`);
    const kept = page.locator('goldcoin-widget');
    await shown(kept, kept.getByText('Unlocked'));
    // The wallet no longer names a running membership.
    await page.goto(`${wp.url}/?p=${walletPageId}`);
    const wallet = page.locator('goldcoin-widget');
    await shown(wallet, wallet.getByRole('button', { name: 'Recharge' }));
    expect(await wallet.getByText(/^VIP Monthly/).count()).toBe(0);
    await page.goto(`${wp.url}/?p=${vipPageId}`);
    const vip = page.locator('goldcoin-widget');
    await shown(vip, vip.getByRole('button', { name: 'Buy for 200 coins: Monthly' }));
    await context.close();

    // The plugin's next check of the reader's grants takes the membership's role away, and only that one.
    const [, , roles] = await wp.setup<[unknown, unknown, { roles: string[] }]>([
      { op: 'delete_option', name: `_transient_goldcoin_grants_checked_${readerId}` },
      { op: 'token', login: READER.login },
      { op: 'user_roles', login: READER.login },
    ]);
    expect(roles.roles).toEqual(['subscriber']);
    expect((await checkInvariants(tdb.db, [readerId])).problems).toEqual([]);
  });
});

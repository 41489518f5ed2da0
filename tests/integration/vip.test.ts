// VIP memberships, time-limited access and download quotas against real MariaDB, with the clock moved by hand.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../sidecar/src/clock.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { silentLogger } from '../../sidecar/src/log.js';
import { vipExpiryJob } from '../../sidecar/src/membership/expiry-job.js';
import { buyTier, DAY_MS } from '../../sidecar/src/membership/membership.js';
import { getTier, seedTiers } from '../../sidecar/src/membership/tiers.js';
import { mintToken } from '../support/app.js';
import { createWpUser, type TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp } from '../support/seeded.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { insertPricedPost, insertPost, setPostMeta } from '../support/wp-content.js';

let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };
const advanceDays = (days: number) => {
  offsetMs += days * DAY_MS;
};

let tdb: TestDatabase;
let t: SeededApp;
beforeAll(async () => {
  t = await seededApp(import.meta.filename, {
    poolSize: 40,
    clock,
    env: {
      RATE_LIMIT_UNLOCK: '0',
      RATE_LIMIT_REDEEM: '0',
      VIP_TIERS: 'monthly:30:200:goldcoin_vip,yearly:365:2000,lifetime:0:5000',
      VIP_DAILY_DOWNLOADS: '2',
    },
  });
  tdb = t.tdb;
  expect(await seedTiers(tdb.db, t.config.vip.seedTiers)).toBe(3);
});
afterAll(async () => tdb?.drop());
beforeEach(() => {
  offsetMs = 0;
});

/** Tokens are checked against the app's clock: one minted "now" by that clock. */
const tokenOf = (id: number, caps: ('read' | 'manage_options')[] = ['read']) => mintToken(id, { iatOffsetS: Math.floor(offsetMs / 1000), caps });
async function member(coins: number) {
  const id = await createWpUser(tdb.db);
  if (coins > 0) await applyMovement(tdb.db, { userId: id, deltaCoins: coins, kind: 'adjustment', idempotencyRef: `seed:${id}`, actor: 'test' });
  return { id, token: () => tokenOf(id) };
}
const buy = async (token: string, tier: string, key = crypto.randomUUID()) =>
  t.call('POST', `/api/vip/${tier}/buy`, { token, headers: { 'Idempotency-Key': key } });
const unlock = async (token: string, postId: number) => t.call('POST', `/api/posts/${postId}/unlock`, { token });
const download = async (token: string, postId: number) => t.call('POST', `/api/posts/${postId}/download`, { token });

async function vipPost(mode: 'free' | 'discount' | 'only', opts: { price?: number; vipPrice?: number; filePath?: string } = {}) {
  const { postId } =
    opts.price === undefined ? { postId: await insertPost(tdb.db) } : await insertPricedPost(tdb.db, opts.price, opts.filePath ? { filePath: opts.filePath } : {});
  await setPostMeta(tdb.db, postId, '_goldcoin_vip', mode);
  if (opts.vipPrice !== undefined) await setPostMeta(tdb.db, postId, '_goldcoin_vip_price', opts.vipPrice);
  return postId;
}

async function ledgerKinds(userId: number) {
  return (await tdb.db.selectFrom('coin_ledger').select(['kind', 'delta_coins', 'idempotency_ref']).where('user_id', '=', userId).orderBy('id').execute()).filter(
    (r) => r.kind !== 'adjustment',
  );
}

describe('VIP tiers', () => {
  it('are seeded once from VIP_TIERS and listed with the membership and balance', async () => {
    expect(await seedTiers(tdb.db, t.config.vip.seedTiers)).toBe(0);
    const u = await member(10);
    const body = await (await t.call('GET', '/api/vip', { token: await u.token() })).json();
    expect(body).toEqual({
      tiers: [
        { key: 'monthly', title: 'Monthly', days: 30, price_coins: 200, keeps_unlocks: false, daily_downloads: 2 },
        { key: 'yearly', title: 'Yearly', days: 365, price_coins: 2000, keeps_unlocks: false, daily_downloads: 2 },
        { key: 'lifetime', title: 'Lifetime', days: 0, price_coins: 5000, keeps_unlocks: false, daily_downloads: 2 },
      ],
      membership: null,
      balance: 10,
    });
    const audit = await tdb.db.selectFrom('vip_tier_audit').selectAll().where('action', '=', 'seed').execute();
    expect(audit.map((a) => a.tier_key).sort()).toEqual(['lifetime', 'monthly', 'yearly']);
  });

  it('are created and changed by manage_options only, validated, and every change audited', async () => {
    const admin = await createWpUser(tdb.db);
    const token = await tokenOf(admin, ['read', 'manage_options']);
    const reader = await tokenOf(await createWpUser(tdb.db));
    const body = { key: 'quarter', title: 'Quarter', days: 90, price_coins: 500 };
    expect((await t.call('POST', '/api/admin/vip/tiers', { token: reader, body })).status).toBe(403);
    expect((await t.call('POST', '/api/admin/vip/tiers', { token, body: { ...body, price_coins: 0 } })).status).toBe(400);
    expect((await t.call('POST', '/api/admin/vip/tiers', { token, body: { ...body, key: 'Bad Key' } })).status).toBe(400);
    const created = await t.call('POST', '/api/admin/vip/tiers', { token, body });
    expect(created.status).toBe(201);
    expect((await created.json()).tier).toMatchObject({ key: 'quarter', days: 90, price_coins: 500, active: true, role: null });
    expect((await t.call('POST', '/api/admin/vip/tiers', { token, body })).status).toBe(409);
    const changed = await t.call('POST', '/api/admin/vip/tiers/quarter', { token, body: { price_coins: 450, active: false } });
    expect((await changed.json()).tier).toMatchObject({ price_coins: 450, active: false });
    expect((await t.call('POST', '/api/admin/vip/tiers/none', { token, body: { title: 'x' } })).status).toBe(404);
    const audit = await tdb.db.selectFrom('vip_tier_audit').selectAll().where('tier_key', '=', 'quarter').orderBy('id').execute();
    expect(audit.map((a) => [a.action, a.actor])).toEqual([
      ['create', `admin:${admin}`],
      ['update', `admin:${admin}`],
    ]);
    expect(JSON.parse(audit[1]!.before_json!)).toMatchObject({ priceCoins: 500, active: true });
    // A switched-off tier is neither listed to readers nor sold.
    const tiers = (await (await t.call('GET', '/api/vip', { token: reader })).json()).tiers;
    expect(tiers.map((x: { key: string }) => x.key)).not.toContain('quarter');
    expect((await buy(reader, 'quarter')).status).toBe(404);
  });
});

describe('buying a tier', () => {
  it('unlocks a "free for VIP" post for 0 and a "VIP price" post at the discount; past expiry the free unlock is refused and the role goes', async () => {
    const u = await member(240);
    const free = await vipPost('free', { price: 50, filePath: '2026/12/Free.ex4' });
    const membersOnly = await vipPost('free');
    const discounted = await vipPost('discount', { price: 80, vipPrice: 30 });
    // Before buying: the free post costs its price, the members-only one is refused.
    expect(await (await t.call('GET', `/api/posts/${free}`, { token: await u.token() })).json()).toMatchObject({
      vip: { mode: 'free', price_coins: null },
      member: false,
      your_price_coins: 50,
    });
    expect((await unlock(await u.token(), membersOnly)).status).toBe(403);

    const bought = await buy(await u.token(), 'monthly');
    expect(bought.status).toBe(201);
    const b = await bought.json();
    const expires = new Date(clock.now().getTime() + 30 * DAY_MS);
    expect(b).toMatchObject({ charged_coins: 200, balance: 40, membership: { tier_key: 'monthly', tier_title: 'Monthly', active: true } });
    expect(Math.abs(Date.parse(b.membership.expires_at) - expires.getTime())).toBeLessThan(5_000);

    expect(await (await unlock(await u.token(), free)).json()).toEqual({ unlocked: true, balance: 40, charged_coins: 0, access_until: b.membership.expires_at });
    expect(await (await unlock(await u.token(), membersOnly)).json()).toMatchObject({ unlocked: true, charged_coins: 0 });
    expect(await (await unlock(await u.token(), discounted)).json()).toMatchObject({ unlocked: true, balance: 10, charged_coins: 30, access_until: null });
    expect((await ledgerKinds(u.id)).map((r) => [r.kind, r.delta_coins])).toEqual([
      ['vip', -200],
      ['unlock', -30],
    ]);
    const grants = await (await t.call('GET', '/api/rewards/grants', { token: await u.token() })).json();
    expect(grants.membership_roles).toEqual([{ role: 'goldcoin_vip', expires_at: b.membership.expires_at, active: true }]);
    expect((await download(await u.token(), free)).status).toBe(200);

    advanceDays(31);
    const later = await u.token();
    const vip = await (await t.call('GET', '/api/vip', { token: later })).json();
    expect(vip.membership).toMatchObject({ tier_key: 'monthly', active: false });
    expect(await (await t.call('GET', `/api/posts/${free}`, { token: later })).json()).toMatchObject({ unlocked: false, member: false, your_price_coins: 50 });
    const refused = await unlock(later, free);
    expect(refused.status).toBe(402);
    expect((await refused.json()).error.details).toEqual({ balance: 10, price_coins: 50, shortfall: 40 });
    const onlyRefused = await unlock(later, membersOnly);
    expect(onlyRefused.status).toBe(403);
    expect((await onlyRefused.json()).error.code).toBe('vip_required');
    expect((await download(later, free)).status).toBe(403);
    // Bought at the discount: paid for, so kept.
    expect(await (await unlock(later, discounted)).json()).toMatchObject({ unlocked: true, charged_coins: 0 });
    const after = await (await t.call('GET', '/api/rewards/grants', { token: later })).json();
    expect(after.membership_roles).toEqual([{ role: 'goldcoin_vip', expires_at: b.membership.expires_at, active: false }]);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('renewing early extends from the current expiry, and VIP unlocks move with it', async () => {
    const u = await member(400);
    const free = await vipPost('free');
    const first = await (await buy(await u.token(), 'monthly')).json();
    await unlock(await u.token(), free);
    advanceDays(10);
    const second = await (await buy(await u.token(), 'monthly')).json();
    expect(Date.parse(second.membership.expires_at) - Date.parse(first.membership.expires_at)).toBe(30 * DAY_MS);
    expect(second.membership.since).toBe(first.membership.since);
    const ent = await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(ent.expires_at!.toISOString()).toBe(second.membership.expires_at);
    advanceDays(30);
    expect((await (await t.call('GET', `/api/posts/${free}`, { token: await u.token() })).json()).unlocked).toBe(true);
    expect(await readBalance(tdb.db, u.id)).toBe(0);
  });

  it("lists the user's memberships in what they bought, running, bought ahead and ended ones, newest first, paged", async () => {
    const u = await member(2400);
    const other = await member(0);
    const purchases = async (query = '') => {
      const res = await t.call('GET', `/api/vip/purchases${query}`, { token: await u.token() });
      expect(res.status).toBe(200);
      return res.json();
    };
    const first = await (await buy(await u.token(), 'monthly')).json();
    advanceDays(10);
    await buy(await u.token(), 'monthly');
    const listed = await purchases();
    expect(listed.purchases.map((p: { state: string }) => p.state)).toEqual(['upcoming', 'running']);
    expect(listed.purchases[1]).toEqual({
      id: expect.any(Number),
      tier_key: 'monthly',
      tier_title: expect.any(String),
      price_coins: 200,
      bought_at: expect.any(String),
      starts_at: first.membership.since,
      ends_at: new Date(Date.parse(first.membership.since) + 30 * DAY_MS).toISOString(),
      state: 'running',
    });
    expect(listed.purchases[0].starts_at).toBe(listed.purchases[1].ends_at);
    // Both months over: the membership ended, and stays listed; a new one starts from now.
    advanceDays(60);
    await buy(await u.token(), 'yearly');
    const later = await purchases();
    expect(later.purchases.map((p: { tier_key: string; state: string }) => [p.tier_key, p.state])).toEqual([
      ['yearly', 'running'],
      ['monthly', 'ended'],
      ['monthly', 'ended'],
    ]);
    const page = await purchases('?limit=2');
    expect(page.purchases).toHaveLength(2);
    expect((await purchases(`?limit=2&cursor=${page.next_cursor}`)).purchases.map((p: { id: number }) => p.id)).toEqual([later.purchases[2].id]);
    expect((await (await t.call('GET', '/api/vip/purchases', { token: await other.token() })).json()).purchases).toEqual([]);
    expect((await t.call('GET', '/api/vip/purchases?limit=500', { token: await u.token() })).status).toBe(400);
  });

  it('is idempotent per Idempotency-Key, over HTTP and in the domain', async () => {
    const u = await member(500);
    const key = crypto.randomUUID();
    const [a, b] = [await buy(await u.token(), 'monthly', key), await buy(await u.token(), 'monthly', key)];
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers.get('Idempotent-Replayed')).toBe('true');
    const tier = (await getTier(tdb.db, 'monthly'))!;
    const direct = await Promise.all(Array.from({ length: 10 }, () => buyTier(tdb.db, { userId: u.id, tier, idemKey: 'domain-key', now: clock.now() })));
    expect(direct.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
    expect(direct.every((r) => r.ok)).toBe(true);
    expect((await ledgerKinds(u.id)).filter((r) => r.kind === 'vip')).toHaveLength(2);
    expect(await readBalance(tdb.db, u.id)).toBe(100);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('lets exactly one of 20 concurrent VIP purchases and unlocks through a balance that covers one', async () => {
    const u = await member(200);
    const posts = await Promise.all(Array.from({ length: 10 }, () => insertPricedPost(tdb.db, 200)));
    const token = await u.token();
    const res = await Promise.all([
      ...Array.from({ length: 10 }, () => buy(token, 'monthly')),
      ...posts.map((p) => unlock(token, p.postId)),
    ]);
    const ok = res.filter((r) => r.status === 200 || r.status === 201);
    expect(ok).toHaveLength(1);
    expect(res.filter((r) => r.status === 402)).toHaveLength(19);
    expect(await readBalance(tdb.db, u.id)).toBe(0);
    expect(await ledgerKinds(u.id)).toHaveLength(1);
    const memberships = await tdb.db.selectFrom('vip_memberships').selectAll().where('user_id', '=', u.id).execute();
    const entitlements = await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', u.id).execute();
    expect(memberships.length + entitlements.length).toBe(1);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('refuses a second lifetime membership and a short balance without a trace', async () => {
    const u = await member(5100);
    expect((await buy(await u.token(), 'lifetime')).status).toBe(201);
    const again = await buy(await u.token(), 'lifetime');
    expect(again.status).toBe(409);
    expect((await again.json()).error.code).toBe('already_lifetime');
    const poor = await member(10);
    const short = await buy(await poor.token(), 'monthly');
    expect(short.status).toBe(402);
    expect((await short.json()).error.details).toEqual({ balance: 10, price_coins: 200, shortfall: 190 });
    expect(await tdb.db.selectFrom('vip_memberships').selectAll().where('user_id', '=', poor.id).execute()).toEqual([]);
    expect(await tdb.db.selectFrom('vip_purchases').selectAll().where('user_id', '=', poor.id).execute()).toEqual([]);
  });
});

describe('time-limited access', () => {
  it('charges nothing for a repeat inside the period, the price after it, once for concurrent renewals', async () => {
    const u = await member(100);
    const { postId } = await insertPricedPost(tdb.db, 20);
    await setPostMeta(tdb.db, postId, '_goldcoin_access_days', 7);
    const first = await (await unlock(await u.token(), postId)).json();
    expect(first).toMatchObject({ charged_coins: 20, balance: 80 });
    expect(Math.abs(Date.parse(first.access_until) - (clock.now().getTime() + 7 * DAY_MS))).toBeLessThan(5_000);
    advanceDays(6);
    expect(await (await unlock(await u.token(), postId)).json()).toEqual({ unlocked: true, balance: 80, charged_coins: 0, access_until: first.access_until });
    expect(await (await t.call('GET', `/api/posts/${postId}`, { token: await u.token() })).json()).toMatchObject({ unlocked: true, access_days: 7, access_until: first.access_until });
    advanceDays(2);
    expect((await (await t.call('GET', `/api/posts/${postId}`, { token: await u.token() })).json()).unlocked).toBe(false);
    const token = await u.token();
    const renewals = await Promise.all(Array.from({ length: 10 }, () => unlock(token, postId)));
    const bodies = await Promise.all(renewals.map((r) => r.json()));
    expect(bodies.filter((b) => b.charged_coins === 20)).toHaveLength(1);
    expect(bodies.filter((b) => b.charged_coins === 0)).toHaveLength(9);
    expect(await readBalance(tdb.db, u.id)).toBe(60);
    const refs = (await ledgerKinds(u.id)).map((r) => r.idempotency_ref);
    expect(refs).toEqual([`unlock:${u.id}:${postId}`, `unlock:${u.id}:${postId}:${Date.parse(first.access_until)}`]);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });
});

describe('download quotas', () => {
  it('refuses past the per-entitlement limit with a stable code, and a new period frees it', async () => {
    const u = await member(100);
    const { postId } = await insertPricedPost(tdb.db, 10, { filePath: '2026/12/Quota.ex4' });
    await setPostMeta(tdb.db, postId, '_goldcoin_download_limit', 2);
    await setPostMeta(tdb.db, postId, '_goldcoin_access_days', 30);
    await unlock(await u.token(), postId);
    const token = await u.token();
    const res = await Promise.all(Array.from({ length: 5 }, () => download(token, postId)));
    expect(res.map((r) => r.status).sort()).toEqual([200, 200, 429, 429, 429]);
    const refused = await (res.find((r) => r.status === 429)!).json();
    expect(refused.error.code).toBe('download_limit_reached');
    expect(refused.error.details).toMatchObject({ limit: 2, used: 2, frees_at: expect.any(String) });
    expect(refused.error.message).toContain('2 of 2 downloads');
    advanceDays(31);
    await unlock(await u.token(), postId);
    expect((await download(await u.token(), postId)).status).toBe(200);
  });

  it("enforces the tier's daily VIP downloads, saying when one frees up", async () => {
    const u = await member(200);
    const a = await vipPost('free', { price: 10, filePath: '2026/12/A.ex4' });
    const b = await vipPost('free', { price: 10, filePath: '2026/12/B.ex4' });
    await buy(await u.token(), 'monthly');
    await unlock(await u.token(), a);
    await unlock(await u.token(), b);
    const token = await u.token();
    expect((await download(token, a)).status).toBe(200);
    expect((await download(token, b)).status).toBe(200);
    const third = await download(token, a);
    expect(third.status).toBe(429);
    const body = await third.json();
    expect(body.error.code).toBe('daily_download_limit_reached');
    expect(body.error.details).toMatchObject({ limit: 2, used: 2 });
    const freesAt = Date.parse(body.error.details.frees_at);
    expect(Math.abs(freesAt - (clock.now().getTime() + DAY_MS))).toBeLessThan(5_000);
    expect(Number(third.headers.get('Retry-After'))).toBeGreaterThan(86_000);
    advanceDays(1.01);
    expect((await download(await u.token(), a)).status).toBe(200);
  });
});

describe('expiry notices', () => {
  it('remind N days before and at expiry, exactly once per membership period with several instances', async () => {
    const u = await member(400);
    await buy(await u.token(), 'monthly');
    const jobs = [1, 2, 3].map(() => vipExpiryJob({ db: tdb.db, clock, log: silentLogger, remindDays: 3, intervalMs: 1000 }));
    const notices = async () =>
      (await tdb.db.selectFrom('notifications').select('kind').where('user_id', '=', u.id).where('kind', 'like', 'vip_exp%').orderBy('id').execute()).map((n) => n.kind);
    await Promise.all(jobs.map((j) => j.runOnce()));
    expect(await notices()).toEqual([]);
    advanceDays(27.5);
    await Promise.all(jobs.map((j) => j.runOnce()));
    await Promise.all(jobs.map((j) => j.runOnce()));
    expect(await notices()).toEqual(['vip_expiring']);
    advanceDays(3);
    await Promise.all(jobs.map((j) => j.runOnce()));
    await Promise.all(jobs.map((j) => j.runOnce()));
    expect(await notices()).toEqual(['vip_expiring', 'vip_expired']);
    // A new period has notices of its own.
    await buy(await u.token(), 'monthly');
    advanceDays(28);
    await Promise.all(jobs.map((j) => j.runOnce()));
    expect(await notices()).toEqual(['vip_expiring', 'vip_expired', 'vip_expiring']);
    const emails = await tdb.db
      .selectFrom('email_outbox as o')
      .innerJoin('notifications as n', 'n.id', 'o.notification_id')
      .select('n.kind')
      .where('n.user_id', '=', u.id)
      .execute();
    expect(emails.filter((e) => e.kind.startsWith('vip_exp'))).toHaveLength(3);
  });
});

describe('admin', () => {
  it('lists members with tier, since and expiry, filtered, and counts membership revenue in the stats', async () => {
    const admin = await tokenOf(await createWpUser(tdb.db), ['read', 'manage_options']);
    const before = (await (await t.call('GET', '/api/admin/stats?days=1', { token: admin })).json()).totals;
    const active = await member(2000);
    const lapsed = await member(200);
    await buy(await active.token(), 'yearly');
    await buy(await lapsed.token(), 'monthly');
    await tdb.db.updateTable('vip_memberships').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', lapsed.id).execute();
    const page = await (await t.call('GET', '/api/admin/vip/members?status=active&tier=yearly', { token: admin })).json();
    expect(page.members).toContainEqual(expect.objectContaining({ user_id: active.id, tier_key: 'yearly', active: true, purchases: 1, since: expect.any(String) }));
    expect(page.members.every((m: { tier_key: string; active: boolean }) => m.tier_key === 'yearly' && m.active)).toBe(true);
    const expired = await (await t.call('GET', '/api/admin/vip/members?status=expired', { token: admin })).json();
    expect(expired.members.map((m: { user_id: number }) => m.user_id)).toContain(lapsed.id);
    expect(expired.members.map((m: { user_id: number }) => m.user_id)).not.toContain(active.id);
    expect((await t.call('GET', '/api/admin/vip/members', { token: await active.token() })).status).toBe(403);
    const after = (await (await t.call('GET', '/api/admin/stats?days=1', { token: admin })).json()).totals;
    expect(after.membership_coins - before.membership_coins).toBe(2200);
    expect(after.memberships_sold - before.memberships_sold).toBe(2);
  });
});

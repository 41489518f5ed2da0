// Rewards: catalog, redemption exactly once per Idempotency-Key, atomic stock and per-user limits, fulfilment.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../sidecar/src/config.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { redeemReward } from '../../sidecar/src/spending/rewards.js';
import { buildTestApp, mintToken, testEnv } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { userWithCoins } from '../support/seeded.js';
import { insertPricedPost } from '../support/wp-content.js';

let tdb: TestDatabase;
let t: ReturnType<typeof buildTestApp>;
let eaPostId: number;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename, { poolSize: 40 });
  eaPostId = (await insertPricedPost(tdb.db, 500, { title: 'Premium EA', filePath: '2026/11/Premium.ex5' })).postId;
  const catalog = [
    { key: 'premium-ea', title: 'Premium EA', cost_coins: 100, fulfilment: 'code', value: 'EA-' },
    { key: 'vip-group', title: 'VIP group', cost_coins: 200, fulfilment: 'link', value: 'https://t.me/+vipInvite', per_user_limit: 1 },
    { key: 'limited', title: 'Limited drop', cost_coins: 10, fulfilment: 'code', stock: 3 },
    { key: 'vip-role', title: 'VIP role', cost_coins: 50, fulfilment: 'role', value: 'goldcoin_vip' },
    { key: 'ea-post', title: 'The premium EA post', cost_coins: 30, fulfilment: 'entitlement', value: String(eaPostId) },
  ];
  t = buildTestApp(tdb, { env: { REWARDS_CATALOG: JSON.stringify(catalog), RATE_LIMIT_REDEEM: '0' } });
  // The environment seeds a fresh database once: this file's catalog is the one written.
  await t.deps.catalog.current();
});
afterAll(async () => tdb?.drop());

const userWith = (coins: number) => userWithCoins(tdb.db, coins);

let keys = 0;
const newKey = () => `redeem-key-${process.pid}-${++keys}`;
const redeem = (token: string, reward: string, key: string | null = newKey()) =>
  t.call('POST', `/api/rewards/${reward}/redeem`, { token, headers: key === null ? {} : { 'Idempotency-Key': key } });

async function rewardsOf(userId: number) {
  return tdb.db.selectFrom('reward_redemptions').selectAll().where('user_id', '=', userId).execute();
}

describe('GET /api/rewards', () => {
  it("lists the seed's default catalog when none is configured (the VIP group is a VIP tier now)", async () => {
    const fresh = await createTestDatabase(`${import.meta.filename}-default`);
    const plain = buildTestApp(fresh);
    const u = await userWithCoins(fresh.db, 5);
    const body = await (await plain.call('GET', '/api/rewards', { token: u.token })).json();
    await fresh.drop();
    expect(body).toEqual({
      rewards: [
        expect.objectContaining({ key: 'premium-ea', cost_coins: 100, fulfilment: 'code', stock_left: null, per_user_limit: null, redeemed_by_me: 0 }),
      ],
      balance: 5,
    });
    expect(plain.config.vip.seedTiers[0]).toMatchObject({ key: 'vip-group', title: 'VIP group', days: 30, priceCoins: 200 });
  });

  it('refuses a malformed catalog at start-up, naming REWARDS_CATALOG', () => {
    for (const bad of ['not json', '[{"key":"x","title":"X","cost_coins":0,"fulfilment":"code"}]', '[{"key":"r","title":"R","cost_coins":5,"fulfilment":"role"}]']) {
      expect(() => parseConfig(testEnv(tdb.url, { REWARDS_CATALOG: bad }))).toThrow(/REWARDS_CATALOG/);
    }
  });
});

describe('POST /api/rewards/:key/redeem', () => {
  it('redeems a code reward: debits once, shows a unique code, and counts it', async () => {
    const u = await userWith(250);
    const r = await redeem(u.token, 'premium-ea');
    expect(r.status).toBe(201);
    const body = await r.json();
    expect(body).toEqual({
      redemption: {
        id: expect.any(Number),
        reward_key: 'premium-ea',
        reward_title: 'Premium EA',
        cost_coins: 100,
        fulfilment: { type: 'code', value: expect.stringMatching(/^EA-[A-Z2-9]{12}$/) },
        created_at: expect.any(String),
      },
      balance: 150,
    });
    const second = await (await redeem(u.token, 'premium-ea')).json();
    expect(second.redemption.fulfilment.value).not.toBe(body.redemption.fulfilment.value);
    const list = await (await t.call('GET', '/api/rewards', { token: u.token })).json();
    expect(list.rewards.find((x: { key: string }) => x.key === 'premium-ea').redeemed_by_me).toBe(2);
    const mine = await (await t.call('GET', '/api/rewards/redemptions', { token: u.token })).json();
    expect(mine.redemptions.map((x: { id: number }) => x.id)).toEqual([second.redemption.id, body.redemption.id]);
    const ledger = await tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', u.id).where('kind', '=', 'reward').execute();
    expect(ledger.map((e) => e.delta_coins)).toEqual([-100, -100]);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('requires an Idempotency-Key', async () => {
    const u = await userWith(500);
    const r = await redeem(u.token, 'premium-ea', null);
    expect(r.status).toBe(400);
    expect((await r.json()).error.code).toBe('idempotency_key_required');
  });

  it('debits exactly once for 20 concurrent repeats with one Idempotency-Key', async () => {
    const u = await userWith(1000);
    const key = newKey();
    const res = await Promise.all(Array.from({ length: 20 }, () => redeem(u.token, 'premium-ea', key)));
    const statuses = res.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const later = await (await redeem(u.token, 'premium-ea', key)).json();
    expect(later.balance).toBe(900);
    expect(await rewardsOf(u.id)).toHaveLength(1);
    expect(await readBalance(tdb.db, u.id)).toBe(900);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('is exactly once in the domain too, without the HTTP idempotency table in front', async () => {
    const u = await userWith(1000);
    const reward = t.config.spending.rewards.find((r) => r.key === 'premium-ea')!;
    const results = await Promise.all(Array.from({ length: 20 }, () => redeemReward(tdb.db, { userId: u.id, reward, idemKey: 'same-key-123' })));
    const ids = new Set(results.map((r) => (r.ok ? r.redemption.id : -1)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.ok && !r.replayed)).toHaveLength(1);
    expect(await readBalance(tdb.db, u.id)).toBe(900);
  });

  it('lets exactly the stock through 20 concurrent redemptions by different users', async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => userWith(10)));
    const res = await Promise.all(users.map((u) => redeem(u.token, 'limited')));
    const bodies = await Promise.all(res.map((r) => r.json()));
    expect(res.filter((r) => r.status === 201)).toHaveLength(3);
    expect(res.filter((r) => r.status === 409)).toHaveLength(17);
    for (const b of bodies.filter((x) => x.error)) expect(b.error.code).toBe('out_of_stock');
    const total = await tdb.db.selectFrom('reward_redemptions').select('id').where('reward_key', '=', 'limited').execute();
    expect(total).toHaveLength(3);
    const balances = await Promise.all(users.map((u) => readBalance(tdb.db, u.id)));
    expect(balances.filter((b) => b === 0)).toHaveLength(3);
    expect(balances.filter((b) => b === 10)).toHaveLength(17);
    const list = await (await t.call('GET', '/api/rewards', { token: users[0]!.token })).json();
    expect(list.rewards.find((x: { key: string }) => x.key === 'limited').stock_left).toBe(0);
    expect((await checkInvariants(tdb.db, users.map((u) => u.id))).problems).toEqual([]);
  });

  it('enforces the per-user limit under 10 concurrent redemptions with different keys', async () => {
    const u = await userWith(2000);
    const res = await Promise.all(Array.from({ length: 10 }, () => redeem(u.token, 'vip-group')));
    const bodies = await Promise.all(res.map((r) => r.json()));
    expect(res.filter((r) => r.status === 201)).toHaveLength(1);
    expect(bodies.filter((b) => b.error?.code === 'limit_reached')).toHaveLength(9);
    expect(bodies.find((b) => b.redemption).redemption.fulfilment).toEqual({ type: 'link', value: 'https://t.me/+vipInvite' });
    expect(await readBalance(tdb.db, u.id)).toBe(1800);
    const other = await userWith(200);
    expect((await redeem(other.token, 'vip-group')).status).toBe(201);
  });

  it('answers 402 with the shortfall and leaves no trace when coins are short', async () => {
    const u = await userWith(40);
    const r = await redeem(u.token, 'premium-ea');
    expect(r.status).toBe(402);
    expect((await r.json()).error).toMatchObject({ code: 'insufficient_coins', details: { balance: 40, cost_coins: 100, shortfall: 60 } });
    expect(await rewardsOf(u.id)).toEqual([]);
    const counters = await tdb.db.selectFrom('reward_counters').selectAll().where('user_id', '=', u.id).execute();
    expect(counters).toEqual([]);
  });

  it('answers 404 unknown_reward', async () => {
    const u = await userWith(500);
    const r = await redeem(u.token, 'no-such-thing');
    expect(r.status).toBe(404);
    expect((await r.json()).error.code).toBe('unknown_reward');
  });

  it('records a role grant the WordPress plugin can read', async () => {
    const u = await userWith(50);
    const body = await (await redeem(u.token, 'vip-role')).json();
    expect(body.redemption.fulfilment).toEqual({ type: 'role', value: 'goldcoin_vip' });
    const grants = await (await t.call('GET', '/api/rewards/grants', { token: u.token })).json();
    expect(grants).toEqual({
      grants: [{ id: expect.any(Number), role: 'goldcoin_vip', redemption_id: body.redemption.id, created_at: expect.any(String) }],
      membership_roles: [],
    });
  });

  it("grants the configured post's entitlement, so its file downloads", async () => {
    const u = await userWith(30);
    expect((await redeem(u.token, 'ea-post')).status).toBe(201);
    const post = await (await t.call('GET', `/api/posts/${eaPostId}`, { token: u.token })).json();
    expect(post).toMatchObject({ unlocked: true, balance: 0, file_name: 'Premium.ex5' });
    expect((await t.call('POST', `/api/posts/${eaPostId}/download`, { token: u.token })).status).toBe(200);
  });
});

describe('GET /api/admin/redemptions', () => {
  it('lists everyone\'s redemptions with fulfilment for manage_options only', async () => {
    const u = await userWith(100);
    await redeem(u.token, 'premium-ea');
    expect((await t.call('GET', '/api/admin/redemptions', { token: u.token })).status).toBe(403);
    const admin = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
    const body = await (await t.call('GET', `/api/admin/redemptions?user_id=${u.id}`, { token: admin })).json();
    expect(body.redemptions).toEqual([expect.objectContaining({ user_id: u.id, reward_key: 'premium-ea', fulfilment: expect.objectContaining({ type: 'code' }) })]);
    const page = await (await t.call('GET', '/api/admin/redemptions?limit=2', { token: admin })).json();
    expect(page.redemptions).toHaveLength(2);
    expect(page.next_cursor).toEqual(expect.any(String));
  });
});

// The catalog in the database: seeded once from the environment, edited through the admin routes with field-level
// refusals, audited, and served by two app instances on one database from the next request after a change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { buildTestApp, mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';
import { userWithCoins } from '../support/seeded.js';

let tdb: TestDatabase;
/** Instance A: on a real port, the IPN target. */
let a: PaymentsHarness;
/** Instance B: the same database and configuration, its own catalog cache. */
let b: ReturnType<typeof buildTestApp>;
let adminId: number;
let admin: string;
let reader: string;

const SEED_ENV = { RECHARGE_PACKAGES: '22,52:3,200', RECHARGE_BONUS_TIERS: '100:5,1000:10' };

let keySeq = 0;
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as Record<string, any> });
const getCatalog = async (app = b) => json(await app.call('GET', '/api/admin/catalog', { token: admin }));
const save = async (body: unknown, app = b) => json(await app.call('POST', '/api/admin/catalog', { token: admin, body }));
const packagesOf = async (app: { call: PaymentsHarness['call'] }) => json(await app.call('GET', '/api/packages', { token: reader }));
const recharge = async (token: string, body: unknown) =>
  json(await a.call('POST', '/api/recharges', { token, body, headers: { 'Idempotency-Key': `catalog-${Date.now()}-${keySeq++}` } }));
const auditRows = () => tdb.db.selectFrom('catalog_audit').selectAll().orderBy('id').execute();

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  a = await startPaymentsHarness(tdb, { env: SEED_ENV });
  b = buildTestApp(tdb, { env: { ...SEED_ENV, PUBLIC_URL: a.url, COINPAYMENTS_API_URL: a.sim.apiUrl } });
  adminId = await createWpUser(tdb.db, 'owner');
  admin = await mintToken(adminId, { caps: ['read', 'manage_options'] });
  reader = await mintToken(await createWpUser(tdb.db));
});
afterAll(async () => {
  await a?.close();
  await tdb?.drop();
});

describe('seed', () => {
  it('writes the environment once on a fresh install, audited as the seed', async () => {
    const first = await getCatalog();
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(1);
    expect(first.body.catalog.packages).toEqual([
      { id: 'p22', coins: 22, bonus_coins: 0, price: null },
      { id: 'p52', coins: 52, bonus_coins: 3, price: null },
      { id: 'p200', coins: 200, bonus_coins: 0, price: null },
    ]);
    expect(first.body.catalog.bonus_tiers).toEqual([
      { min_coins: 100, bonus_percent: 5 },
      { min_coins: 1000, bonus_percent: 10 },
    ]);
    expect(first.body.catalog.pricing).toEqual({ currency: 'CNY', coin_price: '1.00', usd_rate: '0.14' });
    const audit = await auditRows();
    expect(audit.map((r) => r.section).sort()).toEqual(['bonus_tiers', 'limits', 'methods', 'packages', 'pricing', 'referrals', 'rewards']);
    expect(new Set(audit.map((r) => r.actor))).toEqual(new Set(['seed']));

    // Another instance started later with other environment values finds the catalog there and leaves it.
    const other = buildTestApp(tdb, { env: { RECHARGE_PACKAGES: '999', PRICE_CURRENCY: 'USD' } });
    const seen = await getCatalog(other);
    expect(seen.body).toEqual(first.body);
    expect(await auditRows()).toHaveLength(audit.length);
  });

  it('is for site owners only', async () => {
    const res = await b.call('GET', '/api/admin/catalog', { token: reader });
    expect(res.status).toBe(403);
    const post = await b.call('POST', '/api/admin/catalog', { token: reader, body: { version: 1, catalog: { packages: [] } } });
    expect(post.status).toBe(403);
  });
});

describe('a change applies to new quotes on every instance at once; issued quotes keep their terms', () => {
  it('prices the next quote on the other instance with the new package price and bonus tier', async () => {
    // Both instances have the current version cached.
    expect((await packagesOf(a)).body.packages[1]).toEqual({ id: 'p52', coins: 52, bonus_coins: 3, price: '52.00' });
    expect((await packagesOf(b)).body.packages[1]).toEqual({ id: 'p52', coins: 52, bonus_coins: 3, price: '52.00' });
    const buyer = await userWithCoins(tdb.db, 0);
    const before = await recharge(buyer.token, { package_id: 'p200', method: 'USDT' });
    expect(before.status).toBe(201);
    expect(before.body).toMatchObject({ coins: 200, bonus_coins: 10, price: { amount: '200.00', currency: 'CNY' } });

    const { body: current } = await getCatalog();
    const changed = await save({
      version: current.version,
      catalog: {
        packages: current.catalog.packages.map((p: { id: string }) => (p.id === 'p200' ? { ...p, price: '180.00' } : p)),
        bonus_tiers: [
          { min_coins: 100, bonus_percent: 15 },
          { min_coins: 1000, bonus_percent: 10 },
        ],
      },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.changed).toEqual(['packages', 'bonus_tiers']);
    expect(changed.body.version).toBe(current.version + 1);

    // Instance A never saw the change being made, and uses it on its very next request.
    expect((await packagesOf(a)).body.packages[2]).toEqual({ id: 'p200', coins: 200, bonus_coins: 30, price: '180.00' });
    const after = await recharge(buyer.token, { package_id: 'p200', method: 'USDT' });
    expect(after.status).toBe(201);
    expect(after.body).toMatchObject({ coins: 200, bonus_coins: 30, price: { amount: '180.00', currency: 'CNY' } });

    // The recharge quoted before the change is paid and credited on its frozen terms.
    const frozen = await tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', before.body.id).executeTakeFirstOrThrow();
    expect(frozen).toMatchObject({ price_amount: '200.00', bonus_coins: 10 });
    await a.sim.pay(before.body.payment.txn_id);
    await expect.poll(() => readBalance(tdb.db, buyer.id), { timeout: 10_000 }).toBe(210);
  });

  it('accepts an IPN in a coin the owner removed after the payment was quoted in it', async () => {
    const buyer = await userWithCoins(tdb.db, 0);
    const quoted = await recharge(buyer.token, { coins: 20, method: 'CoinPayment', currency: 'LTC' });
    expect(quoted.status).toBe(201);
    const { body: current } = await getCatalog();
    const removed = await save({
      version: current.version,
      catalog: { methods: { ...current.catalog.methods, coins: current.catalog.methods.coins.filter((c: string) => c !== 'LTC') } },
    });
    expect(removed.status).toBe(200);
    expect((await recharge(buyer.token, { coins: 20, method: 'CoinPayment', currency: 'LTC' })).body.error.code).toBe('unsupported_currency');
    await a.sim.pay(quoted.body.payment.txn_id);
    await expect.poll(() => readBalance(tdb.db, buyer.id), { timeout: 10_000 }).toBe(20);
  });

  it('serves a changed reward and referral settings from the next request', async () => {
    const { body: current } = await getCatalog();
    const rewards = current.catalog.rewards.map((r: { key: string }) => (r.key === 'premium-ea' ? { ...r, cost_coins: 75 } : r));
    const saved = await save({ version: current.version, catalog: { rewards, referrals: { reward_coins: 80, min_recharge_coins: 10, max_rewards_per_period: 3, period_days: 7 } } });
    expect(saved.status).toBe(200);
    const list = await json(await a.call('GET', '/api/rewards', { token: reader }));
    expect(list.body.rewards.find((r: { key: string }) => r.key === 'premium-ea').cost_coins).toBe(75);

    const holder = await userWithCoins(tdb.db, 100);
    const res = await a.call('POST', '/api/rewards/premium-ea/redeem', { token: holder.token, headers: { 'Idempotency-Key': 'catalog-redeem-1' } });
    expect(res.status).toBe(201);
    expect(await readBalance(tdb.db, holder.id)).toBe(25);

    const referrer = await userWithCoins(tdb.db, 0);
    const code = (await json(await a.call('GET', '/api/referrals', { token: referrer.token }))).body.code;
    const referee = await userWithCoins(tdb.db, 0);
    expect((await a.call('POST', '/api/referrals/bind', { token: referee.token, body: { code } })).status).toBe(200);
    const binding = await tdb.db.selectFrom('referral_bindings').selectAll().where('referee_user_id', '=', referee.id).executeTakeFirstOrThrow();
    expect(binding).toMatchObject({ reward_coins: 80, min_recharge_coins: 10, max_rewards_per_period: 3, period_days: 7 });
  });
});

describe('validation', () => {
  it('refuses bad values with a message per field and saves nothing', async () => {
    const { body: current } = await getCatalog();
    const auditBefore = (await auditRows()).length;
    const bad = await save({
      version: current.version,
      catalog: {
        packages: [
          { id: 'p22', coins: 22, bonus_coins: 0, price: '-5' },
          { id: 'p22', coins: 0, bonus_coins: 0, price: null },
        ],
        bonus_tiers: [{ min_coins: 100, bonus_percent: 150 }],
        limits: { min_coins: 500, max_coins: 100, daily_max_coins: 1000 },
        pricing: { currency: 'yuan', coin_price: '1.005', usd_rate: '0.14' },
        methods: { usdt_networks: [], coins: ['LTCT'] },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    const fields = Object.fromEntries(bad.body.error.details.fields.map((f: { path: string; message: string }) => [f.path, f.message]));
    expect(fields).toMatchObject({
      'catalog.packages.0.price': 'must be a price like 52.00 (at most 2 decimals)',
      'catalog.packages.1.coins': 'must be at least 1',
      'catalog.packages.1': 'package id p22 appears twice',
      'catalog.bonus_tiers.0.bonus_percent': 'must be at most 100',
      'catalog.limits.min_coins': 'must not be above the maximum per recharge',
      'catalog.pricing.currency': 'must be a currency code like CNY or USD',
      'catalog.pricing.coin_price': 'must be a price like 52.00 (at most 2 decimals)',
    });
    // What a client needs to word each refusal in its reader's language: the issue code, its bound, a custom rule.
    expect(bad.body.error.details.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'catalog.packages.1.coins', code: 'too_small', limit: 1 }),
        expect.objectContaining({ path: 'catalog.packages.1', code: 'custom', rule: 'dup' }),
        expect.objectContaining({ path: 'catalog.bonus_tiers.0.bonus_percent', code: 'too_big', limit: 100 }),
        expect.objectContaining({ path: 'catalog.limits.min_coins', rule: 'min_max' }),
      ]),
    );
    expect((await getCatalog()).body).toEqual(current);
    expect(await auditRows()).toHaveLength(auditBefore);
    const methods = await save({ version: current.version, catalog: { methods: { usdt_networks: [], coins: ['LTCT'] } } });
    expect(methods.body.error.details.fields.map((f: { message: string }) => f.message)).toEqual([
      'offer at least one USDT network',
      'LTCT is a test coin and is never accepted',
    ]);
    const unknownSection = await save({ version: current.version, catalog: { vip: [] } });
    expect(unknownSection.status).toBe(400);
    expect((await getCatalog()).body).toEqual(current);
  });

  it('refuses to overwrite a section someone else changed since the editor loaded it', async () => {
    const { body: loaded } = await getCatalog();
    const first = await save({ version: loaded.version, catalog: { limits: { ...loaded.catalog.limits, max_coins: 40_000 } } });
    expect(first.status).toBe(200);
    const stale = await save({ version: loaded.version, catalog: { limits: { ...loaded.catalog.limits, max_coins: 30_000 } } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'catalog_changed', details: { sections: ['limits'], version: first.body.version } });
    expect((await getCatalog()).body.catalog.limits.max_coins).toBe(40_000);
    // A section nobody touched since may still be saved from the older version.
    const other = await save({ version: loaded.version, catalog: { referrals: { reward_coins: 60, min_recharge_coins: 10, max_rewards_per_period: 3, period_days: 7 } } });
    expect(other.status).toBe(200);
  });

  it('serves the seed value of a field added to a section after the section was saved', async () => {
    // A referrals section saved before the cap existed: reward and minimum only.
    await tdb.db.updateTable('catalog_sections').set({ body: JSON.stringify({ reward_coins: 70, min_recharge_coins: 5 }) }).where('section', '=', 'referrals').execute();
    await tdb.db.updateTable('catalog_version').set((eb) => ({ version: eb('version', '+', 1) })).execute();
    const { body } = await getCatalog();
    expect(body.catalog.referrals).toEqual({ reward_coins: 70, min_recharge_coins: 5, max_rewards_per_period: 10, period_days: 30 });
  });

  it('writes nothing when nothing differs', async () => {
    const { body: current } = await getCatalog();
    const before = (await auditRows()).length;
    const same = await save({ version: current.version, catalog: { packages: current.catalog.packages, pricing: current.catalog.pricing } });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ version: current.version, changed: [] });
    expect(await auditRows()).toHaveLength(before);
  });
});

describe('audit', () => {
  it('lists who changed which section, when, before and after, newest first', async () => {
    const { body: current } = await getCatalog();
    const pricing = { ...current.catalog.pricing, coin_price: '1.20' };
    expect((await save({ version: current.version, catalog: { pricing } })).status).toBe(200);
    const page = await json(await b.call('GET', '/api/admin/catalog/audit?section=pricing&limit=1', { token: admin }));
    expect(page.status).toBe(200);
    expect(page.body.entries).toHaveLength(1);
    expect(page.body.entries[0]).toMatchObject({
      section: 'pricing',
      version: current.version + 1,
      actor: `admin:${adminId}`,
      actor_name: `User ${adminId}`,
      before: current.catalog.pricing,
      after: pricing,
    });
    expect(Date.now() - Date.parse(page.body.entries[0].created_at)).toBeLessThan(60_000);
    const older = await json(await b.call('GET', `/api/admin/catalog/audit?section=pricing&cursor=${page.body.next_cursor}`, { token: admin }));
    expect(older.body.entries.at(-1)).toMatchObject({ actor: 'seed', before: null });
    const packages = await json(await b.call('GET', '/api/admin/catalog/audit?section=packages', { token: admin }));
    expect(packages.body.entries[0].after.find((p: { id: string }) => p.id === 'p200').price).toBe('180.00');
    expect(packages.body.entries[0].before.find((p: { id: string }) => p.id === 'p200').price).toBeNull();
    expect((await b.call('GET', '/api/admin/catalog/audit?section=nope', { token: admin })).status).toBe(400);
  });
});

describe('balances for the Users screen', () => {
  it('answers a batch of user ids in one call, 0 for users without a wallet', async () => {
    const rich = await userWithCoins(tdb.db, 42);
    const none = await createWpUser(tdb.db);
    const res = await json(await b.call('GET', `/api/admin/balances?user_ids=${rich.id},${none},${rich.id}`, { token: admin }));
    expect(res.status).toBe(200);
    expect(res.body.balances).toEqual([
      { user_id: rich.id, balance: 42 },
      { user_id: none, balance: 0 },
    ]);
    const tooMany = Array.from({ length: 201 }, (_, i) => i + 1).join(',');
    expect((await b.call('GET', `/api/admin/balances?user_ids=${tooMany}`, { token: admin })).status).toBe(400);
    expect((await b.call('GET', '/api/admin/balances?user_ids=1,x', { token: admin })).status).toBe(400);
    expect((await b.call('GET', `/api/admin/balances?user_ids=${rich.id}`, { token: reader })).status).toBe(403);
  });
});

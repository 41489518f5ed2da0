// Admin side of payments against MariaDB and the simulator: resolving held payments through the shared
// state machine (exactly once, audited, final) and the payment detail view with its IPN log and credits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';

let tdb: TestDatabase;
let h: PaymentsHarness;
let adminId: number;
let adminToken: string;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename, { poolSize: 30 });
  // Both hold policies on: underpaid and late payments wait for a person.
  h = await startPaymentsHarness(tdb, { env: { RECHARGE_UNDERPAYMENT: 'hold', RECHARGE_LATE_PAYMENT: 'hold' } });
  adminId = await createWpUser(tdb.db);
  adminToken = await mintToken(adminId, { caps: ['read', 'manage_options'] });
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

let keySeq = 0;
const nextKey = (label: string) => `${label}-${Date.now()}-${keySeq++}`;

/** 1000 coins + 100 bonus, priced 1000 CNY, asked 140 USDT. */
async function newRecharge(body: Record<string, unknown> = { coins: 1000, method: 'USDT' }) {
  const user = await createWpUser(tdb.db);
  const res = await h.call('POST', '/api/recharges', { token: await mintToken(user), body, headers: { 'Idempotency-Key': nextKey('rec') } });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { id: number; payment: { txn_id: string; amount: string } };
  return { user, id: json.id, txnId: json.payment.txn_id, amount: json.payment.amount };
}

async function heldUnderpaid(underpayPercent = 25) {
  const r = await newRecharge();
  await h.sim.pay(r.txnId, { underpayPercent });
  const row = await rechargeRow(r.id);
  expect([row.status, row.hold_reason]).toEqual(['pending', 'underpaid']);
  return r;
}

const resolve = (id: number, body: unknown, key = nextKey('resolve'), token = adminToken) =>
  h.call('POST', `/api/admin/payments/${id}/resolve`, { token, body, headers: { 'Idempotency-Key': key } });
const rechargeRow = (id: number) => tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const ledgerOf = (user: number) => tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', user).orderBy('id').execute();
const notesOf = (user: number) => tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', user).orderBy('id').execute();
const errorCode = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

interface Detail {
  payment: Record<string, unknown>;
  ipn_log: Array<Record<string, unknown>>;
  ledger: Array<Record<string, unknown>>;
  resolution: Record<string, unknown> | null;
}

describe('POST /api/admin/payments/:id/resolve', () => {
  it('credits what arrived (proportional rule) to an underpaid held payment, audited, with the buyer notified', async () => {
    // 750 of the 1,000 coins quoted arrive: below the frozen 1000:10 tier, so no bonus.
    const r = await heldUnderpaid(25);
    const res = await resolve(r.id, { action: 'credit_received', reason: 'buyer confirmed the short payment' });
    expect(res.status).toBe(200);
    const detail = (await res.json()) as Detail;
    expect(detail.payment).toMatchObject({ id: r.id, status: 'completed', coins_credited: 750, bonus_credited: 0, hold_reason: null, bonus_tiers: '1000:10' });
    expect(detail.resolution).toMatchObject({
      recharge_id: r.id,
      action: 'credit_received',
      hold_reason: 'underpaid',
      actor: `admin:${adminId}`,
      reason: 'buyer confirmed the short payment',
      coins_credited: 750,
      bonus_credited: 0,
    });
    expect(await readBalance(tdb.db, r.user)).toBe(750);
    const ledger = await ledgerOf(r.user);
    expect(ledger.map((e) => [e.kind, e.delta_coins, e.actor, e.idempotency_ref])).toEqual([
      ['recharge', 750, `admin:${adminId}`, `recharge:coinpayments:${r.txnId}`],
    ]);
    expect(ledger[0]!.memo).toContain('buyer confirmed the short payment');
    const notes = await notesOf(r.user);
    expect(notes.map((n) => [n.kind, JSON.parse(n.data)])).toEqual([['recharge_completed', { recharge_id: r.id, coins: 750, bonus_coins: 0 }]]);
    expect((await checkInvariants(tdb.db, [r.user])).problems).toEqual([]);
  });

  it('records what the provider reports while a payment is held (forward only) and credits what arrived by resolution time', async () => {
    const r = await heldUnderpaid(25);
    expect((await rechargeRow(r.id)).received_amount).toBe('105.0000000000');
    // The buyer tops up: CoinPayments reports more received; then an older, smaller report arrives out of order.
    const more = h.sim.buildIpn(r.txnId, { status: 100, fields: { received_amount: '126.00000000' } });
    const older = h.sim.buildIpn(r.txnId, { status: 1, fields: { received_amount: '50.00000000' } });
    expect((await h.sim.deliver(r.txnId, [more, older])).map((d) => d.answer)).toEqual(['IPN OK', 'IPN OK']);
    const row = await rechargeRow(r.id);
    expect([row.status, row.hold_reason, row.provider_status, row.received_amount, row.coins_credited]).toEqual(['pending', 'underpaid', 100, '126.0000000000', 0]);
    expect(await readBalance(tdb.db, r.user)).toBe(0);
    const res = await resolve(r.id, { action: 'credit_received', reason: 'buyer topped up' });
    expect(res.status).toBe(200);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'completed', coins_credited: 900, bonus_credited: 0 });
    expect(await readBalance(tdb.db, r.user)).toBe(900);
  });

  it('credits the full quote when asked to', async () => {
    const r = await heldUnderpaid(50);
    const res = await resolve(r.id, { action: 'credit_full', reason: 'rest paid off-platform' });
    expect(res.status).toBe(200);
    expect(await readBalance(tdb.db, r.user)).toBe(1100);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'completed', coins_credited: 1000, bonus_credited: 100 });
  });

  it('rejects: failed with nothing credited, the buyer told why, and no later IPN reopens it', async () => {
    const r = await heldUnderpaid(40);
    const res = await resolve(r.id, { action: 'reject', reason: 'refunded on chain' });
    expect(res.status).toBe(200);
    const row = await rechargeRow(r.id);
    expect([row.status, row.failed_reason, row.hold_reason, row.coins_credited]).toEqual(['failed', 'rejected', null, 0]);
    const notes = await notesOf(r.user);
    expect(notes.map((n) => [n.kind, n.dedupe_key, JSON.parse(n.data)])).toEqual([
      ['recharge_failed', `recharge:${r.id}:rejected`, { recharge_id: r.id, coins: 1000, bonus_coins: 100, reason: 'underpaid' }],
    ]);
    // CoinPayments repeats its completion IPN (and even a full one): the rejection stands.
    const again = await h.sim.deliver(r.txnId, [h.sim.buildIpn(r.txnId, { status: 100, fields: { received_amount: r.amount } })]);
    expect(again.map((d) => d.answer)).toEqual(['IPN OK']);
    expect((await rechargeRow(r.id)).status).toBe('failed');
    expect(await readBalance(tdb.db, r.user)).toBe(0);
    expect(await ledgerOf(r.user)).toEqual([]);
  });

  it('credits a late payment held for review, keeping its expiry notice', async () => {
    const r = await newRecharge({ package_id: 'p52', method: 'USDT' });
    await h.sim.pay(r.txnId, { late: true });
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'failed', hold_reason: 'late_payment' });
    const res = await resolve(r.id, { action: 'credit_received', reason: 'paid in full, just late' });
    expect(res.status).toBe(200);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'completed', coins_credited: 52, hold_reason: null, failed_reason: 'expired' });
    expect(await readBalance(tdb.db, r.user)).toBe(52);
    expect((await notesOf(r.user)).map((n) => n.kind)).toEqual(['recharge_expired', 'recharge_completed']);
  });

  it('credits once when 12 administrators resolve the same payment at once', async () => {
    const r = await heldUnderpaid(10);
    const actions = ['credit_received', 'credit_full', 'reject'] as const;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => resolve(r.id, { action: actions[i % 3], reason: `race number ${i}` })));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    for (const res of results.filter((x) => x.status === 409)) expect(await errorCode(res)).toBe('not_on_hold');
    const audit = await tdb.db.selectFrom('payment_resolutions').selectAll().where('recharge_id', '=', r.id).execute();
    expect(audit).toHaveLength(1);
    const row = await rechargeRow(r.id);
    expect(await readBalance(tdb.db, r.user)).toBe(row.coins_credited + row.bonus_credited);
    // The credit, and a bonus row only when the winning resolution credited one (credit_full; not the 10 % received).
    expect((await ledgerOf(r.user)).length).toBe(row.status !== 'completed' ? 0 : row.bonus_credited > 0 ? 2 : 1);
    expect((await checkInvariants(tdb.db, [r.user])).problems).toEqual([]);
  });

  it('answers a retry with the same Idempotency-Key with the same response and changes nothing', async () => {
    const r = await heldUnderpaid(25);
    const key = nextKey('same');
    const first = await resolve(r.id, { action: 'credit_received', reason: 'same key twice' }, key);
    const second = await resolve(r.id, { action: 'credit_received', reason: 'same key twice' }, key);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await second.json()).toEqual(await first.json());
    expect(await readBalance(tdb.db, r.user)).toBe(750);
  });

  it('refuses with 409 not_on_hold a payment that is pending without a hold, completed, or already resolved', async () => {
    const pending = await newRecharge();
    const res1 = await resolve(pending.id, { action: 'credit_full', reason: 'not held at all' });
    expect([res1.status, await errorCode(res1)]).toEqual([409, 'not_on_hold']);
    const done = await newRecharge();
    await h.sim.pay(done.txnId);
    const res2 = await resolve(done.id, { action: 'credit_full', reason: 'already completed' });
    expect([res2.status, await errorCode(res2)]).toEqual([409, 'not_on_hold']);
    const held = await heldUnderpaid(25);
    expect((await resolve(held.id, { action: 'reject', reason: 'first decision' })).status).toBe(200);
    const res3 = await resolve(held.id, { action: 'credit_full', reason: 'second thoughts' });
    expect([res3.status, await errorCode(res3)]).toEqual([409, 'not_on_hold']);
    expect(await readBalance(tdb.db, pending.user)).toBe(0);
    expect(await readBalance(tdb.db, done.user)).toBe(1100);
    expect(await readBalance(tdb.db, held.user)).toBe(0);
  });

  it('refuses credit_received with 409 nothing_received when what arrived buys no coin, leaving it held', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { received: '0.00000001' });
    expect((await rechargeRow(r.id)).hold_reason).toBe('underpaid');
    const res = await resolve(r.id, { action: 'credit_received', reason: 'dust only' });
    expect([res.status, await errorCode(res)]).toEqual([409, 'nothing_received']);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'pending', hold_reason: 'underpaid' });
    expect((await resolve(r.id, { action: 'reject', reason: 'dust only' })).status).toBe(200);
  });

  it('checks the caller, the key and the body', async () => {
    const r = await heldUnderpaid(25);
    const reader = await createWpUser(tdb.db);
    const forbidden = await resolve(r.id, { action: 'credit_full', reason: 'not an admin' }, nextKey('x'), await mintToken(reader));
    expect(forbidden.status).toBe(403);
    const noKey = await h.call('POST', `/api/admin/payments/${r.id}/resolve`, { token: adminToken, body: { action: 'credit_full', reason: 'no key' } });
    expect([noKey.status, await errorCode(noKey)]).toEqual([400, 'idempotency_key_required']);
    expect((await resolve(r.id, { action: 'refund', reason: 'bad action' })).status).toBe(400);
    expect((await resolve(r.id, { action: 'credit_full' })).status).toBe(400);
    expect((await resolve(r.id, { action: 'credit_full', reason: 'x' })).status).toBe(400);
    const missing = await resolve(987_654_321, { action: 'credit_full', reason: 'no such payment' });
    expect([missing.status, await errorCode(missing)]).toEqual([404, 'payment_not_found']);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'pending', hold_reason: 'underpaid' });
  });
});

describe('GET /api/admin/payments/:id', () => {
  it('shows the payment with its IPNs (verdicts and reasons, no secrets) and its ledger credits', async () => {
    const r = await newRecharge({ package_id: 'p52', method: 'USDT' });
    await h.sim.pay(r.txnId, { pendingFirst: true });
    const forged = h.sim.buildIpn(r.txnId, { status: 100, secret: 'not-the-ipn-secret' });
    await h.sim.post(`${h.url}/ipn/coinpayments`, forged);
    const res = await h.call('GET', `/api/admin/payments/${r.id}`, { token: adminToken });
    expect(res.status).toBe(200);
    const detail = (await res.json()) as Detail;
    expect(detail.payment).toMatchObject({ id: r.id, status: 'completed', txn_id: r.txnId, user_id: r.user });
    expect(detail.ipn_log.map((l) => [l['ipn_status'], l['verdict'], l['reason']])).toEqual([
      [100, 'rejected', 'bad_hmac'],
      [100, 'processed', 'complete'],
      [1, 'processed', 'progress'],
      [0, 'duplicate', 'not_newer'],
    ]);
    for (const l of detail.ipn_log) {
      expect(l).not.toHaveProperty('hmac_header');
      expect(l).not.toHaveProperty('raw_body');
    }
    expect(JSON.stringify(detail)).not.toContain('test_ipn_secret');
    expect(detail.ledger.map((e) => [e['kind'], e['delta_coins'], e['actor']])).toEqual([['recharge', 52, 'provider:coinpayments']]);
    expect(detail.resolution).toBeNull();
  });

  it('is documented in the OpenAPI document, with the resolve route', async () => {
    const doc = (await (await h.call('GET', '/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/admin/payments/{id}']!)).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/admin/payments/{id}/resolve']!)).toEqual(['post']);
  });

  it('is for administrators only and answers 404 for an unknown payment', async () => {
    const reader = await createWpUser(tdb.db);
    expect((await h.call('GET', '/api/admin/payments/1', { token: await mintToken(reader) })).status).toBe(403);
    const missing = await h.call('GET', '/api/admin/payments/987654321', { token: adminToken });
    expect([missing.status, await errorCode(missing)]).toEqual([404, 'payment_not_found']);
  });
});

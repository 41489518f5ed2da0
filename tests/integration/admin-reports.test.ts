// Admin views: payment filters and the stuck queue, ledger search, daily stats with exact decimals.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sumDecimals } from '../../sidecar/src/admin/reports.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { mintToken } from '../support/app.js';
import { createWpUser, type TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp } from '../support/seeded.js';

let tdb: TestDatabase;
let t: SeededApp;
let admin: string;
let alice: number;
let bob: number;

async function recharge(userId: number, status: 'pending' | 'completed' | 'failed', price: string, ageMs: number) {
  const at = new Date(Date.now() - ageMs);
  const res = await tdb.db
    .insertInto('recharge_transactions')
    .values({
      user_id: userId,
      coins: Math.max(1, Math.round(Number(price))),
      bonus_coins: 0,
      payment_method: 'USDT',
      price_amount: price,
      price_currency: 'CNY',
      status,
      provider: 'coinpayments',
      txn_id: `T${Math.random().toString(36).slice(2)}`,
      created_at: at,
      completed_at: status === 'completed' ? at : null,
      coins_credited: status === 'completed' ? Math.max(1, Math.round(Number(price))) : 0,
    } as never)
    .executeTakeFirstOrThrow();
  return Number(res.insertId);
}

beforeAll(async () => {
  t = await seededApp(import.meta.filename);
  tdb = t.tdb;
  admin = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
  alice = await createWpUser(tdb.db, 'alice');
  bob = await createWpUser(tdb.db, 'bob');
  await recharge(alice, 'completed', '0.10', 1000);
  await recharge(alice, 'completed', '0.20', 2000);
  await recharge(bob, 'pending', '52.00', 3 * 3600_000);
  await recharge(bob, 'pending', '22.00', 60_000);
  await recharge(bob, 'failed', '200.00', 5000);
  const underpaid = await recharge(bob, 'completed', '10.00', 3000);
  // Credited in proportion: 4 of 10 coins arrived, so 4.00 of its 10.00 price was earned.
  await tdb.db.updateTable('recharge_transactions').set({ coins_credited: 4 }).where('id', '=', underpaid).execute();
  await applyMovement(tdb.db, { userId: alice, deltaCoins: 52, kind: 'recharge', idempotencyRef: 'recharge:x:1', actor: 'system', refId: 'TX1' });
  await applyMovement(tdb.db, { userId: alice, deltaCoins: -30, kind: 'unlock', idempotencyRef: 'unlock:a:1', actor: 'user' });
  await applyMovement(tdb.db, { userId: bob, deltaCoins: 7, kind: 'adjustment', idempotencyRef: 'adj:b:1', actor: 'admin:1' });
});
afterAll(async () => tdb?.drop());

const get = async (path: string, token = admin) => {
  const res = await t.call('GET', path, { token });
  return { status: res.status, body: await res.json() };
};

describe('admin reports', () => {
  it('lists payments newest first with the user login, filtered by status and user', async () => {
    const all = await get('/api/admin/payments');
    expect(all.body.payments).toHaveLength(6);
    expect(all.body.payments[0].user_login).toBe('bob');
    const pending = await get(`/api/admin/payments?status=pending&user_id=${bob}`);
    expect(pending.body.payments.map((p: { price_amount: string }) => p.price_amount).sort()).toEqual(['22.00', '52.00']);
    const paged = await get('/api/admin/payments?limit=2');
    expect(paged.body.payments).toHaveLength(2);
    const next = await get(`/api/admin/payments?limit=2&cursor=${paged.body.next_cursor}`);
    expect(next.body.payments[0].id).toBeLessThan(paged.body.payments[1].id);
  });

  it('shows only long-pending payments in the stuck queue', async () => {
    const stuck = await get('/api/admin/payments?stuck=1');
    expect(stuck.body.payments).toHaveLength(1);
    expect(stuck.body.payments[0].price_amount).toBe('52.00');
  });

  it('searches the ledger by user, kind and reference', async () => {
    expect((await get(`/api/admin/ledger?user_id=${alice}`)).body.entries).toHaveLength(2);
    const unlocks = await get('/api/admin/ledger?kind=unlock');
    expect(unlocks.body.entries).toHaveLength(1);
    expect(unlocks.body.entries[0].user_login).toBe('alice');
    expect((await get('/api/admin/ledger?ref=TX1')).body.entries[0].delta_coins).toBe(52);
  });

  it('reports daily revenue as exact decimals, an underpaid recharge counting only what it earned, and coins issued and spent', async () => {
    const { body } = await get('/api/admin/stats?days=7');
    expect(body.currency).toBe('CNY');
    expect(body.days).toHaveLength(7);
    const today = body.days[body.days.length - 1];
    expect(today.revenue).toBe('4.30');
    expect(today.recharges).toBe(3);
    expect(today.coins_issued).toBe(59);
    expect(today.coins_spent).toBe(30);
    expect(body.totals).toMatchObject({ revenue: '4.30', coins_outstanding: 29, pending_payments: 2, wallets: 2 });
  });

  it('sums decimals exactly', () => {
    expect(sumDecimals(['0.10', '0.20', '19.99', '0.01'])).toBe('20.30');
    expect(sumDecimals([])).toBe('0.00');
  });

  it('shows only payments on hold with on_hold=1, pending or failed, combined with the other filters', async () => {
    const carol = await createWpUser(tdb.db, 'carol');
    const underpaid = await recharge(carol, 'pending', '140.00', 10_000);
    const late = await recharge(carol, 'failed', '52.00', 20_000);
    await recharge(carol, 'pending', '10.00', 30_000);
    await tdb.db.updateTable('recharge_transactions').set({ hold_reason: 'underpaid' }).where('id', '=', underpaid).execute();
    await tdb.db.updateTable('recharge_transactions').set({ hold_reason: 'late_payment' }).where('id', '=', late).execute();
    const held = await get('/api/admin/payments?on_hold=1');
    expect(held.body.payments.map((p: { id: number; hold_reason: string }) => [p.id, p.hold_reason])).toEqual([
      [late, 'late_payment'],
      [underpaid, 'underpaid'],
    ]);
    expect((await get('/api/admin/payments?on_hold=1&status=failed')).body.payments.map((p: { id: number }) => p.id)).toEqual([late]);
    expect((await get(`/api/admin/payments?on_hold=1&user_id=${bob}`)).body.payments).toEqual([]);
    expect((await get(`/api/admin/payments?on_hold=0&user_id=${carol}`)).body.payments).toHaveLength(3);
    expect((await get('/api/admin/payments?on_hold=yes')).status).toBe(400);
  });

  it('refuses bad filters with 400 and non-admins with 403', async () => {
    expect((await get('/api/admin/payments?status=paid')).status).toBe(400);
    expect((await get('/api/admin/ledger?kind=steal')).status).toBe(400);
    expect((await get('/api/admin/stats?days=9999')).status).toBe(400);
    const editor = await mintToken(alice, { caps: ['read', 'edit_posts'] });
    for (const p of ['/api/admin/payments', '/api/admin/ledger', '/api/admin/stats']) {
      expect((await get(p, editor)).status).toBe(403);
    }
  });
});

// The reconciler against MariaDB and the simulator: lost IPNs credited, two reconcilers credit once,
// expiry of unpaid payments and the late-completion rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { silentLogger } from '../../sidecar/src/log.js';
import { nextReconcileAt, reconcileDelayMs, reconcileOnce, type ReconcilerDeps } from '../../sidecar/src/payments/reconciler.js';
import { mintToken, TEST_METRICS_TOKEN } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { movableClock, startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';

const INTERVAL_MS = 60_000;
let tdb: TestDatabase;
let h: PaymentsHarness;
const clock = movableClock();
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename, { poolSize: 30 });
  h = await startPaymentsHarness(tdb, { clock });
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

const deps = (): ReconcilerDeps => ({
  db: tdb.db,
  provider: h.deps.provider,
  log: silentLogger,
  clock,
  policies: { underpayment: 'proportional', latePayment: 'credit' },
  intervalMs: INTERVAL_MS,
  metrics: h.deps.metrics,
});

let keySeq = 0;
async function newRecharge(user?: number, body: Record<string, unknown> = { package_id: 'p52', method: 'USDT' }) {
  const u = user ?? (await createWpUser(tdb.db));
  const res = await h.call('POST', '/api/recharges', {
    // The sidecar's clock may have been moved forward: issue the token at its time.
    token: await mintToken(u, { iatOffsetS: Math.floor((clock.now().getTime() - Date.now()) / 1000) }),
    body,
    headers: { 'Idempotency-Key': `rec-test-${Date.now()}-${keySeq++}` },
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { id: number; payment: { txn_id: string } };
  return { user: u, id: json.id, txnId: json.payment.txn_id };
}
const rechargeRow = (id: number) => tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

/** Moves every pending row out of the way so each test sees only its own. */
async function parkOthers() {
  await tdb.db.updateTable('recharge_transactions').set({ next_reconcile_at: new Date('2999-01-01') }).execute();
}

describe('reconciler', () => {
  it('credits a payment whose IPN never arrived, from its first pass', async () => {
    await parkOthers();
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { drop: true });
    const report = await reconcileOnce(deps());
    expect(report).toMatchObject({ claimed: 1, completed: 1 });
    const row = await rechargeRow(r.id);
    expect([row.status, row.coins_credited, row.provider_status, row.received_amount]).toEqual(['completed', 52, 100, '7.2800000000']);
    expect(await readBalance(tdb.db, r.user)).toBe(52);
    // Completed rows are not claimed again.
    clock.advance(INTERVAL_MS);
    expect((await reconcileOnce(deps())).claimed).toBe(0);
  });

  it('leaves an unpaid payment alone until its next check and records provider progress', async () => {
    await parkOthers();
    const r = await newRecharge();
    expect(await reconcileOnce(deps())).toMatchObject({ claimed: 1, completed: 0, expired: 0 });
    expect((await reconcileOnce(deps())).claimed).toBe(0);
    clock.advance(INTERVAL_MS);
    expect((await reconcileOnce(deps())).claimed).toBe(1);
    expect((await rechargeRow(r.id)).status).toBe('pending');
  });

  it('credits each of 60 lost payments exactly once with two reconcilers running at once', async () => {
    await parkOthers();
    const made = [];
    for (let i = 0; i < 60; i++) made.push(await newRecharge(undefined, { package_id: 'p22', method: 'USDT' }));
    for (const r of made) await h.sim.pay(r.txnId, { drop: true });
    const [a, b] = await Promise.all([reconcileOnce(deps()), reconcileOnce(deps())]);
    expect(a.claimed + b.claimed).toBe(60);
    expect(a.completed + b.completed).toBe(60);
    for (const r of made) expect(await readBalance(tdb.db, r.user)).toBe(22);
    const users = made.map((r) => r.user);
    const rows = await tdb.db.selectFrom('coin_ledger').select('id').where('user_id', 'in', users).execute();
    expect(rows).toHaveLength(60);
    expect((await checkInvariants(tdb.db, users)).problems).toEqual([]);
  });

  it('credits once when the IPN and two reconcilers race for the same payment', async () => {
    await parkOthers();
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { drop: true });
    const msg = h.sim.buildIpn(r.txnId);
    await Promise.all([reconcileOnce(deps()), reconcileOnce(deps()), h.sim.deliver(r.txnId, [msg], { duplicate: 5 })]);
    expect(await readBalance(tdb.db, r.user)).toBe(52);
    expect((await tdb.db.selectFrom('coin_ledger').select('id').where('user_id', '=', r.user).execute()).length).toBe(1);
  });

  it('expires a payment past its timeout with no funds, then credits a late payment whose IPN was lost', async () => {
    await parkOthers();
    const r = await newRecharge();
    const row = await rechargeRow(r.id);
    clock.advance(row.expires_at!.getTime() - clock.now().getTime() + 1_000);
    expect(await reconcileOnce(deps())).toMatchObject({ claimed: 1, expired: 1 });
    const expired = await rechargeRow(r.id);
    expect([expired.status, expired.failed_reason]).toEqual(['failed', 'expired']);
    const notes = await tdb.db.selectFrom('notifications').select(['kind', 'dedupe_key']).where('user_id', '=', r.user).execute();
    expect(notes).toEqual([{ kind: 'recharge_expired', dedupe_key: `recharge:${r.id}:failed` }]);
    // The buyer pays anyway and the IPN is lost: the reconciler keeps asking for a while and credits it.
    await h.sim.pay(r.txnId, { late: true, drop: true });
    clock.advance(INTERVAL_MS);
    expect(await reconcileOnce(deps())).toMatchObject({ claimed: 1, completed: 1 });
    expect((await rechargeRow(r.id)).status).toBe('completed');
    expect(await readBalance(tdb.db, r.user)).toBe(52);
  });

  it('does not expire a payment whose funds are seen but not yet confirmed', async () => {
    await parkOthers();
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { status: 1, drop: true });
    const row = await rechargeRow(r.id);
    clock.advance(row.expires_at!.getTime() - clock.now().getTime() + 1_000);
    expect(await reconcileOnce(deps())).toMatchObject({ claimed: 1, expired: 0 });
    const after = await rechargeRow(r.id);
    expect([after.status, after.provider_status]).toEqual(['pending', 1]);
  });

  it('credits nothing and expires nothing when the look-up reports another coin than asked, and logs why', async () => {
    await parkOthers();
    const r = await newRecharge();
    // CoinPayments' record of the transaction names another coin than the one the recharge asked.
    h.sim.transaction(r.txnId)!.currency2 = 'LTC';
    await h.sim.pay(r.txnId, { drop: true });
    const row = await rechargeRow(r.id);
    clock.advance(row.expires_at!.getTime() - clock.now().getTime() + 1_000);
    const warnings: Array<Record<string, unknown>> = [];
    const log = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, ...fields }) };
    expect(await reconcileOnce({ ...deps(), log })).toMatchObject({ claimed: 1, completed: 0, expired: 0, mismatched: 1 });
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'pending', coins_credited: 0, provider_status: 0 });
    expect(await readBalance(tdb.db, r.user)).toBe(0);
    expect(warnings).toEqual([expect.objectContaining({ recharge_id: r.id, code: 'currency_mismatch', reported_currency: 'LTC' })]);
  });

  it('credits a short payment found by the look-up through the underpayment policy: in proportion, or held', async () => {
    await parkOthers();
    const short = await newRecharge();
    await h.sim.pay(short.txnId, { underpayPercent: 50, drop: true });
    expect(await reconcileOnce(deps())).toMatchObject({ claimed: 1, completed: 1, mismatched: 0 });
    expect(await rechargeRow(short.id)).toMatchObject({ status: 'completed', coins_credited: 26 });
    const held = await newRecharge();
    await h.sim.pay(held.txnId, { underpayPercent: 50, drop: true });
    expect(await reconcileOnce({ ...deps(), policies: { underpayment: 'hold', latePayment: 'credit' } })).toMatchObject({ claimed: 1, held: 1 });
    expect(await rechargeRow(held.id)).toMatchObject({ status: 'pending', hold_reason: 'underpaid', coins_credited: 0 });
    expect(await readBalance(tdb.db, held.user)).toBe(0);
  });

  it('fails a recharge abandoned before the provider answered, freeing its key and daily allowance', async () => {
    await parkOthers();
    const user = await createWpUser(tdb.db);
    const ins = await tdb.db
      .insertInto('recharge_transactions')
      .values({ user_id: user, idempotency_key: 'orphaned-key-1', coins: 52, bonus_coins: 0, payment_method: 'USDT', price_amount: '52.00', price_currency: 'CNY', status: 'pending', provider: 'coinpayments', created_at: clock.now() })
      .executeTakeFirstOrThrow();
    const id = Number(ins.insertId);
    expect((await reconcileOnce(deps())).abandoned).toBe(0);
    clock.advance(11 * 60_000);
    expect((await reconcileOnce(deps())).abandoned).toBe(1);
    const row = await rechargeRow(id);
    expect([row.status, row.failed_reason, row.idempotency_key]).toEqual(['failed', 'abandoned', null]);
  });

  it('never expires a payment whose own status lookup failed, keeps polling it with backoff, and logs it', async () => {
    await parkOthers();
    const r = await newRecharge();
    const row = await rechargeRow(r.id);
    clock.advance(row.expires_at!.getTime() - clock.now().getTime() + 1_000);
    h.sim.failLookup(r.txnId, 'Internal error, please try again later');
    const warnings: Array<Record<string, unknown>> = [];
    const log = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, ...fields }) };
    const seen: number[] = [];
    for (let step = 0; step < 8; step++) {
      const report = await reconcileOnce({ ...deps(), log });
      if (report.claimed > 0) {
        seen.push(step);
        expect(report).toMatchObject({ claimed: 1, expired: 0, failed: 0, unknownStatus: 1 });
      }
      clock.advance(INTERVAL_MS);
    }
    expect(seen).toEqual([0, 1, 3, 7]);
    expect((await rechargeRow(r.id)).status).toBe('pending');
    expect(warnings[0]).toMatchObject({ recharge_id: r.id, txn_id: r.txnId });
    // Once the provider answers again, a definite "no funds" past the expiry expires it.
    h.sim.failLookup(r.txnId, null);
    clock.advance(16 * INTERVAL_MS);
    expect(await reconcileOnce(deps())).toMatchObject({ claimed: 1, expired: 1 });
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'failed', failed_reason: 'expired' });
  });

  it('changes nothing and expires nothing when the provider is unreachable', async () => {
    await parkOthers();
    const r = await newRecharge();
    const row = await rechargeRow(r.id);
    clock.advance(row.expires_at!.getTime() - clock.now().getTime() + 1_000);
    const { CoinPaymentsClient } = await import('../../sidecar/src/payments/coinpayments/client.js');
    const down = new CoinPaymentsClient({ apiUrl: 'http://127.0.0.1:9/api.php', publicKey: 'k', privateKey: 'p', timeoutMs: 500, merchantId: h.config.coinpayments.legacy!.merchantId, ipnUrl: '' });
    const report = await reconcileOnce({ ...deps(), provider: down });
    expect(report).toMatchObject({ claimed: 1, providerErrors: 1, expired: 0 });
    expect((await rechargeRow(r.id)).status).toBe('pending');
  });
});

describe('reconciler backoff', () => {
  it('waits interval × min(2^attempts, 16) between checks, and no later than the expiry', () => {
    expect([0, 1, 2, 3, 4, 5, 30].map((n) => reconcileDelayMs(INTERVAL_MS, n) / INTERVAL_MS)).toEqual([1, 2, 4, 8, 16, 16, 16]);
    const now = new Date('2026-01-01T00:00:00Z');
    const at = (ms: number) => new Date(now.getTime() + ms);
    expect(nextReconcileAt(now, INTERVAL_MS, 3, null, 'pending')).toEqual(at(8 * INTERVAL_MS));
    expect(nextReconcileAt(now, INTERVAL_MS, 3, at(5 * INTERVAL_MS), 'pending')).toEqual(at(5 * INTERVAL_MS));
    // Never sooner than one interval: the claim is the lease.
    expect(nextReconcileAt(now, INTERVAL_MS, 3, at(INTERVAL_MS / 2), 'pending')).toEqual(at(INTERVAL_MS));
    // A pending payment already past its expiry (the provider could not tell us about it) backs off too.
    expect(nextReconcileAt(now, INTERVAL_MS, 3, at(-INTERVAL_MS), 'pending')).toEqual(at(8 * INTERVAL_MS));
    // An expired payment watched for a late completion is not pulled in by its past expiry.
    expect(nextReconcileAt(now, INTERVAL_MS, 3, at(-INTERVAL_MS), 'failed')).toEqual(at(8 * INTERVAL_MS));
  });

  /** Runs one pass per interval for `steps` intervals and returns the steps at which the row was checked. */
  async function checkedAt(id: number, steps: number, onStep: (step: number) => Promise<void> = async () => {}) {
    const seen: number[] = [];
    for (let step = 0; step < steps; step++) {
      await onStep(step);
      const before = (await rechargeRow(id)).reconcile_attempts;
      await reconcileOnce(deps());
      if ((await rechargeRow(id)).reconcile_attempts !== before) seen.push(step);
      clock.advance(INTERVAL_MS);
    }
    return seen;
  }

  it('polls an idle pending payment on a growing interval, from its first pass', async () => {
    await parkOthers();
    const r = await newRecharge();
    expect(await checkedAt(r.id, 48)).toEqual([0, 1, 3, 7, 15, 31, 47]);
    expect((await rechargeRow(r.id)).status).toBe('pending');
  });

  it('includes a new payment from its first pass while older ones wait out their backoff', async () => {
    await parkOthers();
    const old = await newRecharge();
    await checkedAt(old.id, 8);
    const fresh = await newRecharge();
    const report = await reconcileOnce(deps());
    expect(report.claimed).toBe(1);
    expect((await rechargeRow(fresh.id)).reconcile_attempts).toBe(1);
    expect((await rechargeRow(old.id)).reconcile_attempts).toBe(4);
  });

  it('checks a payment at its expiry even when its backoff would be later, and expires it', async () => {
    await parkOthers();
    const r = await newRecharge();
    await tdb.db
      .updateTable('recharge_transactions')
      .set({ expires_at: new Date(clock.now().getTime() + 5.5 * INTERVAL_MS) })
      .where('id', '=', r.id)
      .execute();
    expect(await checkedAt(r.id, 7)).toEqual([0, 1, 3, 6]);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'failed', failed_reason: 'expired' });
  });

  it('starts the schedule again once funds are seen', async () => {
    await parkOthers();
    const r = await newRecharge();
    const seen = await checkedAt(r.id, 19, async (step) => {
      if (step === 8) await h.sim.deliver(r.txnId, [h.sim.buildIpn(r.txnId, { status: 1 })]);
    });
    expect(seen).toEqual([0, 1, 3, 7, 15, 16, 18]);
  });

  it('counts its passes in goldcoin_reconcile_runs_total', async () => {
    const runs = async () => {
      const text = await (await h.call('GET', '/metrics', { token: TEST_METRICS_TOKEN })).text();
      return Number(/^goldcoin_reconcile_runs_total (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await runs();
    await reconcileOnce(deps());
    await reconcileOnce(deps());
    expect(await runs()).toBe(before + 2);
  });
});

// Referrals: one code per user, a referee bound once without loops, the referrer credited once on the first completed recharge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../sidecar/src/clock.js';
import { inTransaction } from '../../sidecar/src/db/retry.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { applyPaymentEvent } from '../../sidecar/src/payments/transition.js';
import { awardReferralOnRechargeCompleted } from '../../sidecar/src/referrals/referrals.js';
import { TEST_HOME } from '../support/app.js';
import type { TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';

const REWARD = 50;
let tdb: TestDatabase;
let t: SeededApp;
beforeAll(async () => {
  t = await seededApp(import.meta.filename, { poolSize: 40, env: { REFERRAL_REWARD_COINS: String(REWARD), RATE_LIMIT_REFERRAL_BIND: '0' } });
  tdb = t.tdb;
});
afterAll(async () => tdb?.drop());

const user = () => userWithCoins(tdb.db, 0);
const summary = async (token: string) => (await t.call('GET', '/api/referrals', { token })).json();
const bind = (token: string, code: string) => t.call('POST', '/api/referrals/bind', { token, body: { code } });
const codeOf = async (token: string) => (await summary(token)).code as string;

let txns = 0;
async function pendingRecharge(userId: number): Promise<string> {
  const txnId = `CPTEST${process.pid}${++txns}`;
  await tdb.db
    .insertInto('recharge_transactions')
    .values({
      user_id: userId,
      coins: 100,
      bonus_coins: 0,
      payment_method: 'USDT',
      price_amount: '100.00',
      price_currency: 'CNY',
      status: 'pending',
      provider: 'coinpayments',
      txn_id: txnId,
      crypto_currency: 'USDT.TRC20',
      crypto_amount: '14.0000000000',
    } as never)
    .execute();
  return txnId;
}
const complete = (txnId: string) =>
  applyPaymentEvent(
    { db: tdb.db, clock: systemClock, policies: { underpayment: 'proportional', latePayment: 'credit' } },
    'coinpayments',
    txnId,
    { type: 'provider', kind: 'paid', progress: 100, statusText: 'Complete', receivedAmount: '14.0000000000' },
  );
const referralRows = (userId: number) =>
  tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', userId).where('kind', '=', 'referral').execute();

describe('GET /api/referrals', () => {
  it('creates one code per user, even when asked concurrently, with a link to the site', async () => {
    const u = await user();
    const bodies = await Promise.all(Array.from({ length: 10 }, () => summary(u.token)));
    const codes = new Set(bodies.map((b) => b.code));
    expect(codes.size).toBe(1);
    expect(bodies[0]).toEqual({
      code: expect.stringMatching(/^[A-Z2-9]{8}$/),
      link: `${TEST_HOME}/?ref=${bodies[0].code}`,
      referred_count: 0,
      earned_coins: 0,
      referred_by: null,
    });
    expect(await tdb.db.selectFrom('referral_codes').select('code').where('user_id', '=', u.id).execute()).toHaveLength(1);
  });
});

describe('POST /api/referrals/bind', () => {
  it('binds a referee once and shows it to both users', async () => {
    const referrer = await user();
    const referee = await user();
    const code = await codeOf(referrer.token);
    const r = await bind(referee.token, code.toLowerCase());
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ bound: true, referrer_id: referrer.id });
    expect((await summary(referee.token)).referred_by).toEqual({ user_id: referrer.id, name: expect.any(String) });
    expect((await summary(referrer.token)).referred_count).toBe(1);
  });

  it('answers 20 concurrent binds with the same code alike and writes one binding', async () => {
    const referrer = await user();
    const referee = await user();
    const code = await codeOf(referrer.token);
    const res = await Promise.all(Array.from({ length: 20 }, () => bind(referee.token, code)));
    expect(res.map((r) => r.status)).toEqual(Array(20).fill(200));
    const rows = await tdb.db.selectFrom('referral_bindings').selectAll().where('referee_user_id', '=', referee.id).execute();
    expect(rows).toHaveLength(1);
  });

  it('refuses self-referral, unknown codes and a second referrer with stable codes', async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    const codeA = await codeOf(a.token);
    const self = await bind(a.token, codeA);
    expect([self.status, (await self.json()).error.code]).toEqual([409, 'self_referral']);
    const unknown = await bind(b.token, 'NOSUCHCD');
    expect([unknown.status, (await unknown.json()).error.code]).toEqual([404, 'unknown_code']);
    expect((await bind(b.token, codeA)).status).toBe(200);
    const again = await bind(b.token, await codeOf(c.token));
    expect([again.status, (await again.json()).error.code]).toEqual([409, 'already_bound']);
  });

  it('refuses loops, direct and through a chain', async () => {
    const a = await user();
    const b = await user();
    const c = await user();
    expect((await bind(b.token, await codeOf(a.token))).status).toBe(200);
    expect((await bind(c.token, await codeOf(b.token))).status).toBe(200);
    const direct = await bind(a.token, await codeOf(b.token));
    expect([direct.status, (await direct.json()).error.code]).toEqual([409, 'referral_loop']);
    const chain = await bind(a.token, await codeOf(c.token));
    expect((await chain.json()).error.code).toBe('referral_loop');
  });

  it('never lets two opposite concurrent binds both through', async () => {
    for (let i = 0; i < 10; i++) {
      const a = await user();
      const b = await user();
      const [codeA, codeB] = [await codeOf(a.token), await codeOf(b.token)];
      const [ra, rb] = await Promise.all([bind(a.token, codeB), bind(b.token, codeA)]);
      const outcomes = [ra.status, rb.status].sort();
      expect(outcomes).toEqual([200, 409]);
      const loser = ra.status === 409 ? ra : rb;
      expect((await loser.json()).error.code).toBe('referral_loop');
    }
  });

  it('refuses users who already completed a recharge (not_eligible)', async () => {
    const referrer = await user();
    const referee = await user();
    await complete(await pendingRecharge(referee.id));
    const r = await bind(referee.token, await codeOf(referrer.token));
    expect([r.status, (await r.json()).error.code]).toEqual([409, 'not_eligible']);
  });

  it('rejects a malformed body with 400', async () => {
    const u = await user();
    expect((await t.call('POST', '/api/referrals/bind', { token: u.token, body: { code: 12 } })).status).toBe(400);
  });
});

describe('awardReferralOnRechargeCompleted', () => {
  it("credits the referrer once when the referee's first recharge completes, visible in the referrer's history", async () => {
    const referrer = await user();
    const referee = await user();
    await bind(referee.token, await codeOf(referrer.token));
    const first = await pendingRecharge(referee.id);
    const second = await pendingRecharge(referee.id);
    expect(await readBalance(tdb.db, referrer.id)).toBe(0);
    await complete(first);
    await complete(first);
    await complete(second);
    expect(await readBalance(tdb.db, referee.id)).toBe(200);
    expect(await readBalance(tdb.db, referrer.id)).toBe(REWARD);
    const rows = await referralRows(referrer.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ delta_coins: REWARD, idempotency_ref: `referral:${referee.id}`, ref_type: 'referee', ref_id: String(referee.id) });
    const ledger = await (await t.call('GET', '/api/ledger', { token: referrer.token })).json();
    expect(ledger.entries[0]).toMatchObject({ kind: 'referral', delta_coins: REWARD });
    expect((await summary(referrer.token)).earned_coins).toBe(REWARD);
    const note = await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', referrer.id).execute();
    expect(note.map((n) => n.kind)).toEqual(['referral_earned']);
  });

  it('credits once under 20 concurrent duplicate completions and two recharges completing together', async () => {
    const referrer = await user();
    const referee = await user();
    await bind(referee.token, await codeOf(referrer.token));
    const a = await pendingRecharge(referee.id);
    const b = await pendingRecharge(referee.id);
    await Promise.all([...Array.from({ length: 10 }, () => complete(a)), ...Array.from({ length: 10 }, () => complete(b))]);
    expect(await readBalance(tdb.db, referee.id)).toBe(200);
    expect(await readBalance(tdb.db, referrer.id)).toBe(REWARD);
    expect(await referralRows(referrer.id)).toHaveLength(1);
    expect((await checkInvariants(tdb.db, [referrer.id, referee.id])).problems).toEqual([]);
  });

  it('is a silent no-op when replayed inside the same transaction, which still commits', async () => {
    const referrer = await user();
    const referee = await user();
    await bind(referee.token, await codeOf(referrer.token));
    const txnId = await pendingRecharge(referee.id);
    const row = await tdb.db.selectFrom('recharge_transactions').select('id').where('txn_id', '=', txnId).executeTakeFirstOrThrow();
    await inTransaction(tdb.db, async (trx) => {
      await trx.updateTable('recharge_transactions').set({ status: 'completed', coins_credited: 100 }).where('id', '=', row.id).execute();
      await awardReferralOnRechargeCompleted(trx, { refereeUserId: referee.id, rechargeId: row.id, now: new Date() });
      await awardReferralOnRechargeCompleted(trx, { refereeUserId: referee.id, rechargeId: row.id, now: new Date() });
    });
    await inTransaction(tdb.db, (trx) => awardReferralOnRechargeCompleted(trx, { refereeUserId: referee.id, rechargeId: row.id, now: new Date() }));
    expect(await readBalance(tdb.db, referrer.id)).toBe(REWARD);
  });

  it('pays nothing when the first recharge is below the minimum, nor for a bigger one after it', async () => {
    // The owner raises the minimum in the catalog; the binding made after it keeps 101, whatever changes later.
    const store = t.deps.catalog;
    const { version } = await store.current();
    expect((await store.update({ referrals: { reward_coins: REWARD, min_recharge_coins: 101 } }, version, { id: 1, name: 'owner' })).ok).toBe(true);
    const referrer = await user();
    const referee = await user();
    const code = await codeOf(referrer.token);
    const res = await t.call('POST', '/api/referrals/bind', { token: referee.token, body: { code } });
    expect(res.status).toBe(200);
    const now = await store.current();
    await store.update({ referrals: { reward_coins: REWARD, min_recharge_coins: 100 } }, now.version, { id: 1, name: 'owner' });
    await complete(await pendingRecharge(referee.id));
    expect(await readBalance(tdb.db, referee.id)).toBe(100);
    await complete(await pendingRecharge(referee.id));
    expect(await readBalance(tdb.db, referrer.id)).toBe(0);
    expect(await referralRows(referrer.id)).toEqual([]);
  });

  it('does nothing for users nobody referred', async () => {
    const loner = await user();
    await complete(await pendingRecharge(loner.id));
    expect(await readBalance(tdb.db, loner.id)).toBe(100);
    expect(await tdb.db.selectFrom('coin_ledger').select('id').where('kind', '=', 'referral').where('ref_id', '=', String(loner.id)).execute()).toEqual([]);
  });
});

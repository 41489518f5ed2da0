// Referrals: one code per user, a referee bound once without loops, the referrer credited once on the first completed
// recharge, and every referral's outcome (rewarded, or why not: below the minimum, the referrer's email, the cap) recorded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../sidecar/src/clock.js';
import { inTransaction } from '../../sidecar/src/db/retry.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { applyPaymentEvent } from '../../sidecar/src/payments/transition.js';
import { awardReferralOnRechargeCompleted } from '../../sidecar/src/referrals/referrals.js';
import { mintToken, TEST_HOME } from '../support/app.js';
import { createWpUser, type TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';

const REWARD = 50;
let tdb: TestDatabase;
let t: SeededApp;
beforeAll(async () => {
  t = await seededApp(import.meta.filename, {
    poolSize: 40,
    env: { REFERRAL_REWARD_COINS: String(REWARD), REFERRAL_MAX_REWARDS_PER_PERIOD: '0', RATE_LIMIT_REFERRAL_BIND: '0' },
  });
  tdb = t.tdb;
});
afterAll(async () => tdb?.drop());

const user = () => userWithCoins(tdb.db, 0);
const summary = async (token: string) => (await t.call('GET', '/api/referrals', { token })).json();
const bind = (token: string, code: string) => t.call('POST', '/api/referrals/bind', { token, body: { code } });
const codeOf = async (token: string) => (await summary(token)).code as string;

let txns = 0;
async function pendingRecharge(userId: number, opts: { coins?: number; buyerEmail?: string } = {}): Promise<string> {
  const txnId = `CPTEST${process.pid}${++txns}`;
  await tdb.db
    .insertInto('recharge_transactions')
    .values({
      user_id: userId,
      coins: opts.coins ?? 100,
      bonus_coins: 0,
      buyer_email: opts.buyerEmail ?? null,
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
const complete = (txnId: string, clock: Clock = systemClock) =>
  applyPaymentEvent(
    { db: tdb.db, clock, policies: { underpayment: 'proportional', latePayment: 'credit' } },
    'coinpayments',
    txnId,
    { type: 'provider', kind: 'paid', progress: 100, statusText: 'Complete', receivedAmount: '14.0000000000' },
  );
const outcomeOf = async (refereeId: number) =>
  (await tdb.db.selectFrom('referral_bindings').select('outcome').where('referee_user_id', '=', refereeId).executeTakeFirstOrThrow()).outcome;
/** Sets the referral terms new bindings are made under, as the owner does in wp-admin. */
async function setTerms(terms: Partial<{ reward_coins: number; min_recharge_coins: number; max_rewards_per_period: number; period_days: number }>) {
  const store = t.deps.catalog;
  const now = await store.current();
  const res = await store.update({ referrals: { ...now.doc.referrals, ...terms } }, now.version, { id: 1, name: 'owner' });
  expect(res.ok).toBe(true);
}
/** A referrer and `n` referees bound to them under the terms in force. */
async function referrerWith(n: number) {
  const referrer = await user();
  const code = await codeOf(referrer.token);
  const referees = [];
  for (let i = 0; i < n; i++) {
    const referee = await user();
    expect((await bind(referee.token, code)).status).toBe(200);
    referees.push(referee);
  }
  return { referrer, referees };
}
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
      terms: { reward_coins: REWARD, min_recharge_coins: 100, max_rewards_per_period: 0, period_days: 30 },
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

  it('binds each of 5 referees once when 20 binds of each arrive at once, none refused or failed', async () => {
    const referrer = await user();
    const code = await codeOf(referrer.token);
    const referees = await Promise.all(Array.from({ length: 5 }, () => user()));
    const res = await Promise.all(referees.flatMap((r) => Array.from({ length: 20 }, () => bind(r.token, code))));
    expect(res.map((r) => r.status)).toEqual(Array(100).fill(200));
    const rows = await tdb.db.selectFrom('referral_bindings').selectAll().where('referrer_user_id', '=', referrer.id).execute();
    expect(rows.map((r) => Number(r.referee_user_id)).sort()).toEqual(referees.map((r) => r.id).sort());
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
    const binding = await tdb.db.selectFrom('referral_bindings').selectAll().where('referee_user_id', '=', referee.id).executeTakeFirstOrThrow();
    const firstRow = await tdb.db.selectFrom('recharge_transactions').select('id').where('txn_id', '=', first).executeTakeFirstOrThrow();
    expect(binding).toMatchObject({ outcome: 'rewarded', decided_recharge_id: firstRow.id, rewarded_recharge_id: firstRow.id });
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
    await setTerms({ min_recharge_coins: 101 });
    const referrer = await user();
    const referee = await user();
    const code = await codeOf(referrer.token);
    const res = await t.call('POST', '/api/referrals/bind', { token: referee.token, body: { code } });
    expect(res.status).toBe(200);
    await setTerms({ min_recharge_coins: 100 });
    await complete(await pendingRecharge(referee.id));
    expect(await readBalance(tdb.db, referee.id)).toBe(100);
    expect(await outcomeOf(referee.id)).toBe('below_minimum');
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

describe('anti-farming rules, each outcome recorded with the decision', () => {
  it("pays nothing when the referee pays with the referrer's account email, whatever its case and spaces", async () => {
    const { referrer, referees } = await referrerWith(2);
    const account = await tdb.db.selectFrom('users').select('user_email').where('ID', '=', referrer.id).executeTakeFirstOrThrow();
    await complete(await pendingRecharge(referees[0]!.id, { buyerEmail: `  ${account.user_email.toUpperCase()} ` }));
    expect(await outcomeOf(referees[0]!.id)).toBe('same_email');
    // The other referee pays with their own address and is counted.
    await complete(await pendingRecharge(referees[1]!.id, { buyerEmail: `other-${referees[1]!.id}@example.test` }));
    expect(await outcomeOf(referees[1]!.id)).toBe('rewarded');
    expect(await readBalance(tdb.db, referrer.id)).toBe(REWARD);
    expect(await readBalance(tdb.db, referees[0]!.id)).toBe(100);
  });

  it('pays nothing when the referee pays with an email the referrer paid with', async () => {
    const { referrer, referees } = await referrerWith(1);
    await complete(await pendingRecharge(referrer.id, { buyerEmail: 'Farmer@Example.test' }));
    const balanceBefore = await readBalance(tdb.db, referrer.id);
    await complete(await pendingRecharge(referees[0]!.id, { buyerEmail: 'farmer@example.test' }));
    expect(await outcomeOf(referees[0]!.id)).toBe('same_email');
    expect(await readBalance(tdb.db, referrer.id)).toBe(balanceBefore);
    expect(await referralRows(referrer.id)).toEqual([]);
  });

  it('pays at most the cap per referrer per period, records the rest as cap_reached, and pays again next period', async () => {
    await setTerms({ max_rewards_per_period: 2, period_days: 30 });
    try {
      const { referrer, referees } = await referrerWith(4);
      const day = (n: number): Clock => ({ now: () => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000) });
      // 2026-01-01 is day 20454 since the epoch: its 30-day period runs from 2025-12-08 until 2026-01-07; day 15 is in the next.
      for (const r of referees.slice(0, 3)) await complete(await pendingRecharge(r.id), day(0));
      expect(await Promise.all(referees.slice(0, 3).map((r) => outcomeOf(r.id)))).toEqual(['rewarded', 'rewarded', 'cap_reached']);
      expect(await readBalance(tdb.db, referrer.id)).toBe(2 * REWARD);
      // A decided referral stays decided: the third referee's next recharge pays nothing, even in a new period.
      await complete(await pendingRecharge(referees[2]!.id), day(15));
      expect(await outcomeOf(referees[2]!.id)).toBe('cap_reached');
      await complete(await pendingRecharge(referees[3]!.id), day(15));
      expect(await outcomeOf(referees[3]!.id)).toBe('rewarded');
      expect(await readBalance(tdb.db, referrer.id)).toBe(3 * REWARD);
      expect(await referralRows(referrer.id)).toHaveLength(3);
    } finally {
      await setTerms({ max_rewards_per_period: 0 });
    }
  });

  it('a cap changed later applies to referrals bound after the change', async () => {
    const early = await referrerWith(1);
    await setTerms({ max_rewards_per_period: 1 });
    try {
      const late = await referrerWith(0);
      const code = await codeOf(late.referrer.token);
      const bound = [];
      for (let i = 0; i < 2; i++) {
        const u = await user();
        await bind(u.token, code);
        bound.push(u);
      }
      for (const u of bound) await complete(await pendingRecharge(u.id));
      expect(await Promise.all(bound.map((u) => outcomeOf(u.id)))).toEqual(['rewarded', 'cap_reached']);
    } finally {
      await setTerms({ max_rewards_per_period: 0 });
    }
    await complete(await pendingRecharge(early.referees[0]!.id));
    expect(await outcomeOf(early.referees[0]!.id)).toBe('rewarded');
  });

  it("N referees' first recharges completing at once for one referrer with cap K pay exactly K rewards", async () => {
    const N = 16;
    const K = 5;
    await setTerms({ max_rewards_per_period: K });
    try {
      const { referrer, referees } = await referrerWith(N);
      const txnIds = await Promise.all(referees.map((r) => pendingRecharge(r.id)));
      // Each payment's notice twice, all at once: duplicates must not pay twice either.
      await Promise.all([...txnIds, ...txnIds].map((id) => complete(id)));
      const outcomes = await Promise.all(referees.map((r) => outcomeOf(r.id)));
      const counts = { rewarded: outcomes.filter((o) => o === 'rewarded').length, cap_reached: outcomes.filter((o) => o === 'cap_reached').length };
      console.log(`referrals: ${N} first recharges at once, cap ${K}:`, counts);
      expect(counts).toEqual({ rewarded: K, cap_reached: N - K });
      expect(await readBalance(tdb.db, referrer.id)).toBe(K * REWARD);
      expect(await referralRows(referrer.id)).toHaveLength(K);
      const windows = await tdb.db.selectFrom('referral_reward_windows').select('rewards').where('referrer_user_id', '=', referrer.id).execute();
      expect(windows.map((w) => w.rewards)).toEqual([K]);
      for (const r of referees) expect(await readBalance(tdb.db, r.id)).toBe(100);
      expect((await checkInvariants(tdb.db, [referrer.id, ...referees.map((r) => r.id)])).problems).toEqual([]);
    } finally {
      await setTerms({ max_rewards_per_period: 0 });
    }
  });

  it('tells the referrer once of each referral not counted, with the reason, in the transaction that records it', async () => {
    await setTerms({ max_rewards_per_period: 1 });
    try {
      const { referrer, referees } = await referrerWith(4);
      const account = await tdb.db.selectFrom('users').select('user_email').where('ID', '=', referrer.id).executeTakeFirstOrThrow();
      // A refusal whose completion rolls back leaves neither the outcome nor its notice.
      const capped = await pendingRecharge(referees[1]!.id);
      const cappedRow = await tdb.db.selectFrom('recharge_transactions').select('id').where('txn_id', '=', capped).executeTakeFirstOrThrow();
      await complete(await pendingRecharge(referees[0]!.id));
      await expect(
        inTransaction(tdb.db, async (trx) => {
          await trx.updateTable('recharge_transactions').set({ status: 'completed', coins_credited: 100 }).where('id', '=', cappedRow.id).execute();
          expect(await awardReferralOnRechargeCompleted(trx, { refereeUserId: referees[1]!.id, rechargeId: cappedRow.id, now: new Date() })).toBe('cap_reached');
          throw new Error('the completion failed after the decision');
        }),
      ).rejects.toThrow('the completion failed');
      const notices = () =>
        tdb.db.selectFrom('notifications').select(['kind', 'data', 'dedupe_key']).where('user_id', '=', referrer.id).orderBy('id').execute();
      expect((await notices()).map((n) => n.kind)).toEqual(['referral_earned']);

      // Duplicate notifications of each payment, at once.
      const txns = [capped, await pendingRecharge(referees[2]!.id, { coins: 50 }), await pendingRecharge(referees[3]!.id, { buyerEmail: account.user_email })];
      await Promise.all(txns.flatMap((txn) => Array.from({ length: 5 }, () => complete(txn))));
      expect(await Promise.all(referees.map((r) => outcomeOf(r.id)))).toEqual(['rewarded', 'cap_reached', 'below_minimum', 'same_email']);
      const notes = await notices();
      expect(notes.map((n) => [n.kind, JSON.parse(n.data).outcome ?? null, n.dedupe_key]).sort()).toEqual(
        [
          ['referral_earned', null, `referral:${referees[0]!.id}`],
          ['referral_not_counted', 'cap_reached', `referral:${referees[1]!.id}:not_counted`],
          ['referral_not_counted', 'below_minimum', `referral:${referees[2]!.id}:not_counted`],
          ['referral_not_counted', 'same_email', `referral:${referees[3]!.id}:not_counted`],
        ].sort(),
      );
      for (const n of notes) expect(JSON.parse(n.data).referred_name).toMatch(/^u\*\*\*$/);
      const inbox = await (await t.call('GET', '/api/notifications', { token: referrer.token })).json();
      expect(inbox.notifications.map((n: { title: string }) => n.title).filter((x: string) => x === 'Referral not counted')).toHaveLength(3);
      expect(await readBalance(tdb.db, referrer.id)).toBe(REWARD);
    } finally {
      await setTerms({ max_rewards_per_period: 0 });
    }
  });

  it('records no outcome and pays nothing when the completing transaction rolls back', async () => {
    const { referrer, referees } = await referrerWith(1);
    const txnId = await pendingRecharge(referees[0]!.id);
    const row = await tdb.db.selectFrom('recharge_transactions').select('id').where('txn_id', '=', txnId).executeTakeFirstOrThrow();
    await expect(
      inTransaction(tdb.db, async (trx) => {
        await trx.updateTable('recharge_transactions').set({ status: 'completed', coins_credited: 100 }).where('id', '=', row.id).execute();
        expect(await awardReferralOnRechargeCompleted(trx, { refereeUserId: referees[0]!.id, rechargeId: row.id, now: new Date() })).toBe('rewarded');
        throw new Error('the completion failed after the award');
      }),
    ).rejects.toThrow('the completion failed');
    expect(await outcomeOf(referees[0]!.id)).toBeNull();
    expect(await readBalance(tdb.db, referrer.id)).toBe(0);
    await complete(txnId);
    expect(await outcomeOf(referees[0]!.id)).toBe('rewarded');
    expect(await readBalance(tdb.db, referrer.id)).toBe(REWARD);
  });

  it('records no_reward when referrals were bound with a reward of 0 coins', async () => {
    await setTerms({ reward_coins: 0 });
    try {
      const { referees } = await referrerWith(1);
      await complete(await pendingRecharge(referees[0]!.id));
      expect(await outcomeOf(referees[0]!.id)).toBe('no_reward');
    } finally {
      await setTerms({ reward_coins: REWARD });
    }
  });
});

describe('the referrals lists', () => {
  it("show the referrer each referral with its outcome and reward, newest first, paged, and only their own", async () => {
    await setTerms({ max_rewards_per_period: 1 });
    const { referrer, referees } = await referrerWith(3);
    await setTerms({ max_rewards_per_period: 0 });
    await complete(await pendingRecharge(referees[0]!.id));
    await complete(await pendingRecharge(referees[1]!.id));
    const other = await referrerWith(1);
    const first = await (await t.call('GET', '/api/referrals/referees?limit=2', { token: referrer.token })).json();
    expect(first.referees).toEqual([
      { name: expect.any(String), bound_at: expect.any(String), outcome: null, reward_coins: 0, decided_at: null },
      { name: expect.any(String), bound_at: expect.any(String), outcome: 'cap_reached', reward_coins: 0, decided_at: expect.any(String) },
    ]);
    expect(first.next_cursor).toBe(String(referees[1]!.id));
    const second = await (await t.call('GET', `/api/referrals/referees?limit=2&cursor=${first.next_cursor}`, { token: referrer.token })).json();
    expect(second).toEqual({
      referees: [{ name: expect.any(String), bound_at: expect.any(String), outcome: 'rewarded', reward_coins: REWARD, decided_at: expect.any(String) }],
      next_cursor: null,
    });
    expect((await (await t.call('GET', '/api/referrals/referees', { token: other.referrer.token })).json()).referees).toHaveLength(1);
    expect((await t.call('GET', '/api/referrals/referees?limit=1000', { token: referrer.token })).status).toBe(400);
  });

  it("show the referrer each referee's first character and *** only, never their name, login or email; the owner sees names", async () => {
    const { referrer, referees } = await referrerWith(3);
    const names = ['王小明', '\u{1F600}trader', '  '];
    for (const [i, name] of names.entries()) {
      await tdb.db.updateTable('users').set({ display_name: name } as never).where('ID', '=', referees[i]!.id).execute();
    }
    await complete(await pendingRecharge(referees[1]!.id));
    const res = await t.call('GET', '/api/referrals/referees', { token: referrer.token });
    const text = await res.text();
    expect(JSON.parse(text).referees.map((r: { name: string }) => r.name)).toEqual(['***', '\u{1F600}***', '王***']);
    const users = await tdb.db.selectFrom('users').select(['user_login', 'user_email']).where('ID', 'in', referees.map((r) => r.id)).execute();
    for (const u of users) {
      expect(text).not.toContain(u.user_login);
      expect(text).not.toContain(u.user_email);
    }
    expect(text).not.toContain('小明');
    expect(text).not.toContain('trader');
    // The reward's notification names the referee the same way.
    const note = await tdb.db.selectFrom('notifications').select('data').where('user_id', '=', referrer.id).where('kind', '=', 'referral_earned').executeTakeFirstOrThrow();
    expect(JSON.parse(note.data).referred_name).toBe('\u{1F600}***');

    const admin = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
    const report = await (await t.call('GET', `/api/admin/referrals?referrer_id=${referrer.id}`, { token: admin })).json();
    expect(report.referrals.map((r: { name: string }) => r.name)).toEqual(['  ', '\u{1F600}trader', '王小明']);
  });

  it('show the owner every referral with both users, filtered by referrer or outcome, and nobody else', async () => {
    const { referrer, referees } = await referrerWith(2);
    await complete(await pendingRecharge(referees[0]!.id));
    const admin = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
    const page = await (await t.call('GET', `/api/admin/referrals?referrer_id=${referrer.id}`, { token: admin })).json();
    expect(page.referrals).toEqual([
      expect.objectContaining({ referee_id: referees[1]!.id, referrer_id: referrer.id, referrer_name: expect.any(String), outcome: null, reward_coins: 0 }),
      expect.objectContaining({ referee_id: referees[0]!.id, referrer_id: referrer.id, outcome: 'rewarded', reward_coins: REWARD }),
    ]);
    const pending = await (await t.call('GET', `/api/admin/referrals?referrer_id=${referrer.id}&outcome=pending`, { token: admin })).json();
    expect(pending.referrals.map((r: { referee_id: number }) => r.referee_id)).toEqual([referees[1]!.id]);
    const all = await (await t.call('GET', '/api/admin/referrals?limit=1', { token: admin })).json();
    expect(all.referrals).toHaveLength(1);
    expect(all.next_cursor).not.toBeNull();
    expect((await t.call('GET', '/api/admin/referrals?outcome=maybe', { token: admin })).status).toBe(400);
    expect((await t.call('GET', '/api/admin/referrals', { token: referrer.token })).status).toBe(403);
  });
});

// Money-path regressions found in review: races between the reconciler's expiry and IPNs, held payments.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { silentLogger } from '../../sidecar/src/log.js';
import { reconcileOnce, type ReconcilerDeps } from '../../sidecar/src/payments/reconciler.js';
import { mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { movableClock, startPaymentsHarness, wrapProvider, type PaymentsHarness } from '../support/payments.js';
import { insertPost, setPostMeta } from '../support/wp-content.js';

const INTERVAL_MS = 60_000;
let tdb: TestDatabase;
let h: PaymentsHarness;
const clock = movableClock();
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  h = await startPaymentsHarness(tdb, { clock, env: { RECHARGE_LATE_PAYMENT: 'hold', REFERRAL_MIN_RECHARGE_COINS: '0' } });
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

let keySeq = 0;
const tokenFor = (user: number) => mintToken(user, { iatOffsetS: Math.floor((clock.now().getTime() - Date.now()) / 1000) });
async function newRecharge(userId?: number) {
  const user = userId ?? (await createWpUser(tdb.db));
  const res = await h.call('POST', '/api/recharges', {
    token: await tokenFor(user),
    body: { package_id: 'p52', method: 'USDT' },
    headers: { 'Idempotency-Key': `review-${Date.now()}-${keySeq++}` },
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { id: number; payment: { txn_id: string } };
  return { user, id: json.id, txnId: json.payment.txn_id };
}
const rechargeRow = (id: number) => tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('reconciler expiry racing an IPN', () => {
  it('does not expire a payment whose funds an IPN reported after the reconciler asked the provider', async () => {
    await tdb.db.updateTable('recharge_transactions').set({ next_reconcile_at: new Date('2999-01-01') }).execute();
    const r = await newRecharge();
    const row = await rechargeRow(r.id);
    clock.advance(row.expires_at!.getTime() - clock.now().getTime() + 1_000);
    // The provider answers "waiting for funds"; before the reconciler acts on that answer, the buyer's funds
    // arrive and CoinPayments' status-1 IPN is processed.
    const real = h.deps.provider;
    const racing = wrapProvider(real, {
      async fetchStatuses(ids) {
        const answer = await real.fetchStatuses(ids);
        await h.sim.pay(r.txnId, { status: 1 });
        return answer;
      },
    });
    const deps: ReconcilerDeps = {
      db: tdb.db,
      provider: racing,
      log: silentLogger,
      clock,
      policies: { underpayment: 'proportional', latePayment: 'hold' },
      intervalMs: INTERVAL_MS,
    };
    expect(await reconcileOnce(deps)).toMatchObject({ claimed: 1, expired: 0 });
    const after = await rechargeRow(r.id);
    expect([after.status, after.provider_status]).toEqual(['pending', 1]);
    // So the confirmation completes it on time rather than parking a paid-in-time payment as "late".
    await h.sim.pay(r.txnId);
    const done = await rechargeRow(r.id);
    expect([done.status, done.hold_reason]).toEqual(['completed', null]);
    expect(await readBalance(tdb.db, r.user)).toBe(52);
  });
});

/** The referrer sees a referee's first character: cut as UTF-16 units, it would be half the emoji's surrogate pair. */
const EMOJI_FIRST = '\u{1F600} trader';
const EMOJI_AT_200 = `${'b'.repeat(199)}\u{1F600} scalper`;

describe('user-controlled text cut for notifications', () => {
  it("credits a referee's first recharge and its referrer when the referee's display name starts with an emoji", async () => {
    const referrer = await createWpUser(tdb.db);
    const referee = await createWpUser(tdb.db);
    await tdb.db.updateTable('users').set({ display_name: EMOJI_FIRST } as never).where('ID', '=', referee).execute();
    const code = ((await (await h.call('GET', '/api/referrals', { token: await tokenFor(referrer) })).json()) as { code: string }).code;
    expect((await h.call('POST', '/api/referrals/bind', { token: await tokenFor(referee), body: { code } })).status).toBe(200);
    const r = await newRecharge(referee);
    await h.sim.pay(r.txnId);
    expect((await rechargeRow(r.id)).status).toBe('completed');
    expect(await readBalance(tdb.db, referee)).toBe(52);
    expect(await readBalance(tdb.db, referrer)).toBe(50);
    const notes = await tdb.db.selectFrom('notifications').select('data').where('user_id', '=', referrer).execute();
    expect(notes.map((n) => (JSON.parse(n.data) as { referred_name: string }).referred_name)).toEqual(['\u{1F600}***']);
    expect((await checkInvariants(tdb.db, [referrer, referee])).problems).toEqual([]);
  });

  it('unlocks a post whose title has an emoji at the memo cut', async () => {
    const user = await createWpUser(tdb.db);
    await tdb.db.insertInto('user_wallet').values({ user_id: user, total_coins: 30 } as never).execute();
    await tdb.db.insertInto('coin_ledger').values({ user_id: user, delta_coins: 30, balance_after: 30, kind: 'adjustment', idempotency_ref: `seed:${user}`, actor: 'test' } as never).execute();
    const post = await insertPost(tdb.db, { title: EMOJI_AT_200 });
    await setPostMeta(tdb.db, post, '_goldcoin_price', 10);
    const res = await h.call('POST', `/api/posts/${post}/unlock`, { token: await tokenFor(user) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ unlocked: true, balance: 20, charged_coins: 10 });
    expect((await checkInvariants(tdb.db, [user])).problems).toEqual([]);
  });
});

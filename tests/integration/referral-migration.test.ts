// Migration 015 on a database with referrals made before it: paid ones read as rewarded, unpaid ones whose referee
// had already recharged as not counted (with the old rules' reason), the rest wait; none is paid again after it.
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../sidecar/src/clock.js';
import { migrate } from '../../sidecar/src/db/migrator.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { applyPaymentEvent } from '../../sidecar/src/payments/transition.js';
import { attachTestDatabase, migratedBefore, TABLE_PREFIX, WP_PREFIX, type TestDatabase } from '../support/db.js';

const NAME = `gct_referral_migration_${process.pid}`;
const P = TABLE_PREFIX;
let before: Awaited<ReturnType<typeof migratedBefore>>;
let url: string;
let tdb: TestDatabase | undefined;

beforeAll(async () => {
  before = await migratedBefore(NAME, '015');
  url = before.url;
});
afterAll(async () => {
  await tdb?.db.destroy();
  await before?.drop();
});

describe('015_referral_outcomes', () => {
  it('records the outcome of referrals decided before it, and leaves the undecided to their first recharge', async () => {
    const conn = await createConnection({ uri: url });
    const recharge = (id: number, user: number, status: string, credited: number) =>
      conn.query(
        `INSERT INTO ${P}recharge_transactions (id, user_id, coins, bonus_coins, payment_method, price_amount, price_currency, status, provider, txn_id, coins_credited, completed_at)
         VALUES (?, ?, 100, 0, 'USDT', '100.00', 'CNY', ?, 'coinpayments', ?, ?, ?)`,
        [id, user, status, `CPMIG${id}`, credited, status === 'completed' ? new Date('2026-10-01T00:00:00Z') : null],
      );
    // 11 referred 21 (paid), 22 (first recharge of 5 coins, below the minimum of 10), 23 (a reward of 0), 24 (not paid yet).
    await conn.query(
      `INSERT INTO ${P}referral_bindings (referee_user_id, referrer_user_id, reward_coins, min_recharge_coins, rewarded_recharge_id, rewarded_at) VALUES
       (21, 11, 50, 10, 1, '2026-10-01 00:00:00'), (22, 11, 50, 10, NULL, NULL), (23, 11, 0, 10, NULL, NULL), (24, 11, 50, 10, NULL, NULL)`,
    );
    await recharge(1, 21, 'completed', 100);
    await recharge(2, 22, 'completed', 5);
    await recharge(3, 23, 'completed', 100);
    await recharge(4, 24, 'pending', 0);
    await recharge(5, 22, 'pending', 0);
    await conn.end();

    await migrate({ url, tablePrefix: P, wpTablePrefix: WP_PREFIX });
    tdb = await attachTestDatabase(NAME);
    const rows = await tdb.db.selectFrom('referral_bindings').select(['referee_user_id', 'outcome', 'decided_recharge_id', 'max_rewards_per_period', 'period_days']).orderBy('referee_user_id').execute();
    expect(rows).toEqual([
      { referee_user_id: 21, outcome: 'rewarded', decided_recharge_id: 1, max_rewards_per_period: 0, period_days: 30 },
      { referee_user_id: 22, outcome: 'below_minimum', decided_recharge_id: 2, max_rewards_per_period: 0, period_days: 30 },
      { referee_user_id: 23, outcome: 'no_reward', decided_recharge_id: 3, max_rewards_per_period: 0, period_days: 30 },
      { referee_user_id: 24, outcome: null, decided_recharge_id: null, max_rewards_per_period: 0, period_days: 30 },
    ]);

    // After it: 22's bigger recharge pays nothing (decided); 24's first recharge is decided now and paid.
    const pay = (txnId: string) =>
      applyPaymentEvent({ db: tdb!.db, clock: systemClock, policies: { underpayment: 'proportional', latePayment: 'credit' } }, 'coinpayments', txnId, {
        type: 'provider',
        kind: 'paid',
        progress: 100,
        statusText: 'Complete',
        receivedAmount: null,
      });
    await pay('CPMIG5');
    await pay('CPMIG4');
    const after = await tdb.db.selectFrom('referral_bindings').select(['referee_user_id', 'outcome']).where('referee_user_id', 'in', [22, 24]).orderBy('referee_user_id').execute();
    expect(after).toEqual([
      { referee_user_id: 22, outcome: 'below_minimum' },
      { referee_user_id: 24, outcome: 'rewarded' },
    ]);
    expect(await readBalance(tdb.db, 11)).toBe(50);
  });
});

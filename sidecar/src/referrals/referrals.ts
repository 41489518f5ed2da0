// Referrals: one code per user, a referee bound once, the referrer credited once on the referee's first completed recharge.
import type { Transaction } from 'kysely';
import type { Database } from '../db/types.js';
import { applyMovementInTx } from '../ledger/ledger.js';

export const REFERRAL_ACTOR = 'referral';

export function referralLedgerRef(refereeUserId: number): string {
  return `referral:${refereeUserId}`;
}

/**
 * Called inside the recharge-completion transaction, after the recharge row is marked completed.
 * Credits the referrer once, when the bound referee's first recharge completes. The binding row is
 * claimed with a conditional UPDATE (a locking read of the latest version), so a concurrent or
 * repeated completion finds it already claimed and returns without touching anything: a replay is a
 * silent no-op and never aborts the caller's transaction.
 */
export async function awardReferralOnRechargeCompleted(
  trx: Transaction<Database>,
  r: { refereeUserId: number; rechargeId: number },
): Promise<void> {
  const binding = await trx
    .selectFrom('referral_bindings')
    .select(['referrer_user_id', 'reward_coins', 'rewarded_recharge_id'])
    .where('referee_user_id', '=', r.refereeUserId)
    .executeTakeFirst();
  if (!binding || binding.rewarded_recharge_id !== null || binding.reward_coins <= 0) return;

  // Only the first completed recharge counts: a referee who already had one is not a new customer.
  const earlier = await trx
    .selectFrom('recharge_transactions')
    .select('id')
    .where('user_id', '=', r.refereeUserId)
    .where('status', '=', 'completed')
    .where('id', '<>', r.rechargeId)
    .limit(1)
    .executeTakeFirst();
  if (earlier) return;

  const claimed = await trx
    .updateTable('referral_bindings')
    .set({ rewarded_recharge_id: r.rechargeId, rewarded_at: new Date() })
    .where('referee_user_id', '=', r.refereeUserId)
    .where('rewarded_recharge_id', 'is', null)
    .executeTakeFirst();
  if (claimed.numUpdatedRows === 0n) return;

  // The claim above serialises awards for this referee, so this reference cannot race; a replayed
  // or conflicting reference (e.g. a binding rebuilt by hand) is left as it is.
  await applyMovementInTx(trx, {
    userId: binding.referrer_user_id,
    deltaCoins: binding.reward_coins,
    kind: 'referral',
    idempotencyRef: referralLedgerRef(r.refereeUserId),
    actor: REFERRAL_ACTOR,
    refType: 'referee',
    refId: String(r.refereeUserId),
    memo: `referral reward for user ${r.refereeUserId}'s first recharge`,
  });
}

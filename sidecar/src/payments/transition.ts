// The one forward-only state machine of a recharge, shared by the IPN handler and the reconciler:
// `decide` is pure (property-tested); `applyPaymentEvent` locks the row, decides and writes in one transaction.
import type { Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/retry.js';
import type { Database, RechargeStatus } from '../db/types.js';
import { applyMovementInTx } from '../ledger/ledger.js';
import { enqueueNotification } from '../notify/outbox.js';
import { awardReferralOnRechargeCompleted } from '../referrals/referrals.js';
import { AMOUNT_SCALE, parseDecimal } from './decimal.js';
import { classifyStatus } from './provider.js';

export type UnderpaymentPolicy = 'proportional' | 'hold';
export type LatePaymentPolicy = 'credit' | 'hold';
export interface Policies {
  underpayment: UnderpaymentPolicy;
  latePayment: LatePaymentPolicy;
}

export interface RechargeState {
  status: RechargeStatus;
  providerStatus: number | null;
  coins: number;
  bonusCoins: number;
  /** What the buyer was asked to send, in the pay currency (exact decimal string). */
  cryptoAmount: string | null;
  holdReason: string | null;
}

export type PaymentEvent =
  | { type: 'provider'; status: number; statusText: string; receivedAmount: string | null }
  /** Our own timeout: the reconciler saw the payment past its expiry with no funds. */
  | { type: 'expired' };

export type Decision =
  | { action: 'none'; reason: 'already_completed' | 'already_failed' | 'on_hold' | 'not_newer' }
  | { action: 'progress'; providerStatus: number }
  | { action: 'complete'; coinsCredited: number; bonusCredited: number; underpaid: boolean; late: boolean }
  | { action: 'fail'; reason: 'expired' | 'provider_failed' }
  | { action: 'hold'; reason: 'underpaid' | 'late_payment' };

/**
 * Forward only: pending → completed | failed, failed → completed (CoinPayments may reopen a payment),
 * completed → nothing. A paid status with less than was asked follows the underpayment policy:
 * `proportional` credits coins and bonus in proportion to what arrived, rounded down; `hold` waits
 * for a person. A payment completing after we marked it failed follows the late-payment policy.
 */
export function decide(state: RechargeState, event: PaymentEvent, policies: Policies): Decision {
  if (state.status === 'completed') return { action: 'none', reason: 'already_completed' };
  if (state.holdReason !== null) return { action: 'none', reason: 'on_hold' };
  if (event.type === 'expired') {
    return state.status === 'pending' ? { action: 'fail', reason: 'expired' } : { action: 'none', reason: 'already_failed' };
  }
  const cls = classifyStatus(event.status);
  if (cls === 'failed') {
    if (state.status !== 'pending') return { action: 'none', reason: 'already_failed' };
    return { action: 'fail', reason: event.status === -1 ? 'expired' : 'provider_failed' };
  }
  if (cls === 'pending') {
    if (state.status !== 'pending') return { action: 'none', reason: 'already_failed' };
    if (state.providerStatus !== null && event.status <= state.providerStatus) return { action: 'none', reason: 'not_newer' };
    return { action: 'progress', providerStatus: event.status };
  }

  const late = state.status === 'failed';
  if (late && policies.latePayment === 'hold') return { action: 'hold', reason: 'late_payment' };
  const asked = state.cryptoAmount === null ? null : parseDecimal(state.cryptoAmount, AMOUNT_SCALE);
  const received = event.receivedAmount === null ? null : parseDecimal(event.receivedAmount, AMOUNT_SCALE);
  if (asked === null || asked <= 0n || received === null || received >= asked) {
    return { action: 'complete', coinsCredited: state.coins, bonusCredited: state.bonusCoins, underpaid: false, late };
  }
  if (policies.underpayment === 'hold') return { action: 'hold', reason: 'underpaid' };
  const coinsCredited = Number((BigInt(state.coins) * received) / asked);
  const bonusCredited = Number((BigInt(state.bonusCoins) * received) / asked);
  if (coinsCredited <= 0) return { action: 'hold', reason: 'underpaid' };
  return { action: 'complete', coinsCredited, bonusCredited, underpaid: true, late };
}

export interface ApplyDeps {
  db: Db;
  now: () => Date;
  policies: Policies;
}

export interface ApplyResult {
  found: boolean;
  rechargeId: number | null;
  decision: Decision | null;
}

export const rechargeLedgerRef = (provider: string, txnId: string) => `recharge:${provider}:${txnId}`;
export const bonusLedgerRef = (provider: string, txnId: string) => `bonus:${provider}:${txnId}`;

/** Locks the recharge by (provider, txn_id), decides, and writes the outcome with its credits, exactly once. */
export async function applyPaymentEvent(deps: ApplyDeps, provider: string, txnId: string, event: PaymentEvent): Promise<ApplyResult> {
  return inTransaction(deps.db, async (trx) => {
    const row = await trx
      .selectFrom('recharge_transactions')
      .selectAll()
      .where('provider', '=', provider)
      .where('txn_id', '=', txnId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return { found: false, rechargeId: null, decision: null };
    const decision = decide(
      {
        status: row.status,
        providerStatus: row.provider_status,
        coins: row.coins,
        bonusCoins: row.bonus_coins,
        cryptoAmount: row.crypto_amount,
        holdReason: row.hold_reason,
      },
      event,
      deps.policies,
    );
    await write(trx, deps.now(), row, provider, txnId, event, decision);
    return { found: true, rechargeId: row.id, decision };
  });
}

interface LockedRow {
  id: number;
  user_id: number;
  status: RechargeStatus;
}

async function write(
  trx: Transaction<Database>,
  now: Date,
  row: LockedRow,
  provider: string,
  txnId: string,
  event: PaymentEvent,
  decision: Decision,
): Promise<void> {
  const observed =
    event.type === 'provider'
      ? {
          provider_status: event.status,
          provider_status_text: event.statusText.slice(0, 128),
          ...(event.receivedAmount !== null ? { received_amount: event.receivedAmount } : {}),
        }
      : {};
  const update = () => trx.updateTable('recharge_transactions').where('id', '=', row.id).where('status', '=', row.status);

  switch (decision.action) {
    case 'none':
      return;
    case 'progress':
      await update().set(observed).execute();
      return;
    case 'hold':
      await update().set({ ...observed, hold_reason: decision.reason }).execute();
      return;
    case 'fail': {
      await update()
        .set({ ...observed, status: 'failed', failed_at: now, failed_reason: decision.reason })
        .execute();
      await enqueueNotification(trx, {
        userId: row.user_id,
        kind: decision.reason === 'expired' ? 'recharge_expired' : 'recharge_failed',
        dedupeKey: `recharge:${row.id}:failed`,
        data: { recharge_id: row.id, reason: decision.reason },
      });
      return;
    }
    case 'complete': {
      const res = await update()
        .set({
          ...observed,
          status: 'completed',
          completed_at: now,
          coins_credited: decision.coinsCredited,
          bonus_credited: decision.bonusCredited,
        })
        .executeTakeFirst();
      // The row is locked and its status was read under the lock, so this cannot miss.
      if (res.numUpdatedRows !== 1n) throw new Error(`recharge ${row.id} changed under its lock`);
      const common = { userId: row.user_id, actor: `provider:${provider}`, refType: 'recharge', refId: String(row.id) };
      const credit = await applyMovementInTx(trx, {
        ...common,
        deltaCoins: decision.coinsCredited,
        kind: 'recharge',
        idempotencyRef: rechargeLedgerRef(provider, txnId),
        memo: decision.underpaid ? 'recharge (underpaid: credited in proportion)' : 'recharge',
      });
      if (!credit.ok) throw new Error(`recharge ${row.id}: ledger refused the credit (${credit.code})`);
      if (decision.bonusCredited > 0) {
        const bonus = await applyMovementInTx(trx, {
          ...common,
          deltaCoins: decision.bonusCredited,
          kind: 'bonus',
          idempotencyRef: bonusLedgerRef(provider, txnId),
          memo: 'recharge bonus',
        });
        if (!bonus.ok) throw new Error(`recharge ${row.id}: ledger refused the bonus (${bonus.code})`);
      }
      await trx.updateTable('user_wallet').set({ last_recharge_at: now }).where('user_id', '=', row.user_id).execute();
      await enqueueNotification(trx, {
        userId: row.user_id,
        kind: 'recharge_completed',
        dedupeKey: `recharge:${row.id}:completed`,
        data: { recharge_id: row.id, coins: decision.coinsCredited, bonus_coins: decision.bonusCredited },
      });
      await awardReferralOnRechargeCompleted(trx, { refereeUserId: row.user_id, rechargeId: row.id });
      return;
    }
  }
}

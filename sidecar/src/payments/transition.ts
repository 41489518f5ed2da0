// The one forward-only state machine of a recharge, shared by the IPN handler, the reconciler and an
// administrator resolving a hold: `decide` is pure (property-tested); `applyPaymentEvent` locks the row,
// decides and writes state, ledger, audit and notification in one transaction.
import type { Selectable, Transaction } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { compiledOnce } from '../db/compiled.js';
import { inTransaction } from '../db/retry.js';
import type { ResolutionAction } from '../db/tables/payment-resolutions.js';
import type { RechargeStatus, RechargeTransactionsTable } from '../db/tables/recharge-transactions.js';
import type { Database } from '../db/types.js';
import { applyMovementInTx } from '../ledger/ledger.js';
import { rechargeMemo } from '../ledger/memo.js';
import { enqueueNotification } from '../notify/outbox.js';
import { awardReferralOnRechargeCompleted } from '../referrals/referrals.js';
import { bonusForTiers, parseTiers, type BonusTier } from './bonus-tiers.js';
import { AMOUNT_SCALE, parseDecimal } from './decimal.js';
import type { ObservationKind } from './provider.js';

export type UnderpaymentPolicy = 'proportional' | 'hold';
export type LatePaymentPolicy = 'credit' | 'hold';
export interface Policies {
  underpayment: UnderpaymentPolicy;
  latePayment: LatePaymentPolicy;
}

export interface RechargeState {
  status: RechargeStatus;
  /** The provider's progress rank last recorded (see ProviderObservation): 0 nothing arrived, above 0 funds seen. */
  providerStatus: number | null;
  coins: number;
  bonusCoins: number;
  /**
   * The bonus tiers frozen at the quote; bonusCoins is a package's fixed bonus plus the tier bonus of coins.
   * Absent or null on recharges quoted before they were stored: their bonus shrinks in proportion instead.
   */
  bonusTiers?: readonly BonusTier[] | null;
  /** What the buyer was asked to send, in the pay currency (exact decimal string). */
  cryptoAmount: string | null;
  holdReason: string | null;
  /** What the provider last reported as arrived (exact decimal string); what `credit_received` pays for. */
  receivedAmount?: string | null;
  failedReason?: string | null;
}

export type PaymentEvent =
  /** A provider's normalised observation (payments/provider.ts), from a notification re-checked or a look-up. */
  | { type: 'provider'; kind: ObservationKind; progress: number; statusText: string; receivedAmount: string | null; expectedAmount?: string | null }
  /** Our own timeout: the reconciler saw the payment past its expiry with no funds. */
  | { type: 'expired' }
  /** A person settles a held payment; actor is e.g. `admin:7`, reason is stored with the audit row. */
  | { type: 'resolve'; action: ResolutionAction; actor: string; reason: string };

export type Decision =
  | { action: 'none'; reason: 'already_completed' | 'already_failed' | 'on_hold' | 'not_newer' | 'not_on_hold' | 'nothing_received' | 'funds_seen' }
  | { action: 'progress'; providerStatus: number }
  | { action: 'complete'; coinsCredited: number; bonusCredited: number; underpaid: boolean; late: boolean }
  | { action: 'fail'; reason: 'expired' | 'provider_failed' | 'rejected' }
  | { action: 'hold'; reason: 'underpaid' | 'late_payment' };

/**
 * Forward only: pending → completed | failed, failed → completed (CoinPayments may reopen a payment),
 * completed → nothing. A paid status with less than was asked follows the underpayment policy:
 * `proportional` credits coins and bonus in proportion to what arrived, rounded down; `hold` waits
 * for a person. A payment completing after we marked it failed follows the late-payment policy.
 * Only a `resolve` event moves a held payment: credit what arrived (the proportional rule), credit the
 * full quote, or reject it; a rejection is final, no later provider event reopens it.
 */
export function decide(state: RechargeState, event: PaymentEvent, policies: Policies): Decision {
  if (state.status === 'completed') return { action: 'none', reason: 'already_completed' };
  if (event.type === 'resolve') return resolveHold(state, event.action);
  if (state.holdReason !== null) return { action: 'none', reason: 'on_hold' };
  if (state.status === 'failed' && state.failedReason === 'rejected') return { action: 'none', reason: 'already_failed' };
  if (event.type === 'expired') {
    if (state.status !== 'pending') return { action: 'none', reason: 'already_failed' };
    // Judged on the locked row, not on the reconciler's earlier provider answer: an IPN may have reported funds since.
    if (state.providerStatus !== null && state.providerStatus > 0) return { action: 'none', reason: 'funds_seen' };
    return { action: 'fail', reason: 'expired' };
  }
  if (event.kind === 'failed' || event.kind === 'expired') {
    if (state.status !== 'pending') return { action: 'none', reason: 'already_failed' };
    // Funds arrived before the provider gave up: a person decides, the buyer's money is never silently lost.
    if (isPositive(event.receivedAmount)) return { action: 'hold', reason: 'underpaid' };
    return { action: 'fail', reason: event.kind === 'expired' ? 'expired' : 'provider_failed' };
  }
  if (event.kind === 'pending') {
    if (state.status !== 'pending') return { action: 'none', reason: 'already_failed' };
    if (state.providerStatus !== null && event.progress <= state.providerStatus) return { action: 'none', reason: 'not_newer' };
    return { action: 'progress', providerStatus: event.progress };
  }

  const late = state.status === 'failed';
  if (late && policies.latePayment === 'hold') return { action: 'hold', reason: 'late_payment' };
  const share = receivedShare(state, event.receivedAmount);
  if (!share.underpaid) return { action: 'complete', ...share, late };
  if (policies.underpayment === 'hold' || share.coinsCredited <= 0) return { action: 'hold', reason: 'underpaid' };
  return { action: 'complete', ...share, late };
}

/**
 * Coins and bonus for what arrived: all of them when at least the asked amount arrived (or either amount
 * is unknown, as the provider's paid status is then all we have), else coins in proportion, rounded down.
 * The tier bonus is then that of the coins credited, against the frozen tiers (half of a 1,000-coin quote
 * earns what a 500-coin quote would), a package's fixed bonus shrinks in proportion, and the sum never
 * exceeds the quoted bonus.
 */
function receivedShare(state: RechargeState, receivedAmount: string | null) {
  const asked = state.cryptoAmount === null ? null : parseDecimal(state.cryptoAmount, AMOUNT_SCALE);
  const received = receivedAmount === null ? null : parseDecimal(receivedAmount, AMOUNT_SCALE);
  if (asked === null || asked <= 0n || received === null || received >= asked) {
    return { coinsCredited: state.coins, bonusCredited: state.bonusCoins, underpaid: false };
  }
  const coinsCredited = Number((BigInt(state.coins) * received) / asked);
  const tiers = state.bonusTiers;
  if (!tiers) return { coinsCredited, bonusCredited: Number((BigInt(state.bonusCoins) * received) / asked), underpaid: true };
  const packageBonus = Math.max(0, state.bonusCoins - bonusForTiers(tiers, state.coins));
  const bonusCredited = Number((BigInt(packageBonus) * received) / asked) + bonusForTiers(tiers, coinsCredited);
  return { coinsCredited, bonusCredited: Math.min(bonusCredited, state.bonusCoins), underpaid: true };
}

function isPositive(amount: string | null): boolean {
  const v = amount === null ? null : parseDecimal(amount, AMOUNT_SCALE);
  return v !== null && v > 0n;
}

function resolveHold(state: RechargeState, action: ResolutionAction): Decision {
  if (state.holdReason === null) return { action: 'none', reason: 'not_on_hold' };
  const late = state.status === 'failed';
  switch (action) {
    case 'reject':
      return { action: 'fail', reason: 'rejected' };
    case 'credit_full':
      return { action: 'complete', coinsCredited: state.coins, bonusCredited: state.bonusCoins, underpaid: false, late };
    case 'credit_received': {
      const share = receivedShare(state, state.receivedAmount ?? null);
      if (share.coinsCredited <= 0) return { action: 'none', reason: 'nothing_received' };
      return { action: 'complete', ...share, late };
    }
  }
}

/** The counters the payment path moves; prom-client's Counter fits, tests may leave it out. */
export interface PaymentMetrics {
  recharges: { inc(labels: { status: 'pending' | 'completed' | 'failed' | 'held' }): void };
}

export interface ApplyDeps {
  db: Db;
  clock: Clock;
  policies: Policies;
  metrics?: PaymentMetrics;
}

export interface ApplyResult {
  found: boolean;
  rechargeId: number | null;
  decision: Decision | null;
}

export const rechargeLedgerRef = (provider: string, txnId: string) => `recharge:${provider}:${txnId}`;
export const bonusLedgerRef = (provider: string, txnId: string) => `bonus:${provider}:${txnId}`;

const lockedRecharge = compiledOnce((db, v: { provider: string; txnId: string }) =>
  db.selectFrom('recharge_transactions').selectAll().where('provider', '=', v.provider).where('txn_id', '=', v.txnId).forUpdate(),
);

/** Locks the recharge by (provider, txn_id), decides, and writes the outcome with its credits, exactly once. */
export async function applyPaymentEvent(deps: ApplyDeps, provider: string, txnId: string, event: PaymentEvent): Promise<ApplyResult> {
  const result = await inTransaction(deps.db, async (trx): Promise<ApplyResult> => {
    const row = (await lockedRecharge(trx, { provider, txnId })).rows[0];
    if (!row) return { found: false, rechargeId: null, decision: null };
    const decision = decide(
      {
        status: row.status,
        providerStatus: row.provider_status,
        coins: row.coins,
        bonusCoins: row.bonus_coins,
        bonusTiers: row.bonus_tiers === null ? null : frozenTiers(row.id, row.bonus_tiers),
        // A checkout that let the buyer choose the coin states the amount only once chosen.
        cryptoAmount: row.crypto_amount ?? expectedOf(event),
        holdReason: row.hold_reason,
        receivedAmount: row.received_amount,
        failedReason: row.failed_reason,
      },
      event,
      deps.policies,
    );
    await write(trx, deps.clock.now(), row, provider, txnId, event, decision);
    return { found: true, rechargeId: row.id, decision };
  });
  // Counted after commit: a retried transaction must not count twice.
  const action = result.decision?.action;
  if (action === 'complete') deps.metrics?.recharges.inc({ status: 'completed' });
  else if (action === 'fail') deps.metrics?.recharges.inc({ status: 'failed' });
  else if (action === 'hold') deps.metrics?.recharges.inc({ status: 'held' });
  return result;
}

/** The stored tiers; text this code never writes is a bug, so it fails the event rather than guess a bonus. */
function frozenTiers(rechargeId: number, text: string): BonusTier[] {
  const tiers = parseTiers(text);
  if (tiers === null) throw new Error(`recharge ${rechargeId}: unreadable bonus_tiers`);
  return tiers;
}

/** Locks the recharge by id and applies a person's resolution of its hold through the same state machine. */
export async function resolveHeldPayment(
  deps: ApplyDeps,
  rechargeId: number,
  resolution: { action: ResolutionAction; actor: string; reason: string },
): Promise<ApplyResult> {
  const row = await deps.db.selectFrom('recharge_transactions').select(['provider', 'txn_id']).where('id', '=', rechargeId).executeTakeFirst();
  if (!row) return { found: false, rechargeId: null, decision: null };
  // Without a provider transaction nothing can have been paid, so nothing can be held.
  if (row.txn_id === null) return { found: true, rechargeId, decision: { action: 'none', reason: 'not_on_hold' } };
  return applyPaymentEvent(deps, row.provider, row.txn_id, { type: 'resolve', ...resolution });
}

type LockedRow = Selectable<RechargeTransactionsTable>;

type Resolution = Extract<PaymentEvent, { type: 'resolve' }>;
type Failure = Extract<Decision, { action: 'fail' }>;
type Completion = Extract<Decision, { action: 'complete' }>;

/** What one locked write needs: the transaction, the row as locked, the event's time and what it observed. */
interface WriteStep {
  trx: Transaction<Database>;
  now: Date;
  row: LockedRow;
  observed: Partial<Pick<LockedRow, 'provider_status' | 'provider_status_text' | 'received_amount' | 'crypto_amount'>>;
  resolution: Resolution | null;
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
  const step: WriteStep = { trx, now, row, observed: observedColumns(row, event), resolution: event.type === 'resolve' ? event : null };
  switch (decision.action) {
    case 'none':
      if (decision.reason === 'on_hold' && event.type === 'provider') await recordWhileHeld(trx, row, event);
      return;
    case 'progress':
      // Funds are moving: restart the reconciler's backoff, so checks after the one already scheduled come sooner.
      await updateLocked(step).set({ ...step.observed, reconcile_attempts: 0 }).execute();
      return;
    case 'hold':
      await updateLocked(step).set({ ...step.observed, hold_reason: decision.reason }).execute();
      return;
    case 'fail':
      return writeFailure(step, decision);
    case 'complete':
      return writeCompletion(step, provider, txnId, decision);
  }
}

const expectedOf = (event: PaymentEvent) => (event.type === 'provider' ? (event.expectedAmount ?? null) : null);

function observedColumns(row: LockedRow, event: PaymentEvent): WriteStep['observed'] {
  if (event.type !== 'provider') return {};
  const expected = row.crypto_amount === null ? expectedOf(event) : null;
  return {
    ...(expected !== null ? { crypto_amount: expected } : {}),
    provider_status: event.progress,
    provider_status_text: event.statusText.slice(0, 128),
    ...(event.receivedAmount !== null ? { received_amount: event.receivedAmount } : {}),
  };
}

/** An update of the locked row that only matches while its status is still the one read under the lock. */
const updateLocked = (step: WriteStep) =>
  step.trx.updateTable('recharge_transactions').where('id', '=', step.row.id).where('status', '=', step.row.status);

const notificationAmounts = (row: LockedRow) => ({ recharge_id: row.id, coins: row.coins, bonus_coins: row.bonus_coins });

async function writeFailure(step: WriteStep, decision: Failure): Promise<void> {
  const { trx, row, resolution } = step;
  // An expired payment is watched for a late completion on a backoff of its own, from one interval.
  const res = await updateLocked(step)
    .set({ ...step.observed, status: 'failed', failed_at: step.now, failed_reason: decision.reason, hold_reason: null, reconcile_attempts: 0 })
    .executeTakeFirst();
  if (res.numUpdatedRows !== 1n) throw new Error(`recharge ${row.id} changed under its lock`);
  const locale = row.locale ?? undefined;
  if (resolution) {
    await recordResolution(trx, row, resolution, 0, 0);
    // The buyer is told why in the words of the hold (underpaid, late_payment); an expiry notice may already exist.
    await enqueueNotification(trx, {
      userId: row.user_id,
      kind: 'recharge_failed',
      dedupeKey: `recharge:${row.id}:rejected`,
      data: { ...notificationAmounts(row), reason: row.hold_reason },
      locale,
    });
    return;
  }
  await enqueueNotification(trx, {
    userId: row.user_id,
    kind: decision.reason === 'expired' ? 'recharge_expired' : 'recharge_failed',
    dedupeKey: `recharge:${row.id}:failed`,
    data: { ...notificationAmounts(row), reason: decision.reason },
    locale,
  });
}

async function writeCompletion(step: WriteStep, provider: string, txnId: string, decision: Completion): Promise<void> {
  const { trx, now, row, resolution } = step;
  const res = await updateLocked(step)
    .set({
      ...step.observed,
      status: 'completed',
      completed_at: now,
      coins_credited: decision.coinsCredited,
      bonus_credited: decision.bonusCredited,
      hold_reason: null,
    })
    .executeTakeFirst();
  // The row is locked and its status was read under the lock, so this cannot miss.
  if (res.numUpdatedRows !== 1n) throw new Error(`recharge ${row.id} changed under its lock`);
  if (resolution) await recordResolution(trx, row, resolution, decision.coinsCredited, decision.bonusCredited);
  await creditRecharge(step, provider, txnId, decision);
  await trx.updateTable('user_wallet').set({ last_recharge_at: now }).where('user_id', '=', row.user_id).execute();
  await enqueueNotification(trx, {
    userId: row.user_id,
    kind: 'recharge_completed',
    dedupeKey: `recharge:${row.id}:completed`,
    data: { recharge_id: row.id, coins: decision.coinsCredited, bonus_coins: decision.bonusCredited },
    locale: row.locale ?? undefined,
  });
  await awardReferralOnRechargeCompleted(trx, { refereeUserId: row.user_id, rechargeId: row.id, now });
}

/** The recharge's coins and its bonus as two ledger movements, each under its own reference. */
async function creditRecharge(step: WriteStep, provider: string, txnId: string, decision: Completion): Promise<void> {
  const { trx, row, resolution } = step;
  const actor = resolution ? resolution.actor : `provider:${provider}`;
  const common = { userId: row.user_id, actor, refType: 'recharge', refId: String(row.id) };
  const credit = await applyMovementInTx(trx, {
    ...common,
    deltaCoins: decision.coinsCredited,
    kind: 'recharge',
    idempotencyRef: rechargeLedgerRef(provider, txnId),
    memo: rechargeMemo(decision.underpaid, resolution ? resolution.reason : null),
  });
  if (!credit.ok) throw new Error(`recharge ${row.id}: ledger refused the credit (${credit.code})`);
  if (decision.bonusCredited <= 0) return;
  const bonus = await applyMovementInTx(trx, {
    ...common,
    deltaCoins: decision.bonusCredited,
    kind: 'bonus',
    idempotencyRef: bonusLedgerRef(provider, txnId),
    memo: { code: 'recharge_bonus', text: 'recharge bonus' },
  });
  if (!bonus.ok) throw new Error(`recharge ${row.id}: ledger refused the bonus (${bonus.code})`);
}

/**
 * A held payment still follows the provider, without moving: `credit_received` pays for what arrived by the
 * time a person resolves it. Forward only, as IPNs come out of order: a lower status or a smaller amount
 * than already seen is an older report. Status and credits stay as they are.
 */
async function recordWhileHeld(trx: Transaction<Database>, row: LockedRow, event: Extract<PaymentEvent, { type: 'provider' }>): Promise<void> {
  if (row.provider_status !== null && event.progress < row.provider_status) return;
  const seen = row.received_amount === null ? null : parseDecimal(row.received_amount, AMOUNT_SCALE);
  const reported = event.receivedAmount === null ? null : parseDecimal(event.receivedAmount, AMOUNT_SCALE);
  const moreArrived = reported !== null && (seen === null || reported > seen);
  if (event.progress === row.provider_status && !moreArrived) return;
  await trx
    .updateTable('recharge_transactions')
    .set({
      provider_status: event.progress,
      provider_status_text: event.statusText.slice(0, 128),
      ...(moreArrived ? { received_amount: event.receivedAmount } : {}),
    })
    .where('id', '=', row.id)
    .execute();
}

/** The audit row of a resolution; its unique recharge_id makes a second resolution impossible. */
async function recordResolution(
  trx: Transaction<Database>,
  row: LockedRow,
  resolution: Resolution,
  coinsCredited: number,
  bonusCredited: number,
): Promise<void> {
  await trx
    .insertInto('payment_resolutions')
    .values({
      recharge_id: row.id,
      action: resolution.action,
      hold_reason: row.hold_reason ?? '',
      actor: resolution.actor.slice(0, 64),
      reason: resolution.reason.slice(0, 255),
      coins_credited: coinsCredited,
      bonus_credited: bonusCredited,
    })
    .execute();
}

// The reconciler: claims due pending (and recently expired) recharges (SKIP LOCKED), asks the provider, and applies the same
// state machine as the IPN handler; expires payments past their timeout. Safe with several instances. Each row is
// polled again on a growing interval, so many idle payments do not all cost a provider call every pass.
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/retry.js';
import type { Logger } from '../log.js';
import type { BackgroundJob } from '../workers.js';
import type { PaymentProvider } from './provider.js';
import { termsMismatch } from './terms.js';
import { applyPaymentEvent, type PaymentMetrics, type Policies } from './transition.js';

/** Batches per pass: bounds one pass to MAX_BATCHES × provider.maxStatusBatch rows. */
const MAX_BATCHES = 8;
/** How long after its expiry a payment is still polled for a late completion. */
export const LATE_PAYMENT_WINDOW_MS = 24 * 3_600_000;
/** create_transaction answers within COINPAYMENTS_TIMEOUT_MS (at most 120 s); a row this old without a txn_id is orphaned. */
const ABANDONED_AFTER_MS = 10 * 60_000;
const MAX_ABANDONED_PER_PASS = 100;
/** The longest pause between two checks of one row, in base intervals. */
export const MAX_BACKOFF_FACTOR = 16;

/** The pause after a row's check number attempts+1: interval × min(2^attempts, 16). */
export function reconcileDelayMs(intervalMs: number, attempts: number): number {
  return intervalMs * Math.min(2 ** Math.max(attempts, 0), MAX_BACKOFF_FACTOR);
}

/**
 * When a claimed row is next due: after its backoff, but no later than a coming expiry (so an unpaid payment
 * is expired on time), and never sooner than one interval (the claim is also the lease). A pending payment
 * already past its expiry is one the provider could not tell us about: it backs off like any other.
 */
export function nextReconcileAt(now: Date, intervalMs: number, attempts: number, expiresAt: Date | null, status: string): Date {
  let dueMs = now.getTime() + reconcileDelayMs(intervalMs, attempts);
  if (status === 'pending' && expiresAt !== null && expiresAt.getTime() > now.getTime()) dueMs = Math.min(dueMs, expiresAt.getTime());
  return new Date(Math.max(dueMs, now.getTime() + intervalMs));
}

export interface ReconcilerDeps {
  db: Db;
  provider: PaymentProvider;
  log: Logger;
  clock: Clock;
  policies: Policies;
  /** The lease on a claimed row and the base pause before it is checked again (see reconcileDelayMs). */
  intervalMs: number;
  metrics?: PaymentMetrics & { reconcileRuns: { inc(): void } };
}

export interface ReconcileReport {
  claimed: number;
  completed: number;
  failed: number;
  expired: number;
  held: number;
  providerErrors: number;
  /** Rows the provider gave no status for (an error of their own in its answer): left as they are. */
  unknownStatus: number;
  /** Rows whose provider record does not match what was asked (another coin, a lower total): left as they are, logged. */
  mismatched: number;
  abandoned: number;
}

/**
 * Claims up to one provider batch of due rows and pushes their next check out by their backoff, in one
 * short transaction: a second reconciler skips the locked rows and, after commit, finds them not due.
 */
async function claimBatch(deps: ReconcilerDeps, size: number) {
  const now = deps.clock.now();
  const lateSince = new Date(now.getTime() - LATE_PAYMENT_WINDOW_MS);
  return inTransaction(deps.db, async (trx) => {
    const rows = await trx
      .selectFrom('recharge_transactions')
      .select(['id', 'txn_id', 'status', 'expires_at', 'reconcile_attempts', 'provider_reference', 'price_amount', 'crypto_currency'])
      .where((eb) =>
        eb.or([
          eb('status', '=', 'pending'),
          // Expired by us but maybe paid late, with the IPN lost: keep asking for a while.
          eb.and([eb('status', '=', 'failed'), eb('failed_reason', '=', 'expired'), eb('expires_at', '>', lateSince)]),
        ]),
      )
      .where('provider', '=', deps.provider.name)
      // Each row is looked up with the account it was opened on; rows from before accounts were recorded are legacy's.
      .where((eb) => eb.or([eb('provider_account', '=', deps.provider.account), eb('provider_account', 'is', null)]))
      .where('hold_reason', 'is', null)
      .where('txn_id', 'is not', null)
      .where('next_reconcile_at', '<=', now)
      .orderBy('next_reconcile_at')
      .limit(size)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return [];
    const dueAt = rows.map((r) => sql`WHEN ${r.id} THEN ${nextReconcileAt(now, deps.intervalMs, r.reconcile_attempts, r.expires_at, r.status)}`);
    await trx
      .updateTable('recharge_transactions')
      .set({
        next_reconcile_at: sql<Date>`CASE id ${sql.join(dueAt, sql` `)} END`,
        reconcile_attempts: sql<number>`reconcile_attempts + 1`,
      })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows as Array<{ id: number; txn_id: string; status: string; expires_at: Date | null; provider_reference: string | null; price_amount: string; crypto_currency: string | null }>;
  });
}

/**
 * A recharge whose process died between reserving the row and storing the provider's answer never
 * showed the buyer an address, so nobody can pay it: fail it so it stops counting toward the daily limit.
 */
async function failAbandoned(deps: ReconcilerDeps): Promise<number> {
  const now = deps.clock.now();
  const res = await deps.db
    .updateTable('recharge_transactions')
    .set({ status: 'failed', failed_at: now, failed_reason: 'abandoned', idempotency_key: null })
    .where('status', '=', 'pending')
    .where('txn_id', 'is', null)
    .where('created_at', '<', new Date(now.getTime() - ABANDONED_AFTER_MS))
    .limit(MAX_ABANDONED_PER_PASS)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** One bounded pass. */
export async function reconcileOnce(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { claimed: 0, completed: 0, failed: 0, expired: 0, held: 0, providerErrors: 0, unknownStatus: 0, mismatched: 0, abandoned: 0 };
  report.abandoned = await failAbandoned(deps);
  const applyDeps = { db: deps.db, clock: deps.clock, policies: deps.policies, metrics: deps.metrics };
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const rows = await claimBatch(deps, deps.provider.maxStatusBatch);
    if (rows.length === 0) break;
    report.claimed += rows.length;
    const statuses = await deps.provider.fetchStatuses(rows.map((r) => r.txn_id));
    if (!statuses.ok) {
      // Leave the rows leased: they come back at their next check. Never expire on the provider's silence.
      report.providerErrors++;
      deps.log.warn('reconciler: provider unavailable', { code: statuses.code, message: statuses.message });
      break;
    }
    for (const row of rows) {
      const obs = statuses.value.get(row.txn_id);
      if (!obs) {
        // "We don't know" is not "no funds": never expire on it. The claim already pushed the next check out by its backoff.
        report.unknownStatus++;
        deps.log.warn('reconciler: no status from the provider for a payment', { recharge_id: row.id, txn_id: row.txn_id, status: row.status });
        continue;
      }
      // The webhook's rule, on the look-up: a report of another coin or a lower total credits nothing and expires nothing.
      const mismatch = termsMismatch({ rechargeId: row.id, reference: row.provider_reference, priceAmount: row.price_amount, cryptoCurrency: row.crypto_currency }, obs);
      if (mismatch) {
        report.mismatched++;
        deps.log.warn('reconciler: the provider reports other terms than the recharge asked; not applied', {
          recharge_id: row.id,
          txn_id: row.txn_id,
          code: mismatch.code,
          reported_currency: obs.payCurrency ?? null,
          received_amount: obs.receivedAmount,
        });
        continue;
      }
      let decision = (await applyPaymentEvent(applyDeps, deps.provider.name, row.txn_id, { type: 'provider', ...obs })).decision;
      // Past its timeout and the provider says no funds: expire it ourselves. Funds arriving later still complete it.
      const stillPending = decision === null || decision.action === 'none' || decision.action === 'progress';
      // Progress 0 is "nothing arrived" for every provider.
      if (row.status === 'pending' && stillPending && obs.kind === 'pending' && obs.progress === 0 && row.expires_at !== null && row.expires_at.getTime() < deps.clock.now().getTime()) {
        decision = (await applyPaymentEvent(applyDeps, deps.provider.name, row.txn_id, { type: 'expired' })).decision;
      }
      if (decision?.action === 'complete') report.completed++;
      else if (decision?.action === 'hold') report.held++;
      else if (decision?.action === 'fail') {
        if (decision.reason === 'expired') report.expired++;
        else report.failed++;
      }
    }
    if (rows.length < deps.provider.maxStatusBatch) break;
  }
  deps.metrics?.reconcileRuns.inc();
  return report;
}

/**
 * The reconciler as a background job: every intervalMs, one bounded pass per configured provider, one after the
 * other. Not side by side: a claim's FOR UPDATE SKIP LOCKED scan also locks rows of the other provider it passes
 * over, which a concurrent claim would then skip.
 */
export function reconcilerJob(deps: Omit<ReconcilerDeps, 'provider'> & { providers: PaymentProvider[] }): BackgroundJob {
  return {
    name: 'reconciler',
    intervalMs: deps.intervalMs,
    async runOnce() {
      const reports: ReconcileReport[] = [];
      for (const provider of deps.providers) {
        const report = await reconcileOnce({ ...deps, provider });
        if (report.claimed > 0) deps.log.info('reconciler pass', { provider: provider.name, ...report });
        reports.push(report);
      }
      return reports;
    },
  };
}

// Empties IPN and webhook bodies older than IPN_RAW_RETENTION_DAYS, in bounded batches, from any instance; the verdict
// row (who, when, which transaction, what was decided) stays for disputes and the books.
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log.js';
import type { BackgroundJob } from '../workers.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const BATCH_ROWS = 500;
const MAX_BATCHES_PER_PASS = 20;
const INTERVAL_MS = 60 * 60 * 1000;

/**
 * An UPDATE of rows not yet cleared is idempotent, so several instances may run it at once. A body is never needed
 * again once its IPN was decided: replays are refused by the verdict row and the ledger's unique references.
 */
export async function clearOldIpnBodies(db: Db, now: Date, retentionDays: number): Promise<number> {
  if (retentionDays <= 0) return 0;
  const before = new Date(now.getTime() - retentionDays * DAY_MS);
  let cleared = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
    const res = await db
      .updateTable('ipn_log')
      .set({ raw_body: '', body_cleared_at: now })
      .where('received_at', '<', before)
      .where('body_cleared_at', 'is', null)
      .limit(BATCH_ROWS)
      .executeTakeFirst();
    const n = Number(res.numUpdatedRows);
    cleared += n;
    if (n < BATCH_ROWS) break;
  }
  return cleared;
}

export function ipnRetentionJob(opts: { db: Db; clock: Clock; log: Logger; retentionDays: number; intervalMs?: number }): BackgroundJob {
  return {
    name: 'ipn-retention',
    intervalMs: opts.intervalMs ?? INTERVAL_MS,
    async runOnce() {
      const cleared = await clearOldIpnBodies(opts.db, opts.clock.now(), opts.retentionDays);
      if (cleared > 0) opts.log.info('old IPN bodies cleared', { cleared, retention_days: opts.retentionDays });
      return cleared;
    },
  };
}

// Forgets answered Idempotency-Keys after a day (as Stripe does), in bounded batches, from any instance.
import type { Db } from '../db/database.js';
import type { Logger } from '../log.js';
import type { BackgroundJob } from '../workers.js';
import type { Clock } from '../clock.js';

export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;
const BATCH_ROWS = 1_000;
const MAX_BATCHES_PER_PASS = 20;
const INTERVAL_MS = 10 * 60 * 1000;

/**
 * Deleting a key is safe: every money-moving request derives its ledger reference (or its recharge's
 * unique key) from the Idempotency-Key, so a retry after this only replays. Deletes are idempotent, so
 * several instances running this at once do no harm.
 */
export async function pruneIdempotencyKeys(db: Db, now: Date, ttlMs = IDEMPOTENCY_KEY_TTL_MS): Promise<number> {
  const before = new Date(now.getTime() - ttlMs);
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
    const res = await db.deleteFrom('idempotency_keys').where('created_at', '<', before).limit(BATCH_ROWS).executeTakeFirst();
    const n = Number(res.numDeletedRows);
    deleted += n;
    if (n < BATCH_ROWS) break;
  }
  return deleted;
}

export function idempotencyRetentionJob(opts: { db: Db; clock: Clock; log: Logger; intervalMs?: number }): BackgroundJob {
  return {
    name: 'idempotency-retention',
    intervalMs: opts.intervalMs ?? INTERVAL_MS,
    async runOnce() {
      const deleted = await pruneIdempotencyKeys(opts.db, opts.clock.now());
      if (deleted > 0) opts.log.info('idempotency keys pruned', { deleted });
      return deleted;
    },
  };
}

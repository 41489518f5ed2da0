// Per-user fixed-window counters in MariaDB, shared by every sidecar instance: the SQL behind the rate limits.
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db } from './database.js';
import { retryStatement } from './retry.js';

export interface WindowHit {
  hits: number;
  /** Seconds until the current window ends (at least 1). */
  retryAfterS: number;
}

/** A bucket's allowance: at most `limit` counted requests per user per window of `windowS` seconds. */
export interface WindowLimit {
  bucket: string;
  limit: number;
  windowS: number;
  clock: Clock;
  /** Hears a counter that could not be written even after its retries (the attempt was let through). */
  onUncounted?: (err: unknown) => void;
}

export type AttemptVerdict = { ok: true } | { ok: false; retryAfterS: number };

/**
 * Counts one request in the current window with a single autocommit upsert; the row is reset when a new
 * window starts, so there is one row per (bucket, user). LAST_INSERT_ID(expr) hands the new count back in
 * the same statement, so no read can interleave between increment and check. Every request of a user on
 * every instance writes this row, so it is never part of a money transaction (where its conflicts would
 * abort the movement): deadlocks, and certification conflicts between the nodes of a Galera cluster, rerun
 * the statement alone with backoff.
 */
export async function hitWindow(db: Db, bucket: string, userId: number, windowS: number, now: Date): Promise<WindowHit> {
  const nowS = Math.floor(now.getTime() / 1000);
  const windowStart = nowS - (nowS % windowS);
  const res = await retryStatement(
    () => sql`
      INSERT INTO ${sql.table('rate_limits')} (bucket, user_id, window_start, hits)
      VALUES (${bucket}, ${userId}, ${windowStart}, LAST_INSERT_ID(1))
      ON DUPLICATE KEY UPDATE
        hits = LAST_INSERT_ID(IF(window_start = VALUES(window_start), LEAST(hits + 1, 4000000000), 1)),
        window_start = VALUES(window_start)`.execute(db),
  );
  return { hits: Number(res.insertId ?? 1n), retryAfterS: Math.max(1, windowStart + windowS - nowS) };
}

/**
 * Counts the user's attempt on its own, outside any transaction. A counter that cannot be written even after
 * its retries lets the attempt through: bookkeeping never decides a money answer, and the attempt's own
 * transaction still guards the money.
 */
export async function countAttempt(db: Db, limit: WindowLimit, userId: number): Promise<AttemptVerdict> {
  let hit: WindowHit;
  try {
    hit = await hitWindow(db, limit.bucket, userId, limit.windowS, limit.clock.now());
  } catch (err) {
    limit.onUncounted?.(err);
    return { ok: true };
  }
  return hit.hits > limit.limit ? { ok: false, retryAfterS: hit.retryAfterS } : { ok: true };
}

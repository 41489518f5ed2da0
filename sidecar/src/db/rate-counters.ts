// Per-user fixed-window counters in MariaDB, shared by every sidecar instance: the SQL behind the rate limits.
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db, DbOrTx } from './database.js';
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
}

export type AttemptVerdict = { ok: true } | { ok: false; retryAfterS: number };

/**
 * Counts one request in the current window with a single upsert; the row is reset when a new window
 * starts, so there is one row per (bucket, user). LAST_INSERT_ID(expr) hands the new count back in the
 * same statement, so no read can interleave between increment and check. Runs once: inside a transaction
 * a deadlock has already rolled everything back, so only the whole transaction may run again.
 */
export async function hitWindowOnce(db: DbOrTx, bucket: string, userId: number, windowS: number, now: Date): Promise<WindowHit> {
  const nowS = Math.floor(now.getTime() / 1000);
  const windowStart = nowS - (nowS % windowS);
  const res = await sql`
    INSERT INTO ${sql.table('rate_limits')} (bucket, user_id, window_start, hits)
    VALUES (${bucket}, ${userId}, ${windowStart}, LAST_INSERT_ID(1))
    ON DUPLICATE KEY UPDATE
      hits = LAST_INSERT_ID(IF(window_start = VALUES(window_start), LEAST(hits + 1, 4000000000), 1)),
      window_start = VALUES(window_start)`.execute(db);
  return { hits: Number(res.insertId ?? 1n), retryAfterS: Math.max(1, windowStart + windowS - nowS) };
}

/** hitWindowOnce as its own autocommit statement: concurrent first upserts of one row can deadlock in InnoDB. */
export async function hitWindow(db: Db, bucket: string, userId: number, windowS: number, now: Date): Promise<WindowHit> {
  return retryStatement(() => hitWindowOnce(db, bucket, userId, windowS, now));
}

const verdict = (limit: WindowLimit, hit: WindowHit): AttemptVerdict =>
  hit.hits > limit.limit ? { ok: false, retryAfterS: hit.retryAfterS } : { ok: true };

/** Counts the user's attempt as a statement of the caller's transaction (its first, to keep one lock order). */
export async function countAttemptInTx(trx: DbOrTx, limit: WindowLimit, userId: number): Promise<AttemptVerdict> {
  return verdict(limit, await hitWindowOnce(trx, limit.bucket, userId, limit.windowS, limit.clock.now()));
}

/** Counts the user's attempt on its own, outside any transaction. */
export async function countAttempt(db: Db, limit: WindowLimit, userId: number): Promise<AttemptVerdict> {
  return verdict(limit, await hitWindow(db, limit.bucket, userId, limit.windowS, limit.clock.now()));
}

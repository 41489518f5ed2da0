// Per-user rate limits shared by every sidecar instance: fixed-window counters in MariaDB, 429 + Retry-After.
import type { MiddlewareHandler } from 'hono';
import { sql } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { isRetryable } from '../db/retry.js';
import type { AttemptCounter } from '../spending/unlock.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError } from './errors.js';

export type RateLimitBucket = 'unlock' | 'recharge' | 'redeem';
/** Concurrent first upserts of one row can deadlock in InnoDB; the statement is simply run again. */
const MAX_ATTEMPTS = 3;

export interface WindowHit {
  hits: number;
  /** Seconds until the current window ends (at least 1). */
  retryAfterS: number;
}

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

/** hitWindowOnce as its own autocommit statement, run again on a deadlock. */
export async function hitWindow(db: Db, bucket: string, userId: number, windowS: number, now: Date): Promise<WindowHit> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await hitWindowOnce(db, bucket, userId, windowS, now);
    } catch (err) {
      if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

function rateLimited(limit: number, windowS: number, hit: WindowHit): ApiError {
  return new ApiError(
    429,
    'rate_limited',
    `too many requests; try again in ${hit.retryAfterS} s`,
    { limit, window_s: windowS, retry_after_s: hit.retryAfterS },
    { 'Retry-After': String(hit.retryAfterS) },
  );
}

/** Refuses a user's request beyond the bucket's configured count per window with 429 rate_limited. */
export function rateLimit(deps: AppDeps, bucket: RateLimitBucket): MiddlewareHandler<AppEnv> {
  const limits = deps.config.spending.rateLimits;
  return async (c, next) => {
    const limit = limits[bucket];
    if (limit === 0) return next();
    const hit = await hitWindow(deps.db, bucket, c.get('user').id, limits.windowS, deps.clock.now());
    if (hit.hits > limit) throw rateLimited(limit, limits.windowS, hit);
    await next();
  };
}

/**
 * The same limit counted by a transaction's first statement instead of a separate autocommit, saving a
 * round trip and a commit: the counter row is locked first, so the transaction's lock order stays fixed.
 * Undefined when the bucket is off.
 */
export function attemptCounter(deps: AppDeps, bucket: RateLimitBucket, userId: number): AttemptCounter | undefined {
  const limits = deps.config.spending.rateLimits;
  const limit = limits[bucket];
  if (limit === 0) return undefined;
  return {
    async countInTx(trx) {
      const hit = await hitWindowOnce(trx, bucket, userId, limits.windowS, deps.clock.now());
      if (hit.hits > limit) throw rateLimited(limit, limits.windowS, hit);
    },
    async countAfterRollback(db) {
      await hitWindow(db, bucket, userId, limits.windowS, deps.clock.now());
    },
  };
}

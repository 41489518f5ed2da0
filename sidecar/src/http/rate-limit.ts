// Per-user rate limits shared by every sidecar instance: fixed-window counters in MariaDB, 429 + Retry-After.
import type { MiddlewareHandler } from 'hono';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { errno, retryStatement } from '../db/retry.js';
import type { AttemptCounter } from '../spending/unlock.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError } from './errors.js';

export type RateLimitBucket = 'unlock' | 'recharge' | 'redeem';

export interface WindowHit {
  hits: number;
  /** Seconds until the current window ends (at least 1). */
  retryAfterS: number;
}

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

function rateLimited(limit: number, windowS: number, hit: WindowHit): ApiError {
  return new ApiError(
    429,
    'rate_limited',
    `too many requests; try again in ${hit.retryAfterS} s`,
    { limit, window_s: windowS, retry_after_s: hit.retryAfterS },
    { 'Retry-After': String(hit.retryAfterS) },
  );
}

/**
 * Counts one request and throws 429 past the limit. A counter that cannot be written even after its
 * retries lets the request through (logged): bookkeeping never decides a money answer, and the request's
 * own transaction still guards the money.
 */
async function count(deps: AppDeps, bucket: RateLimitBucket, userId: number): Promise<void> {
  const limits = deps.config.spending.rateLimits;
  let hit: WindowHit;
  try {
    hit = await hitWindow(deps.db, bucket, userId, limits.windowS, deps.clock.now());
  } catch (err) {
    deps.log.warn('rate limit not counted; request let through', { bucket, user_id: userId, errno: errno(err), error: (err as Error).message });
    return;
  }
  if (hit.hits > limits[bucket]) throw rateLimited(limits[bucket], limits.windowS, hit);
}

/** Refuses a user's request beyond the bucket's configured count per window with 429 rate_limited. */
export function rateLimit(deps: AppDeps, bucket: RateLimitBucket): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (deps.config.spending.rateLimits[bucket] === 0) return next();
    await count(deps, bucket, c.get('user').id);
    await next();
  };
}

/** The same limit for a domain operation that counts its own attempts (the unlock). Undefined when the bucket is off. */
export function attemptCounter(deps: AppDeps, bucket: RateLimitBucket, userId: number): AttemptCounter | undefined {
  if (deps.config.spending.rateLimits[bucket] === 0) return undefined;
  return { count: () => count(deps, bucket, userId) };
}

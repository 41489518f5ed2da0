// Per-user rate limits shared by every sidecar instance (counters in db/rate-counters.ts): 429 + Retry-After.
import type { MiddlewareHandler } from 'hono';
import { countAttempt, newLeases, newLocalCounts, type WindowLimit } from '../db/rate-counters.js';
import { errno } from '../db/retry.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError } from './errors.js';

/** A bucket's name is its counter row's key and its config field (`RATE_LIMIT_<NAME>`). */
export type RateLimitBucket = 'unlock' | 'recharge' | 'redeem' | 'download' | 'referralBind' | 'notificationRead' | 'licenceKey' | 'licenceAddress';

/** The bucket's configured allowance, with this instance's leases of it; undefined when it is off (0). */
export function windowLimit(deps: AppDeps, bucket: RateLimitBucket): WindowLimit | undefined {
  const limits = deps.config.spending.rateLimits;
  const limit = limits[bucket];
  if (limit === 0) return undefined;
  const onUncounted = (err: unknown) =>
    deps.log.warn('rate limit not counted; request let through', { bucket, errno: errno(err), error: (err as Error).message });
  // The unlock's bound is per instance unless the site asks for a shared one (config: rateLimits.unlockShared).
  if (bucket === 'unlock' && !limits.unlockShared) return { bucket, limit, windowS: limits.windowS, clock: deps.clock, local: newLocalCounts() };
  return { bucket, limit, windowS: limits.windowS, clock: deps.clock, onUncounted, leases: newLeases() };
}

export function rateLimited(limit: Pick<WindowLimit, 'limit' | 'windowS'>, retryAfterS: number): ApiError {
  return new ApiError(
    429,
    'rate_limited',
    `too many requests; try again in ${retryAfterS} s`,
    { limit: limit.limit, window_s: limit.windowS, retry_after_s: retryAfterS },
    { 'Retry-After': String(retryAfterS) },
  );
}

/** Refuses a user's request beyond the bucket's configured count per window with 429 rate_limited. */
export function rateLimit(deps: AppDeps, bucket: RateLimitBucket): MiddlewareHandler<AppEnv> {
  const limit = windowLimit(deps, bucket);
  return async (c, next) => {
    if (!limit) return next();
    const counted = await countAttempt(deps.db, limit, c.get('user').id);
    if (!counted.ok) throw rateLimited(limit, counted.retryAfterS);
    await next();
  };
}

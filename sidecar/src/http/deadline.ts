// Request deadline: a stalled database (a partition sends no reset and no answer) must not hold requests open
// indefinitely. Past the deadline the client gets 503 database_unavailable with Retry-After; the handler runs on
// and its transaction commits or rolls back by itself, so a retry (same Idempotency-Key, same entitlement) is safe.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './context.js';
import { ApiError } from './errors.js';

export class DeadlineExceeded extends Error {}

/** Settles like `work`, or rejects with DeadlineExceeded after `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Applies the deadline to every request except those `exempt` names (long-lived streams). */
export function requestDeadline(ms: number, exempt: (path: string) => boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (exempt(c.req.path)) return next();
    try {
      await withDeadline(next(), ms);
    } catch (err) {
      if (!(err instanceof DeadlineExceeded)) throw err;
      throw new ApiError(503, 'database_unavailable', 'the service did not answer in time', undefined, { 'Retry-After': '2' });
    }
  };
}

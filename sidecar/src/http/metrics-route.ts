// GET /metrics: the Prometheus text behind a bearer token (or alone on an internal port), gauges cached.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Handler, MiddlewareHandler } from 'hono';
import { countPendingRecharges } from '../payments/recharges.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError } from './errors.js';

const unauthorized = (message: string) =>
  new ApiError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="goldcoin-metrics"' });

/** Compares digests, so neither the token's bytes nor its length leak through timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * On the public port: `Authorization: Bearer METRICS_TOKEN`, or nothing at all without a token (then the
 * metrics are only on METRICS_PORT, if set). The internal port has no check: being reachable is the permission.
 */
export function requireMetricsToken(token: string | null): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (token === null) throw unauthorized('metrics need METRICS_TOKEN on this port');
    const match = /^Bearer (\S+)$/.exec(c.req.header('authorization') ?? '');
    if (!match || !sameToken(match[1]!, token)) throw unauthorized('missing or wrong metrics token');
    await next();
  };
}

/**
 * The scrape answer. Gauges read from the database are refreshed at most once per METRICS_CACHE_S, whatever
 * the number of scrapers, and concurrent scrapes share one refresh; a failed refresh keeps the last value.
 */
export function metricsHandler(deps: Pick<AppDeps, 'db' | 'clock' | 'metrics' | 'config'>): Handler<AppEnv> {
  const { metrics } = deps;
  const cacheMs = deps.config.metrics.cacheMs;
  let refreshedAt = -Infinity;
  let refreshing: Promise<void> | null = null;
  const refresh = async () => {
    try {
      metrics.pendingPayments.set(await countPendingRecharges(deps.db));
    } catch {
      // The database being down must not hide the process metrics; /readyz reports it.
    }
  };
  return async (c) => {
    const now = deps.clock.now().getTime();
    if (now - refreshedAt >= cacheMs) {
      refreshedAt = now;
      refreshing ??= refresh().finally(() => (refreshing = null));
    }
    if (refreshing) await refreshing;
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  };
}

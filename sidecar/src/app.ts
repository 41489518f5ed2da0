// createApp(deps): the Hono app with its middleware and route groups; nothing listens here.
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { sql } from 'kysely';
import { requireAuth, requireCap } from './http/auth.js';
import { adminRoutes } from './http/admin.js';
import { adminPaymentRoutes } from './http/admin-payments.js';
import type { AppDeps, AppEnv, RouteDeps } from './http/context.js';
import { adminCatalogRoutes } from './http/admin-catalog.js';
import { seedCatalog } from './catalog/catalog.js';
import { CatalogStore } from './catalog/store.js';
import { ApiError, errorBody, sendError } from './http/errors.js';
import { limitedBody } from './http/body.js';
import { requestDeadline, withDeadline } from './http/deadline.js';
import { adminLicenceRoutes, licenceRoutes, licenceVerifyRoutes } from './http/licences.js';
import { notificationRoutes } from './http/notifications.js';
import { buildOpenapiDocument } from './http/openapi.js';
import { ipnRoutes } from './http/ipn.js';
import { webhookRoutes } from './http/webhooks.js';
import { metricsHandler, requireMetricsToken } from './http/metrics-route.js';
import { packageRoutes } from './http/packages.js';
import { rechargeRoutes } from './http/recharges.js';
import { checkResponses } from './http/response-check.js';
import { postRoutes } from './http/posts.js';
import { adminReferralRoutes, referralRoutes } from './http/referrals.js';
import { adminRedemptionRoutes, rewardRoutes } from './http/rewards.js';
import { adminPrivacyRoutes } from './http/privacy.js';
import { adminVipRoutes, vipRoutes } from './http/vip.js';
import { walletRoutes } from './http/wallet.js';

/** A load balancer's health check must get an answer even when the database stalls. */
const READY_TIMEOUT_MS = 2_000;

export function createApp(appDeps: AppDeps) {
  const app = new Hono<AppEnv>();
  const deps: RouteDeps = {
    ...appDeps,
    catalog: appDeps.catalog ?? new CatalogStore({ db: appDeps.db, seed: seedCatalog(appDeps.config), clock: appDeps.clock }),
  };
  const { config, log, metrics } = deps;

  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('requestId', c.req.header('x-request-id')?.slice(0, 64) ?? crypto.randomUUID());
    await next();
    const route = routePath(c);
    const seconds = (performance.now() - started) / 1000;
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
    // A 503 is the database being away or slow (already logged with its cause as a warning, and /readyz fails):
    // an outage must not bury the real errors, the 500s, under one error line per request.
    if (c.res.status === 503) log.warn('request refused', { method: c.req.method, route, status: 503 });
    else if (c.res.status >= 500) log.error('request failed', { method: c.req.method, route, status: c.res.status });
  });

  const exposeHeaders = ['Retry-After', 'Idempotent-Replayed'];
  const preflight = cors({
    origin: (origin) => (config.corsOrigins.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key'],
    exposeHeaders,
    // Chromium keeps a preflight's answer at most 2 h (per origin, URL and headers): a reader's later pages send
    // the widget's GETs at once, without a preflight round trip first.
    maxAge: 7200,
  });
  // hono/cors touches c.res before the handler runs, and c.header() after it, either of which makes Hono rebuild
  // the handler's response around a stream that @hono/node-server then copies chunk by chunk: setting the headers
  // on the final response itself keeps its plain string body.
  app.use('/api/*', async (c, next) => {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    await next();
    const headers = c.res.headers;
    const origin = c.req.header('origin');
    if (origin !== undefined && config.corsOrigins.includes(origin)) {
      headers.set('Access-Control-Allow-Origin', origin);
      headers.set('Access-Control-Expose-Headers', exposeHeaders.join(','));
    }
    headers.append('Vary', 'Origin');
  });
  // After CORS, so a 503 for a missed deadline carries the CORS headers too.
  app.use('*', requestDeadline(config.requestTimeoutMs, (path) => path.endsWith('/events')));
  app.use('*', limitedBody(config.bodyLimitBytes));
  // Inside CORS, which then dresses the checked answer as any other; outside auth and the routes, so their
  // refusals and the answers onError makes of what they throw are checked too.
  if (deps.checkResponses) app.use('*', checkResponses(deps.checkResponses));

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    try {
      await withDeadline(sql`SELECT 1`.execute(deps.db), READY_TIMEOUT_MS);
      return c.json({ ok: true });
    } catch {
      return c.json(errorBody('database_unavailable', 'the database is not reachable'), 503);
    }
  });
  app.get('/metrics', requireMetricsToken(config.metrics.token), deps.metricsRoute ?? metricsHandler(deps));
  // Built on the first request, not at start-up: an instance that is never asked holds none of it.
  let openapi: ReturnType<typeof buildOpenapiDocument> | undefined;
  app.get('/openapi.json', (c) => c.json((openapi ??= buildOpenapiDocument())));

  // The EA's licence check carries no JWT: registered before the /api group's token check so it answers first.
  app.route('/', licenceVerifyRoutes(deps));
  const api = new Hono<AppEnv>();
  api.use('*', requireAuth({ secret: config.jwtSecret, issuer: config.wpHome, clock: deps.clock }));
  // A token without `read` (a user with no role on this site, or caps a filter dropped) reaches no visitor route;
  // the admin groups ask for manage_options themselves.
  const visitor = requireCap('read');
  api.use('*', (c, next) => (c.req.path.startsWith('/api/admin/') ? next() : visitor(c, next)));
  api.route('/', walletRoutes(deps));
  api.route('/', notificationRoutes(deps));
  api.route('/', packageRoutes(deps));
  api.route('/', rechargeRoutes(deps));
  api.route('/', postRoutes(deps));
  api.route('/', rewardRoutes(deps));
  api.route('/', referralRoutes(deps));
  api.route('/', vipRoutes(deps));
  api.route('/', licenceRoutes(deps));
  api.route('/admin/licenses', adminLicenceRoutes(deps));
  api.route('/admin/vip', adminVipRoutes(deps));
  api.route('/admin/redemptions', adminRedemptionRoutes(deps));
  api.route('/admin/referrals', adminReferralRoutes(deps));
  api.route('/admin', adminRoutes(deps));
  api.route('/admin', adminPaymentRoutes(deps));
  api.route('/admin', adminCatalogRoutes(deps));
  api.route('/admin/privacy', adminPrivacyRoutes(deps));
  app.route('/api', api);
  app.route('/', ipnRoutes(deps));
  app.route('/', webhookRoutes(deps));

  app.notFound((c) => c.json(errorBody('not_found', 'no such route'), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) return sendError(c, err);
    if (err instanceof HTTPException) {
      const status = err.status;
      return c.json(errorBody(status === 413 ? 'payload_too_large' : 'bad_request', err.message || 'bad request'), status);
    }
    if (isDatabaseUnavailable(err)) {
      log.warn('database unavailable', { err });
      return c.json(errorBody('database_unavailable', 'the service is temporarily unavailable'), 503, { 'Retry-After': '2' });
    }
    log.error('unhandled error', { err, path: c.req.path, requestId: c.get('requestId') });
    return c.json(errorBody('internal_error', 'an internal error occurred'), 500);
  });

  return app;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'EPIPE']);
function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; fatal?: boolean };
  return (e.code !== undefined && UNAVAILABLE_CODES.has(e.code)) || e.fatal === true || e.errno === 1053;
}

/** The internal metrics listener (METRICS_PORT): /metrics alone, no token, sharing the public app's cache. */
export function createMetricsApp(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.get('/metrics', deps.metricsRoute ?? metricsHandler(deps));
  app.notFound((c) => c.json(errorBody('not_found', 'no such route'), 404));
  return app;
}

export type App = ReturnType<typeof createApp>;

// /api/recharges: create (Idempotency-Key), read, list, and the SSE stream of one recharge's state.
import { Hono, type Context } from 'hono';
import { createRecharge, findRecharge, listRecharges, type CreateResult } from '../payments/recharges.js';
import type { AppDeps, AppEnv, RouteDeps } from './context.js';
import { ApiError, badRequest, notFound } from './errors.js';
import { idempotencyKeyOf, idempotent } from './idempotency.js';
import { rateLimit } from './rate-limit.js';
import { RechargePoller, StreamSlots, streamRecharge } from './recharge-events.js';
import { createRechargeBody, rechargeListQuery } from './schemas/recharges.js';
import { rechargeJson } from './serialize.js';
import { parseId, parseJson, parseQuery } from './validate.js';

type Refusal = Extract<CreateResult, { ok: false }>;

/** The HTTP answer for a recharge that was not created. */
function refusal(deps: AppDeps, userId: number, result: Refusal): ApiError {
  if (result.code === 'provider_unavailable') {
    deps.log.warn('recharge: provider failed', { user_id: userId, cause: result.cause });
    return new ApiError(502, result.code, result.message);
  }
  if (result.code === 'request_in_progress') return new ApiError(409, result.code, result.message, undefined, { 'Retry-After': '1' });
  return badRequest(result.code, result.message);
}

export function rechargeRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  const cfg = deps.config;
  const createDeps = {
    db: deps.db,
    provider: deps.provider,
    clock: deps.clock,
    log: deps.log,
  };
  const slots = new StreamSlots(cfg.recharge.eventsMaxStreamsPerUser, cfg.recharge.eventsMaxStreams);
  const poller = new RechargePoller(deps.db, cfg.recharge.eventsPollMs, (recharges, streams) => {
    deps.metrics.rechargeEventPolls.inc();
    deps.metrics.rechargeEventPollStreams.set(streams);
    deps.metrics.rechargeEventPollRecharges.set(recharges);
  });

  /** Someone else's recharge is indistinguishable from a missing one. */
  const ownRecharge = async (c: Context<AppEnv>) => {
    const id = parseId(c.req.param('id'), 'recharge id');
    const row = await findRecharge(deps.db, id);
    if (!row || row.user_id !== c.get('user').id) throw notFound('recharge_not_found', `no recharge ${id}`);
    return row;
  };

  const create = async (c: Context<AppEnv>) => {
    const body = await parseJson(c, createRechargeBody);
    const user = c.get('user');
    // The terms of this request's catalog version are frozen on the recharge row; a later change never touches it.
    const terms = await deps.catalog.current();
    const result = await createRecharge(
      { ...createDeps, recharge: terms.recharge, priceCurrency: terms.priceCurrency },
      { id: user.id, email: user.email, name: user.name, locale: user.locale },
      { packageId: body.package_id, coins: body.coins, method: body.method, network: body.network, currency: body.currency },
      idempotencyKeyOf(c.req.header('idempotency-key')),
    );
    if (!result.ok) throw refusal(deps, user.id, result);
    if (!result.replayed) deps.metrics.recharges.inc({ status: 'pending' });
    return c.json(rechargeJson(result.recharge), 201);
  };

  const list = async (c: Context<AppEnv>) => {
    const q = parseQuery(c, rechargeListQuery);
    const page = await listRecharges(deps.db, c.get('user').id, q.cursor ? Number(q.cursor) : null, q.limit);
    return c.json({ recharges: page.rows.map(rechargeJson), next_cursor: page.nextCursor });
  };

  const one = async (c: Context<AppEnv>) => c.json(rechargeJson(await ownRecharge(c)));

  const events = async (c: Context<AppEnv>) => streamRecharge(deps, slots, poller, c, await ownRecharge(c));

  app.post('/recharges', rateLimit(deps, 'recharge'), idempotent(deps, 'recharge.create'), create);
  app.get('/recharges', list);
  app.get('/recharges/:id', one);
  app.get('/recharges/:id/events', events);
  return app;
}

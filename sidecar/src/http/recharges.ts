// /api/recharges: create (Idempotency-Key), read, list, and an SSE stream of one recharge's state.
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { createRecharge, findRecharge, listRecharges, MAX_LIST_PAGE, rechargeJson } from '../payments/recharges.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, badRequest, notFound } from './errors.js';
import { idempotencyKeyOf, idempotent } from './idempotency.js';
import { openapiHelpers } from './openapi.js';
import { rateLimit } from './rate-limit.js';
import { parseId, parseJson, parseQuery } from './validate.js';

/** SSE comment lines keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

const createBody = z
  .object({
    package_id: z.string().min(1).max(32).optional(),
    coins: z.number().int().positive().max(1_000_000_000).optional(),
    method: z.string().min(1).max(32),
    network: z.string().min(1).max(32).optional(),
    currency: z.string().min(1).max(32).optional(),
  })
  .strict();

const listQuery = z.object({
  cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, 'an id from next_cursor').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST_PAGE).default(20),
});

export function rechargeRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const cfg = deps.config;
  const createDeps = {
    db: deps.db,
    provider: deps.provider,
    recharge: cfg.recharge,
    priceCurrency: cfg.priceCurrency,
    ipnUrl: `${cfg.publicUrl}/ipn/coinpayments`,
    clock: deps.clock,
    log: deps.log,
  };

  const ownRecharge = async (userId: number, idText: string | undefined) => {
    const id = parseId(idText, 'recharge id');
    const row = await findRecharge(deps.db, id);
    // Someone else's recharge is indistinguishable from a missing one.
    if (!row || row.user_id !== userId) throw notFound('recharge_not_found', `no recharge ${id}`);
    return row;
  };

  app.post('/recharges', rateLimit(deps, 'recharge'), idempotent(deps, 'recharge.create'), async (c) => {
    const body = await parseJson(c, createBody);
    const user = c.get('user');
    const key = idempotencyKeyOf(c.req.header('idempotency-key'));
    const result = await createRecharge(
      createDeps,
      { id: user.id, email: user.email, name: user.name, locale: user.locale },
      { packageId: body.package_id, coins: body.coins, method: body.method, network: body.network, currency: body.currency },
      key,
    );
    if (!result.ok) {
      if (result.code === 'provider_unavailable') {
        deps.log.warn('recharge: provider failed', { user_id: user.id, cause: result.cause });
        throw new ApiError(502, result.code, result.message);
      }
      if (result.code === 'request_in_progress') throw new ApiError(409, result.code, result.message, undefined, { 'Retry-After': '1' });
      throw badRequest(result.code, result.message);
    }
    if (!result.replayed) deps.metrics.recharges.inc({ status: 'pending' });
    return c.json(rechargeJson(result.recharge), 201);
  });

  app.get('/recharges', async (c) => {
    const q = parseQuery(c, listQuery);
    const page = await listRecharges(deps.db, c.get('user').id, q.cursor ? Number(q.cursor) : null, q.limit);
    return c.json({ recharges: page.rows.map(rechargeJson), next_cursor: page.nextCursor });
  });

  app.get('/recharges/:id', async (c) => {
    const row = await ownRecharge(c.get('user').id, c.req.param('id'));
    return c.json(rechargeJson(row));
  });

  // Open streams per user on this instance: each holds a connection and polls the database until it ends.
  const openStreams = new Map<number, number>();
  const takeStreamSlot = (userId: number) => {
    const open = openStreams.get(userId) ?? 0;
    if (open >= cfg.recharge.eventsMaxStreamsPerUser) return null;
    openStreams.set(userId, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (openStreams.get(userId) ?? 1) - 1;
      if (left > 0) openStreams.set(userId, left);
      else openStreams.delete(userId);
    };
  };

  // Polls the database rather than an in-process bus, so any instance can serve any recharge's stream.
  app.get('/recharges/:id/events', async (c) => {
    const userId = c.get('user').id;
    const first = await ownRecharge(userId, c.req.param('id'));
    const release = takeStreamSlot(userId);
    if (!release) {
      throw new ApiError(429, 'too_many_streams', `at most ${cfg.recharge.eventsMaxStreamsPerUser} open event streams per user`, undefined, {
        'Retry-After': String(Math.ceil(cfg.recharge.eventsPollMs / 1000)),
      });
    }
    c.header('Cache-Control', 'no-cache');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
        release();
      });
      try {
        const started = Date.now();
        let lastSent = '';
        let lastWriteAt = started;
        let row = first;
        for (;;) {
          const json = JSON.stringify(rechargeJson(row));
          if (json !== lastSent) {
            await stream.writeSSE({ event: 'status', data: json });
            lastSent = json;
            lastWriteAt = Date.now();
          }
          if (aborted || row.status !== 'pending' || Date.now() - started >= cfg.recharge.eventsMaxMs) return;
          if (Date.now() - lastWriteAt >= HEARTBEAT_MS) {
            await stream.write(': heartbeat\n\n');
            lastWriteAt = Date.now();
          }
          await stream.sleep(cfg.recharge.eventsPollMs);
          if (aborted) return;
          row = (await findRecharge(deps.db, row.id)) ?? row;
        }
      } finally {
        release();
      }
    });
  });

  return app;
}

const { ok, err, idemHeader } = openapiHelpers;
const rechargeSchema = {
  type: 'object',
  required: ['id', 'status', 'coins', 'bonus_coins', 'price', 'payment'],
  properties: {
    id: { type: 'integer' },
    status: { enum: ['pending', 'completed', 'failed'] },
    coins: { type: 'integer' },
    bonus_coins: { type: 'integer' },
    price: { type: 'object', properties: { amount: { type: 'string' }, currency: { type: 'string' } } },
    payment: {
      type: 'object',
      properties: {
        txn_id: { type: 'string' },
        address: { type: 'string' },
        amount: { type: 'string' },
        currency: { type: 'string' },
        dest_tag: { type: ['string', 'null'] },
        confirms_needed: { type: 'integer' },
        expires_at: { type: 'string', format: 'date-time' },
        checkout_url: { type: 'string' },
        status_url: { type: 'string' },
        qr: { type: 'string', description: 'Text to encode into a QR code (an address or a payment URI)' },
      },
    },
    coins_credited: { type: 'integer' },
    bonus_credited: { type: 'integer' },
    completed_at: { type: ['string', 'null'] },
    failed_reason: { type: ['string', 'null'] },
  },
};
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };

export const rechargesOpenapiPaths = {
  '/api/recharges': {
    post: {
      summary: 'Start a recharge: a package or a coin amount, and a payment method',
      parameters: [idemHeader],
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['method'],
              properties: {
                package_id: { type: 'string' },
                coins: { type: 'integer' },
                method: { enum: ['USDT', 'CoinPayment'] },
                network: { type: 'string', description: 'USDT only, e.g. USDT.TRC20' },
                currency: { type: 'string', description: 'CoinPayment only, e.g. BTC' },
              },
            },
          },
        },
      },
      responses: {
        201: ok('The pending recharge with payment instructions', rechargeSchema),
        400: err('invalid_request, unknown_package, amount_below_minimum, amount_above_maximum, daily_limit_exceeded, unsupported_method, unsupported_currency'),
        401: err('No valid token'),
        409: err('The same Idempotency-Key is still being processed'),
        429: err('rate_limited: too many recharges started; see Retry-After'),
        502: err('provider_unavailable: nothing was charged'),
      },
    },
    get: {
      summary: "The user's recharges, newest first",
      parameters: [
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LIST_PAGE, default: 20 } },
      ],
      responses: { 200: ok('{recharges, next_cursor}'), 400: err('Bad cursor or limit'), 401: err('No valid token') },
    },
  },
  '/api/recharges/{id}': {
    get: {
      summary: 'One of the user’s recharges',
      parameters: [idParam],
      responses: { 200: ok('The recharge', rechargeSchema), 404: err('Not found (or not yours)') },
    },
  },
  '/api/recharges/{id}/events': {
    get: {
      summary: 'Server-sent events: `event: status` with the recharge JSON on connect and on every change; ends after a final state',
      parameters: [idParam],
      responses: {
        200: { description: 'text/event-stream' },
        404: err('Not found (or not yours)'),
        429: err('too_many_streams: RECHARGE_EVENTS_MAX_STREAMS_PER_USER streams of this user are open on this instance'),
      },
    },
  },
};

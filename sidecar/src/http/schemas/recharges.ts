// /api/recharges: creating a recharge, reading and listing them, and the event stream of one.
import { z } from 'zod';
import { MAX_LIST_PAGE } from '../../payments/recharges.js';
import { coins, dateTime, decimal, fails, idParams, nextCursor, ok, pageQuery, type RouteSpec } from './common.js';

export const paymentMethod = z.enum(['USDT', 'CoinPayment']);

export const createRechargeBody = z
  .object({
    package_id: z.string().min(1).max(32).optional(),
    coins: z.number().int().positive().max(1_000_000_000).optional(),
    // Any name is read so that one not offered is answered with its own code, unsupported_method.
    method: z
      .string()
      .min(1)
      .max(32)
      .meta({ description: `One of ${paymentMethod.options.join(', ')}; another answers 400 unsupported_method`, examples: paymentMethod.options }),
    network: z.string().min(1).max(32).optional().describe('USDT only, e.g. USDT.TRC20'),
    currency: z.string().min(1).max(32).optional().describe('CoinPayment only, e.g. BTC'),
  })
  .strict();

export const rechargeListQuery = pageQuery(MAX_LIST_PAGE);

export const recharge = z.object({
  id: z.number().int(),
  status: z.enum(['pending', 'completed', 'failed']),
  coins,
  bonus_coins: coins,
  price: z.object({ amount: decimal, currency: z.string() }),
  amount_usd: decimal.nullable(),
  method: paymentMethod,
  payment: z.object({
    txn_id: z.string().nullable(),
    address: z.string().nullable(),
    amount: decimal.nullable(),
    currency: z.string().nullable(),
    dest_tag: z.string().nullable(),
    confirms_needed: z.number().int().nullable(),
    expires_at: dateTime.nullable(),
    checkout_url: z.string().nullable(),
    status_url: z.string().nullable(),
    qr: z.string().nullable().describe('Text to encode into a QR code (a payment URI or the address); null without an address'),
    received_amount: decimal.nullable(),
    provider_status: z.number().int().nullable(),
  }),
  coins_credited: coins,
  bonus_credited: coins,
  on_hold: z.enum(['underpaid', 'late_payment']).nullable(),
  created_at: dateTime.nullable(),
  completed_at: dateTime.nullable(),
  failed_reason: z.string().nullable(),
});
export const rechargePage = z.object({ recharges: z.array(recharge), next_cursor: nextCursor });

const rechargeId = idParams('id');
const notYours = fails('Not found (or not yours)', 'recharge_not_found');
const badId = fails('Bad recharge id', 'invalid_id');

export const rechargeRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/api/recharges',
    summary: 'Start a recharge: a package or a coin amount, and a payment method',
    auth: 'user',
    idempotency: 'required',
    rateLimit: true,
    body: createRechargeBody,
    responses: {
      201: ok('The pending recharge with payment instructions', recharge),
      400: fails(
        'The body, the amount or the method is refused',
        'unknown_package',
        'amount_below_minimum',
        'amount_above_maximum',
        'daily_limit_exceeded',
        'unsupported_method',
        'unsupported_currency',
      ),
      502: fails('The provider failed: nothing was charged and the key may be reused', 'provider_unavailable'),
    },
  },
  {
    method: 'get',
    path: '/api/recharges',
    summary: "The user's recharges, newest first",
    auth: 'user',
    query: rechargeListQuery,
    responses: { 200: ok('A page of recharges', rechargePage), 400: fails('Bad cursor or limit', 'invalid_query') },
  },
  {
    method: 'get',
    path: '/api/recharges/:id',
    summary: 'One of the user’s recharges',
    auth: 'user',
    params: rechargeId,
    responses: { 200: ok('The recharge', recharge), 400: badId, 404: notYours },
  },
  {
    method: 'get',
    path: '/api/recharges/:id/events',
    summary:
      'Server-sent events: `event: status` with the recharge JSON on connect and on every change, `: heartbeat` comments; ends after a final state, after RECHARGE_EVENTS_MAX_S, or when the token expires (reconnect with a fresh one)',
    auth: 'user',
    params: rechargeId,
    responses: {
      200: { description: 'The stream; each `data:` is a recharge as GET /api/recharges/{id} answers it', contentType: 'text/event-stream' },
      400: badId,
      404: notYours,
      429: fails('Too many open streams of this user, or in all, on this instance; see Retry-After', 'too_many_streams'),
    },
  },
];

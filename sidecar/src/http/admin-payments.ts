// /api/admin/payments/:id (manage_options): one payment with its IPN log and credits, and resolving a held payment.
import { Hono } from 'hono';
import { z } from 'zod';
import { paymentDetail } from '../admin/reports.js';
import { resolveHeldPayment } from '../payments/transition.js';
import { requireCap } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, notFound } from './errors.js';
import { idempotent } from './idempotency.js';
import { openapiHelpers } from './openapi.js';
import { parseId, parseJson } from './validate.js';

const resolveBody = z
  .object({
    action: z.enum(['credit_received', 'credit_full', 'reject']),
    reason: z.string().trim().min(3).max(255),
  })
  .strict();

export function adminPaymentRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requireCap('manage_options'));
  const applyDeps = {
    db: deps.db,
    clock: deps.clock,
    policies: deps.config.recharge.policies,
    metrics: deps.metrics,
  };

  const detail = async (id: number) => {
    const found = await paymentDetail(deps.db, id);
    if (!found) throw notFound('payment_not_found', `no payment ${id}`);
    return found;
  };

  app.get('/payments/:id', async (c) => c.json(await detail(parseId(c.req.param('id'), 'payment id'))));

  // Goes through the same locked, forward-only transition as IPNs and the reconciler: concurrent resolutions
  // of one payment serialise on its row, and every one after the first finds it no longer on hold.
  app.post('/payments/:id/resolve', idempotent(deps, 'admin.payment.resolve'), async (c) => {
    const id = parseId(c.req.param('id'), 'payment id');
    const body = await parseJson(c, resolveBody);
    const admin = c.get('user');
    const result = await resolveHeldPayment(applyDeps, id, { action: body.action, actor: `admin:${admin.id}`, reason: body.reason });
    if (!result.found || !result.decision) throw notFound('payment_not_found', `no payment ${id}`);
    const d = result.decision;
    if (d.action === 'none') {
      if (d.reason === 'nothing_received') {
        throw new ApiError(409, 'nothing_received', 'nothing arrived that would buy a coin: credit the full quote or reject it');
      }
      throw new ApiError(409, 'not_on_hold', `payment ${id} is not on hold`);
    }
    deps.log.info('payment resolved', { recharge_id: id, action: body.action, actor: `admin:${admin.id}` });
    return c.json(await detail(id));
  });

  return app;
}

const { ok, err, idemHeader } = openapiHelpers;
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer' } };
const detailDescription =
  '{payment (the recharge row with user_login, user_email), ipn_log (newest first: verdict, reason, ipn_status…; never the HMAC or raw body), ledger (its credit entries), resolution (null unless a hold was resolved)}';

export const adminPaymentsOpenapiPaths = {
  '/api/admin/payments/{id}': {
    get: {
      summary: 'One payment with its IPN log, ledger entries and resolution (manage_options)',
      parameters: [idParam],
      responses: { 200: ok(detailDescription), 403: err('Not an administrator'), 404: err('payment_not_found') },
    },
  },
  '/api/admin/payments/{id}/resolve': {
    post: {
      summary:
        'Resolve a held payment (underpaid or late): credit what arrived (proportional rule), credit the full quote, or reject it (manage_options)',
      parameters: [idParam, idemHeader],
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['action', 'reason'],
              properties: {
                action: { enum: ['credit_received', 'credit_full', 'reject'] },
                reason: { type: 'string', minLength: 3, maxLength: 255, description: 'Stored with the audit row' },
              },
            },
          },
        },
      },
      responses: {
        200: ok(`The resolved payment: ${detailDescription}`),
        400: err('invalid_request, idempotency_key_required'),
        403: err('Not an administrator'),
        404: err('payment_not_found'),
        409: err('not_on_hold (not held, already resolved or completed), nothing_received, request_in_progress'),
        422: err('idempotency_key_reused'),
      },
    },
  },
};

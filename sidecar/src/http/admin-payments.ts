// /api/admin/payments/:id (manage_options): one payment with its IPN log and credits, and resolving a held payment.
import { Hono } from 'hono';
import { paymentDetail } from '../admin/reports.js';
import { resolveHeldPayment } from '../payments/transition.js';
import { requireCap } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, notFound } from './errors.js';
import { idempotent } from './idempotency.js';
import { resolveBody } from './schemas/admin.js';
import { adminPaymentJson, memoJson } from './serialize.js';
import { parseId, parseJson } from './validate.js';

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
    return { ...found, payment: adminPaymentJson(found.payment), ledger: found.ledger.map((e) => ({ ...e, ...memoJson(e) })) };
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

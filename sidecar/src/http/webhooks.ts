// POST /webhooks/coinpayments: no JWT; the raw bytes are kept for the signature. JSON answers with stable codes.
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { UnverifiedLogBudget } from '../payments/coinpayments/ipn.js';
import { handleWebhook } from '../payments/coinpayments-v2/notifications.js';
import type { AppDeps, AppEnv } from './context.js';
import { errorBody } from './errors.js';
import { remoteAddress } from './ipn.js';

export function webhookRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const provider = deps.v2Provider;
  if (!provider) {
    app.post('/webhooks/coinpayments', (c) => c.json(errorBody('not_configured', 'no CoinPayments integration is configured'), 403));
    return app;
  }
  const webhookDeps = {
    db: deps.db,
    log: deps.log,
    clock: deps.clock,
    provider,
    policies: deps.config.recharge.policies,
    metrics: deps.metrics,
    // Its own allowance: a flood of forged webhooks must not spend the IPN log's, nor the other way round.
    unverifiedLog: new UnverifiedLogBudget(deps.config.coinpayments.unverifiedIpnLogPerMin, deps.log, deps.metrics.ipnUnlogged),
  };

  app.post('/webhooks/coinpayments', async (c) => {
    const rawBody = Buffer.from(await c.req.arrayBuffer());
    let outcome;
    try {
      outcome = await handleWebhook(webhookDeps, {
        method: c.req.method,
        headers: c.req.raw.headers,
        rawBody,
        userAgent: c.req.header('user-agent'),
        remoteAddr: remoteAddress(c, deps.config.trustProxy),
      });
    } catch (err) {
      deps.metrics.ipn.inc({ verdict: 'error' });
      throw err;
    }
    deps.metrics.ipn.inc({ verdict: outcome.verdict });
    if (!('code' in outcome)) return c.json({ received: true as const, verdict: outcome.verdict }, 200);
    // One code for a body too large, whichever limit caught it (BODY_LIMIT_BYTES or the webhook's own).
    const code = outcome.code === 'body_too_large' ? 'payload_too_large' : outcome.code;
    return c.json(errorBody(code, outcome.message), outcome.httpStatus as ContentfulStatusCode);
  });
  return app;
}

// POST /ipn/coinpayments: no JWT; the raw bytes are kept for the HMAC. 200 "IPN OK" once handled.
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import { handleIpn, UnverifiedLogBudget } from '../payments/coinpayments/ipn.js';
import { allowedPayCurrencies } from '../payments/quote.js';
import type { AppEnv, RouteDeps } from './context.js';

export function ipnRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  const legacy = deps.config.coinpayments.legacy;
  if (!legacy) {
    // No legacy keys, so no IPN secret: nothing sent here can be genuine, and an empty secret must never verify.
    app.post('/ipn/coinpayments', (c) => c.text('IPN rejected: not_configured', 403));
    return app;
  }
  const ipnDeps = {
    db: deps.db,
    log: deps.log,
    clock: deps.clock,
    merchantId: legacy.merchantId,
    ipnSecret: legacy.ipnSecret,
    // Read per IPN: a coin the owner adds is accepted at once; one removed stays accepted for the payments quoted in it.
    allowedCurrencies: async () => allowedPayCurrencies((await deps.catalog.current()).recharge),
    policies: deps.config.recharge.policies,
    metrics: deps.metrics,
    // One allowance per app, i.e. per sidecar instance.
    unverifiedLog: new UnverifiedLogBudget(deps.config.coinpayments.unverifiedIpnLogPerMin, deps.log, deps.metrics.ipnUnlogged),
  };

  app.post('/ipn/coinpayments', async (c) => {
    const rawBody = Buffer.from(await c.req.arrayBuffer());
    let outcome;
    try {
      outcome = await handleIpn(ipnDeps, {
        rawBody,
        hmac: c.req.header('hmac'),
        contentType: c.req.header('content-type'),
        userAgent: c.req.header('user-agent'),
        remoteAddr: remoteAddress(c, deps.config.trustProxy),
      });
    } catch (err) {
      deps.metrics.ipn.inc({ verdict: 'error' });
      throw err;
    }
    deps.metrics.ipn.inc({ verdict: outcome.verdict });
    if (outcome.verdict === 'rejected') return c.text(`IPN rejected: ${outcome.reason}`, outcome.httpStatus);
    return c.text('IPN OK', 200);
  });
  return app;
}

export function remoteAddress(c: Parameters<typeof getConnInfo>[0], trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address;
  } catch {
    // app.request() in tests has no socket.
    return undefined;
  }
}

// GET /api/packages: recharge packages, custom limits, bonus tiers and payment methods, from the current catalog.
import { Hono } from 'hono';
import { catalogue } from '../payments/quote.js';
import type { AppEnv, RouteDeps } from './context.js';

export function packageRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  app.get('/packages', async (c) => {
    const current = await deps.catalog.current();
    return c.json(catalogue(current.recharge, current.priceCurrency));
  });
  return app;
}

// GET /api/packages: recharge packages, custom limits, bonus tiers and payment methods, from config.
import { Hono } from 'hono';
import { catalogue } from '../payments/quote.js';
import type { AppDeps, AppEnv } from './context.js';

export function packageRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const body = catalogue(deps.config.recharge, deps.config.priceCurrency);
  app.get('/packages', (c) => c.json(body));
  return app;
}

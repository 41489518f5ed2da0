// GET /api/packages: recharge packages, custom limits, bonus tiers and payment methods, from config.
import { Hono } from 'hono';
import { catalogue } from '../payments/quote.js';
import type { AppDeps, AppEnv } from './context.js';
import { openapiHelpers } from './openapi.js';

export function packageRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const body = catalogue(deps.config.recharge, deps.config.priceCurrency);
  app.get('/packages', (c) => c.json(body));
  return app;
}

export const packagesOpenapiPaths = {
  '/api/packages': {
    get: {
      summary: 'Recharge packages, custom amount limits, bonus tiers and payment methods',
      responses: {
        200: openapiHelpers.ok('The catalogue', {
          type: 'object',
          required: ['currency', 'packages', 'custom', 'bonus_tiers', 'methods'],
          properties: {
            currency: { type: 'string' },
            packages: {
              type: 'array',
              items: {
                type: 'object',
                properties: { id: { type: 'string' }, coins: { type: 'integer' }, bonus_coins: { type: 'integer' }, price: { type: 'string' } },
              },
            },
            custom: {
              type: 'object',
              properties: { min_coins: { type: 'integer' }, max_coins: { type: 'integer' }, daily_max_coins: { type: 'integer' }, coin_price: { type: 'string' } },
            },
            bonus_tiers: { type: 'array', items: { type: 'object', properties: { min_coins: { type: 'integer' }, bonus_percent: { type: 'integer' } } } },
            methods: { type: 'array', items: { type: 'object' } },
          },
        }),
        401: openapiHelpers.err('No valid token'),
      },
    },
  },
};

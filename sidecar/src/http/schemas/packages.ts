// GET /api/packages: recharge packages, custom limits, bonus tiers and payment methods.
import { z } from 'zod';
import { coins, decimal, ok, type RouteSpec } from './common.js';

export const packages = z.object({
  currency: z.string(),
  packages: z.array(z.object({ id: z.string(), coins, bonus_coins: coins, price: decimal })),
  custom: z.object({ min_coins: coins, max_coins: coins, daily_max_coins: coins, coin_price: decimal }),
  bonus_tiers: z.array(z.object({ min_coins: coins, bonus_percent: z.number().int() })),
  methods: z.array(
    z.union([
      z.object({ id: z.literal('USDT'), networks: z.array(z.string()), default_network: z.string() }),
      z.object({ id: z.literal('CoinPayment'), currencies: z.array(z.string()) }),
    ]),
  ),
});

export const packageRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/packages',
    summary: 'Recharge packages, custom amount limits, bonus tiers and payment methods',
    auth: 'user',
    responses: { 200: ok('The catalogue', packages) },
  },
];

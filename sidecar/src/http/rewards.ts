// /api/rewards: the catalog, redeeming with an Idempotency-Key, the user's redemptions and role grants; admin listing.
import { Hono } from 'hono';
import { z } from 'zod';
import { readBalance } from '../ledger/ledger.js';
import { listRedemptions, listRewards, listRoleGrants, MAX_LIST, redeemReward, type Redemption } from '../spending/rewards.js';
import { requireCap } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, notFound } from './errors.js';
import { idempotencyKeyOf, idempotent } from './idempotency.js';
import { openapiHelpers } from './openapi.js';
import { rateLimit } from './rate-limit.js';
import { parseQuery } from './validate.js';

const iso = (d: Date) => (d instanceof Date ? d.toISOString() : String(d));

export function redemptionJson(r: Redemption) {
  return {
    id: r.id,
    reward_key: r.reward_key,
    cost_coins: r.cost_coins,
    fulfilment: { type: r.fulfilment_type, value: r.fulfilment_value },
    created_at: iso(r.created_at),
  };
}

const pageQuery = z.object({
  cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, 'an id from next_cursor').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_LIST).default(20),
});

export function rewardRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const { db, config } = deps;
  const catalog = config.spending.rewards;

  app.get('/rewards', async (c) => {
    const userId = c.get('user').id;
    const [views, balance] = await Promise.all([listRewards(db, catalog, userId), readBalance(db, userId)]);
    return c.json({
      rewards: views.map((v) => ({
        key: v.reward.key,
        title: v.reward.title,
        description: v.reward.description,
        cost_coins: v.reward.costCoins,
        fulfilment: v.reward.fulfilment,
        stock_left: v.stockLeft,
        per_user_limit: v.reward.perUserLimit,
        redeemed_by_me: v.redeemedByMe,
      })),
      balance,
    });
  });

  app.get('/rewards/redemptions', async (c) => {
    const q = parseQuery(c, pageQuery);
    const page = await listRedemptions(db, { userId: c.get('user').id, beforeId: q.cursor ? Number(q.cursor) : null, limit: q.limit });
    return c.json({ redemptions: page.redemptions.map(redemptionJson), next_cursor: page.nextCursor });
  });

  app.get('/rewards/grants', async (c) => {
    const grants = await listRoleGrants(db, c.get('user').id);
    return c.json({
      grants: grants.map((g) => ({ id: g.id, role: g.role, redemption_id: g.redemption_id, created_at: iso(g.created_at) })),
    });
  });

  app.post('/rewards/:key/redeem', rateLimit(deps, 'redeem'), idempotent(deps, 'reward.redeem'), async (c) => {
    const reward = catalog.find((r) => r.key === c.req.param('key'));
    if (!reward) throw notFound('unknown_reward', 'no such reward');
    const user = c.get('user');
    const result = await redeemReward(db, {
      userId: user.id,
      reward,
      idemKey: idempotencyKeyOf(c.req.header('idempotency-key')),
      locale: user.locale,
    });
    if (!result.ok) {
      if (result.code === 'insufficient_coins') {
        throw new ApiError(402, 'insufficient_coins', 'not enough coins for this reward', {
          balance: result.balance,
          cost_coins: result.costCoins,
          shortfall: result.shortfall,
        });
      }
      if (result.code === 'out_of_stock') throw new ApiError(409, 'out_of_stock', 'this reward is out of stock');
      throw new ApiError(409, 'limit_reached', 'you have redeemed this reward as many times as allowed');
    }
    if (result.redemption.reward_key !== reward.key) {
      throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for another reward');
    }
    if (!result.replayed) deps.metrics.coinMovements.inc({ kind: 'reward' });
    return c.json({ redemption: redemptionJson(result.redemption), balance: result.balance }, 201);
  });

  return app;
}

const adminQuery = pageQuery.extend({
  user_id: z.coerce.number().int().positive().safe().optional(),
  reward_key: z.string().max(64).optional(),
});

/** Mounted at /api/admin/redemptions: every user's redemptions with what was fulfilled (manage_options). */
export function adminRedemptionRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requireCap('manage_options'));
  app.get('/', async (c) => {
    const q = parseQuery(c, adminQuery);
    const page = await listRedemptions(deps.db, {
      ...(q.user_id !== undefined ? { userId: q.user_id } : {}),
      ...(q.reward_key !== undefined ? { rewardKey: q.reward_key } : {}),
      beforeId: q.cursor ? Number(q.cursor) : null,
      limit: q.limit,
    });
    return c.json({
      redemptions: page.redemptions.map((r) => ({ ...redemptionJson(r), user_id: r.user_id })),
      next_cursor: page.nextCursor,
    });
  });
  return app;
}

const { err, ok, idemHeader } = openapiHelpers;
const cursorParams = [
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LIST, default: 20 } },
];

export const rewardsOpenapiPaths = {
  '/api/rewards': {
    get: {
      summary: 'The rewards catalog with stock, limits and how often the user redeemed each, plus the balance',
      responses: {
        200: ok('{rewards: [{key, title, description, cost_coins, fulfilment, stock_left, per_user_limit, redeemed_by_me}], balance}'),
      },
    },
  },
  '/api/rewards/{key}/redeem': {
    post: {
      summary: 'Redeem a reward once per Idempotency-Key',
      parameters: [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }, idemHeader],
      responses: {
        201: ok('{redemption: {id, reward_key, cost_coins, fulfilment: {type, value}, created_at}, balance}'),
        402: err('insufficient_coins, with details {balance, cost_coins, shortfall}'),
        404: err('unknown_reward'),
        409: err('out_of_stock | limit_reached | request_in_progress'),
        429: err('rate_limited, with a Retry-After header'),
      },
    },
  },
  '/api/rewards/redemptions': {
    get: {
      summary: "The user's redemptions, newest first",
      parameters: cursorParams,
      responses: { 200: ok('{redemptions, next_cursor}') },
    },
  },
  '/api/rewards/grants': {
    get: {
      summary: 'WordPress roles the user earned, for the plugin to apply',
      responses: { 200: ok('{grants: [{id, role, redemption_id, created_at}]}') },
    },
  },
  '/api/admin/redemptions': {
    get: {
      summary: "Every user's redemptions with their fulfilment (manage_options)",
      parameters: [
        ...cursorParams,
        { name: 'user_id', in: 'query', schema: { type: 'integer' } },
        { name: 'reward_key', in: 'query', schema: { type: 'string' } },
      ],
      responses: { 200: ok('{redemptions: [... , user_id], next_cursor}'), 403: err('Not an administrator') },
    },
  },
};

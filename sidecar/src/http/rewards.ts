// /api/rewards: the catalog, redeeming with an Idempotency-Key, the user's redemptions and role grants; admin listing.
import { Hono } from 'hono';
import { readBalance } from '../ledger/ledger.js';
import { membershipRole } from '../membership/membership.js';
import { listRedemptions, listRewards, listRoleGrants, redeemReward, type Redemption } from '../spending/rewards.js';
import { requireCap } from './auth.js';
import type { AppEnv, RouteDeps } from './context.js';
import { ApiError, notFound } from './errors.js';
import { idempotencyKeyOf, idempotent } from './idempotency.js';
import { rateLimit } from './rate-limit.js';
import { adminRedemptionsQuery, rewardsPageQuery } from './schemas/rewards.js';
import { parseQuery } from './validate.js';

const iso = (d: Date) => (d instanceof Date ? d.toISOString() : String(d));

/** titles: the catalog's reward titles by key, so a redemption is listed by its name, not its key. */
export function redemptionJson(r: Redemption, titles: ReadonlyMap<string, string>) {
  return {
    id: r.id,
    reward_key: r.reward_key,
    reward_title: titles.get(r.reward_key) ?? null,
    cost_coins: r.cost_coins,
    fulfilment: { type: r.fulfilment_type, value: r.fulfilment_value },
    created_at: iso(r.created_at),
  };
}

async function rewardTitles(deps: RouteDeps): Promise<Map<string, string>> {
  return new Map((await deps.catalog.current()).rewards.map((r) => [r.key, r.title]));
}

export function rewardRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  const { db } = deps;

  app.get('/rewards', async (c) => {
    const userId = c.get('user').id;
    const { rewards: catalog } = await deps.catalog.current();
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
    const q = parseQuery(c, rewardsPageQuery);
    const [page, titles] = await Promise.all([
      listRedemptions(db, { userId: c.get('user').id, beforeId: q.cursor ? Number(q.cursor) : null, limit: q.limit }),
      rewardTitles(deps),
    ]);
    return c.json({ redemptions: page.redemptions.map((r) => redemptionJson(r, titles)), next_cursor: page.nextCursor });
  });

  app.get('/rewards/grants', async (c) => {
    const userId = c.get('user').id;
    const [grants, vipRole] = await Promise.all([listRoleGrants(db, userId), membershipRole(db, userId, deps.clock.now())]);
    return c.json({
      grants: grants.map((g) => ({ id: g.id, role: g.role, redemption_id: g.redemption_id, created_at: iso(g.created_at) })),
      membership_roles: vipRole ? [{ role: vipRole.role, expires_at: vipRole.expiresAt?.toISOString() ?? null, active: vipRole.active }] : [],
    });
  });

  app.post('/rewards/:key/redeem', rateLimit(deps, 'redeem'), idempotent(deps, 'reward.redeem'), async (c) => {
    const { rewards: catalog } = await deps.catalog.current();
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
    return c.json({ redemption: redemptionJson(result.redemption, new Map([[reward.key, reward.title]])), balance: result.balance }, 201);
  });

  return app;
}

/** Mounted at /api/admin/redemptions: every user's redemptions with what was fulfilled (manage_options). */
export function adminRedemptionRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requireCap('manage_options'));
  app.get('/', async (c) => {
    const q = parseQuery(c, adminRedemptionsQuery);
    const titles = await rewardTitles(deps);
    const page = await listRedemptions(deps.db, {
      ...(q.user_id !== undefined ? { userId: q.user_id } : {}),
      ...(q.reward_key !== undefined ? { rewardKey: q.reward_key } : {}),
      beforeId: q.cursor ? Number(q.cursor) : null,
      limit: q.limit,
    });
    return c.json({
      redemptions: page.redemptions.map((r) => ({ ...redemptionJson(r, titles), user_id: r.user_id })),
      next_cursor: page.nextCursor,
    });
  });
  return app;
}

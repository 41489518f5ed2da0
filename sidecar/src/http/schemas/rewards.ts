// /api/rewards: the catalog, redeeming, the user's redemptions and role grants; the admin listing.
import { z } from 'zod';
import { MAX_LIST } from '../../spending/rewards.js';
import { coins, dateTime, fails, nextCursor, ok, pageQuery, type RouteSpec } from './common.js';

const fulfilmentType = z.enum(['entitlement', 'role', 'code', 'link']);

export const rewardsPageQuery = pageQuery(MAX_LIST);
export const adminRedemptionsQuery = rewardsPageQuery.extend({
  user_id: z.coerce.number().int().positive().safe().optional(),
  reward_key: z.string().max(64).optional(),
});

export const rewardList = z.object({
  rewards: z.array(
    z.object({
      key: z.string(),
      title: z.string(),
      description: z.string(),
      cost_coins: coins,
      fulfilment: fulfilmentType,
      stock_left: z.number().int().nullable(),
      per_user_limit: z.number().int().nullable(),
      redeemed_by_me: z.number().int(),
    }),
  ),
  balance: coins,
});
export const redemption = z.object({
  id: z.number().int(),
  reward_key: z.string(),
  reward_title: z.string().nullable().describe("the reward's title in the catalog; null once it left the catalog"),
  cost_coins: coins,
  fulfilment: z.object({ type: fulfilmentType, value: z.string() }),
  created_at: dateTime,
});
export const redeemed = z.object({ redemption, balance: coins });
export const redemptionPage = z.object({ redemptions: z.array(redemption), next_cursor: nextCursor });
export const grants = z.object({
  grants: z.array(z.object({ id: z.number().int(), role: z.string(), redemption_id: z.number().int(), created_at: dateTime })),
  membership_roles: z
    .array(z.object({ role: z.string(), expires_at: dateTime.nullable(), active: z.boolean() }))
    .describe("the VIP tier's role: held while active, removed once the membership ends"),
});
export const adminRedemptionPage = z.object({
  redemptions: z.array(redemption.extend({ user_id: z.number().int() })),
  next_cursor: nextCursor,
});

const badPage = fails('Bad cursor or limit', 'invalid_query');

export const rewardRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/rewards',
    summary: 'The rewards catalog with stock, limits and how often the user redeemed each, plus the balance',
    auth: 'user',
    responses: { 200: ok('The catalog', rewardList) },
  },
  {
    method: 'get',
    path: '/api/rewards/redemptions',
    summary: "The user's redemptions, newest first",
    auth: 'user',
    query: rewardsPageQuery,
    responses: { 200: ok('A page of redemptions', redemptionPage), 400: badPage },
  },
  {
    method: 'get',
    path: '/api/rewards/grants',
    summary: 'WordPress roles the user earned, and the VIP role with its expiry, for the plugin to apply or remove',
    auth: 'user',
    responses: { 200: ok('The grants', grants) },
  },
  {
    method: 'post',
    path: '/api/rewards/:key/redeem',
    summary: 'Redeem a reward once per Idempotency-Key',
    auth: 'user',
    idempotency: 'required',
    rateLimit: true,
    params: z.object({ key: z.string() }),
    responses: {
      201: ok('The redemption and the new balance', redeemed),
      402: fails('Not enough coins, with details {balance, cost_coins, shortfall}', 'insufficient_coins'),
      404: fails('No such reward', 'unknown_reward'),
      409: fails('Out of stock, or redeemed as often as allowed', 'out_of_stock', 'limit_reached'),
    },
  },
  {
    method: 'get',
    path: '/api/admin/redemptions',
    summary: "Every user's redemptions with their fulfilment (manage_options)",
    auth: 'admin',
    query: adminRedemptionsQuery,
    responses: { 200: ok('A page of redemptions', adminRedemptionPage), 400: badPage },
  },
];

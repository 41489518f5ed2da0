// /api/vip: the VIP tiers, the user's membership, buying or renewing a tier; the admin's tiers and members.
import { z } from 'zod';
import { MAX_MEMBERS_PAGE, MAX_PURCHASES_PAGE } from '../../membership/membership.js';
import { MAX_DAILY_DOWNLOADS, MAX_TIER_DAYS, MAX_TIER_PRICE_COINS, ROLE_PATTERN, TIER_KEY_PATTERN } from '../../membership/tiers.js';
import { coins, cursorText, dateTime, fails, nextCursor, ok, pageQuery, type RouteSpec } from './common.js';

export const tier = z.object({
  key: z.string(),
  title: z.string(),
  days: z.number().int().describe('0 = lifetime'),
  price_coins: coins,
  keeps_unlocks: z.boolean().describe('posts unlocked free through this tier stay unlocked after it ends'),
  daily_downloads: z.number().int().nullable().describe('EA downloads through VIP access per 24 hours; null = no limit'),
});
export const adminTier = tier.extend({ role: z.string().nullable(), active: z.boolean(), sort_order: z.number().int() });

export const membership = z.object({
  tier_key: z.string(),
  tier_title: z.string().nullable(),
  since: dateTime,
  expires_at: dateTime.nullable().describe('null = lifetime'),
  active: z.boolean(),
});
export const vipState = z.object({ tiers: z.array(tier), membership: membership.nullable(), balance: coins });
export const bought = z.object({ membership, charged_coins: coins.describe('0 for a replay of the same Idempotency-Key'), balance: coins });

export const purchasesQuery = pageQuery(MAX_PURCHASES_PAGE);
export const purchasePage = z.object({
  purchases: z.array(
    z.object({
      id: z.number().int(),
      tier_key: z.string(),
      tier_title: z.string().nullable().describe('null when the tier is gone'),
      price_coins: coins,
      bought_at: dateTime,
      starts_at: dateTime,
      ends_at: dateTime.nullable().describe('null = lifetime'),
      state: z.enum(['running', 'upcoming', 'ended']).describe('upcoming: a renewal bought before the running period ends'),
    }),
  ),
  next_cursor: nextCursor,
});

const tierFields = {
  title: z.string().trim().min(1).max(200),
  days: z.number().int().min(0).max(MAX_TIER_DAYS),
  price_coins: z.number().int().min(1).max(MAX_TIER_PRICE_COINS),
  role: z.string().regex(ROLE_PATTERN).nullable(),
  keeps_unlocks: z.boolean(),
  daily_downloads: z.number().int().min(1).max(MAX_DAILY_DOWNLOADS).nullable(),
  active: z.boolean(),
  sort_order: z.number().int().min(-10_000).max(10_000),
};
export const tierCreateBody = z.strictObject({
  key: z.string().regex(TIER_KEY_PATTERN),
  title: tierFields.title,
  days: tierFields.days,
  price_coins: tierFields.price_coins,
  role: tierFields.role.default(null),
  keeps_unlocks: tierFields.keeps_unlocks.default(false),
  daily_downloads: tierFields.daily_downloads.default(null),
  active: tierFields.active.default(true),
  sort_order: tierFields.sort_order.default(0),
});
export const tierUpdateBody = z
  .strictObject({
    title: tierFields.title.optional(),
    days: tierFields.days.optional(),
    price_coins: tierFields.price_coins.optional(),
    role: tierFields.role.optional(),
    keeps_unlocks: tierFields.keeps_unlocks.optional(),
    daily_downloads: tierFields.daily_downloads.optional(),
    active: tierFields.active.optional(),
    sort_order: tierFields.sort_order.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export const adminTierList = z.object({ tiers: z.array(adminTier) });
export const adminTierOne = z.object({ tier: adminTier });

export const membersQuery = z.object({
  tier: z.string().regex(TIER_KEY_PATTERN).optional(),
  status: z.enum(['active', 'expired']).optional(),
  cursor: cursorText.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_MEMBERS_PAGE).default(20),
});
export const memberPage = z.object({
  members: z.array(
    z.object({
      user_id: z.number().int(),
      display_name: z.string().nullable(),
      tier_key: z.string(),
      since: dateTime,
      expires_at: dateTime.nullable(),
      active: z.boolean(),
      purchases: z.number().int(),
    }),
  ),
  next_cursor: nextCursor,
});

const tierKey = z.object({ key: z.string() });
const unknownTier = fails('No such tier (or switched off)', 'unknown_tier');

export const vipRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/vip',
    summary: "The VIP tiers on sale, the user's membership (tier, since, expiry) and balance",
    auth: 'user',
    responses: { 200: ok('Tiers and membership', vipState) },
  },
  {
    method: 'get',
    path: '/api/vip/purchases',
    summary: "The user's membership purchases, newest first, each a period of its tier: running, upcoming or ended",
    auth: 'user',
    query: purchasesQuery,
    responses: { 200: ok('A page of purchases', purchasePage), 400: fails('Bad cursor or limit', 'invalid_query') },
  },
  {
    method: 'post',
    path: '/api/vip/:key/buy',
    summary: 'Buy or renew a tier once per Idempotency-Key; renewing early extends from the current expiry',
    auth: 'user',
    idempotency: 'required',
    rateLimit: true,
    params: tierKey,
    responses: {
      201: ok('The membership and the new balance', bought),
      402: fails('Not enough coins, with details {balance, price_coins, shortfall}', 'insufficient_coins'),
      404: unknownTier,
      409: fails('A lifetime membership is running already', 'already_lifetime'),
    },
  },
  {
    method: 'get',
    path: '/api/admin/vip/tiers',
    summary: 'Every tier, switched off ones included (manage_options)',
    auth: 'admin',
    responses: { 200: ok('The tiers', adminTierList) },
  },
  {
    method: 'post',
    path: '/api/admin/vip/tiers',
    summary: 'Create a tier; audited (manage_options)',
    auth: 'admin',
    body: tierCreateBody,
    responses: { 201: ok('The tier', adminTierOne), 409: fails('The key is taken, or too many tiers', 'tier_exists', 'too_many_tiers') },
  },
  {
    method: 'post',
    path: '/api/admin/vip/tiers/:key',
    summary: 'Change a tier (memberships sold keep their terms); audited (manage_options)',
    auth: 'admin',
    params: tierKey,
    body: tierUpdateBody,
    responses: { 200: ok('The tier', adminTierOne), 404: fails('No such tier', 'unknown_tier') },
  },
  {
    method: 'get',
    path: '/api/admin/vip/members',
    summary: 'Members with tier, since and expiry, filtered by tier and status, newest user first (manage_options)',
    auth: 'admin',
    query: membersQuery,
    responses: { 200: ok('A page of members', memberPage), 400: fails('Bad filter or page', 'invalid_query') },
  },
];

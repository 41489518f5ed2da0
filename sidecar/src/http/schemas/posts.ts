// /api/posts/:postId: a post's price and unlock state, unlocking it with coins, and its protected download.
import { z } from 'zod';
import { MAX_OWNED_PAGE } from '../../spending/purchases.js';
import { coins, dateTime, fails, idParams, nextCursor, ok, pageQuery, type RouteSpec } from './common.js';

export const post = z.object({
  post_id: z.number().int(),
  title: z.string(),
  price_coins: coins.describe('what everyone pays; 0 when the post is sold to VIP members alone'),
  unlocked: z.boolean(),
  file_name: z.string().nullable(),
  licence: z.boolean().describe('whether an entitlement to the post comes with an EA licence (GET /api/posts/{postId}/license)'),
  balance: coins,
  vip: z
    .object({ mode: z.enum(['free', 'discount', 'only']), price_coins: coins.nullable().describe('what members pay under discount or only') })
    .nullable(),
  member: z.boolean().describe('whether the user is a VIP member now'),
  your_price_coins: coins.nullable().describe("what this user's unlock costs now; null when only members may unlock"),
  access_days: z.number().int().nullable().describe('days one purchase gives access for; null = for good'),
  access_until: dateTime.nullable().describe("when the user's access ends; null = for good, or not unlocked"),
});
export const unlocked = z.object({
  unlocked: z.literal(true),
  balance: coins,
  charged_coins: coins.describe('0 for a repeat within the access period: nothing is charged twice'),
  access_until: dateTime.nullable(),
});
export const unlockBody = z.object({
  expected_price_coins: coins.nonnegative().optional().describe('The price the buyer was shown (0 for a post free to them, e.g. free for VIP); a higher current price is refused with 409 price_changed'),
});
export const ownedPostsQuery = pageQuery(MAX_OWNED_PAGE);
export const ownedPosts = z.object({
  posts: z.array(
    z.object({
      post_id: z.number().int(),
      title: z.string().nullable().describe('null when the post is gone from WordPress'),
      url: z.string().describe("the post's address on the site (WordPress redirects it to the permalink)"),
      file_name: z.string().nullable().describe('the EA file POST /api/posts/{postId}/download hands out; null = none'),
      source: z.enum(['unlock', 'reward', 'vip']),
      price_coins: coins,
      since: dateTime,
      access_until: dateTime.nullable().describe('null = for good'),
      active: z.boolean().describe('false once a time-limited access or the VIP membership it came with ended'),
    }),
  ),
  next_cursor: nextCursor,
});
export const download = z.object({ url: z.string(), expires_at: dateTime, file_name: z.string() });

const postId = idParams('postId');
const badId = fails('Bad post id', 'invalid_id');
const notForSale = fails('Unpublished, unpriced or not a post', 'post_not_for_sale');

export const postRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/posts',
    summary: 'The posts the user bought, redeemed or unlocked through VIP, newest first, with their files',
    auth: 'user',
    query: ownedPostsQuery,
    responses: { 200: ok('A page of posts', ownedPosts), 400: fails('Bad cursor or limit', 'invalid_query') },
  },
  {
    method: 'get',
    path: '/api/posts/:postId',
    summary: "A post's coin price, whether the user has unlocked it, its file name and the user's balance",
    auth: 'user',
    params: postId,
    responses: { 200: ok('The post', post), 400: badId, 404: notForSale },
  },
  {
    method: 'post',
    path: '/api/posts/:postId/unlock',
    summary:
      "Spend the post's price once (read from WordPress, never from the request); expected_price_coins caps it at the price the buyer saw",
    auth: 'user',
    idempotency: 'optional',
    rateLimit: true,
    params: postId,
    body: unlockBody,
    bodyOptional: true,
    responses: {
      200: ok('Unlocked', unlocked),
      400: badId,
      402: fails('Not enough coins, with details {balance, price_coins, shortfall}', 'insufficient_coins'),
      403: fails('Only VIP members may unlock this post', 'vip_required'),
      404: notForSale,
      409: fails('The price rose above expected_price_coins; nothing was charged; details {price_coins, expected_price_coins}', 'price_changed'),
    },
  },
  {
    method: 'post',
    path: '/api/posts/:postId/download',
    summary: "A short-lived signed download URL for the post's EA file (see docs/download-token.md)",
    auth: 'user',
    rateLimit: true,
    params: postId,
    responses: {
      200: ok('The URL', download),
      400: badId,
      403: fails('The user has not unlocked this post (or the access ended)', 'not_unlocked'),
      404: fails('The post has no file', 'no_file'),
      429: fails(
        'A download quota is used up, with details {limit, used, frees_at} (frees_at null: not by waiting)',
        'download_limit_reached',
        'daily_download_limit_reached',
      ),
    },
  },
];

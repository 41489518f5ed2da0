// /api/posts/:postId: a post's price and unlock state, unlocking it with coins, and its protected download.
import { z } from 'zod';
import { coins, dateTime, fails, idParams, ok, type RouteSpec } from './common.js';

export const post = z.object({
  post_id: z.number().int(),
  title: z.string(),
  price_coins: coins,
  unlocked: z.boolean(),
  file_name: z.string().nullable(),
  balance: coins,
});
export const unlocked = z.object({
  unlocked: z.literal(true),
  balance: coins,
  charged_coins: coins.describe('0 for a repeat: nothing is charged twice'),
});
export const unlockBody = z.object({
  expected_price_coins: coins.positive().optional().describe('The price the buyer was shown; a higher current price is refused with 409 price_changed'),
});
export const download = z.object({ url: z.string(), expires_at: dateTime, file_name: z.string() });

const postId = idParams('postId');
const badId = fails('Bad post id', 'invalid_id');
const notForSale = fails('Unpublished, unpriced or not a post', 'post_not_for_sale');

export const postRoutes: RouteSpec[] = [
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
      403: fails('The user has not unlocked this post', 'not_unlocked'),
      404: fails('The post has no file', 'no_file'),
    },
  },
];

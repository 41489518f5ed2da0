// /api/posts/:postId: a post's price and unlock state, unlocking it with coins, and its protected download.
import { Hono, type MiddlewareHandler } from 'hono';
import { readBalance } from '../ledger/ledger.js';
import { issueDownload } from '../spending/downloads.js';
import { attachmentFileName, readOffer, readPostInfo } from '../spending/prices.js';
import { findEntitlement, unlockPost } from '../spending/unlock.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, notFound } from './errors.js';
import { idempotent } from './idempotency.js';
import { openapiHelpers } from './openapi.js';
import { rateLimited, windowLimit } from './rate-limit.js';
import { parseId } from './validate.js';

const notForSale = () => notFound('post_not_for_sale', 'this post is not for sale');

export function postRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const { db, config } = deps;
  const unlockLimit = windowLimit(deps, 'unlock');

  app.get('/posts/:postId', async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const userId = c.get('user').id;
    const [offer, entitlement, balance] = await Promise.all([
      readOffer(db, postId),
      findEntitlement(db, userId, postId),
      readBalance(db, userId),
    ]);
    // Someone who unlocked a post keeps seeing it as unlocked after it is unpublished or repriced.
    const info = offer ?? (entitlement ? await readPostInfo(db, postId) : null);
    if (!info) throw notForSale();
    const fileName = info.fileId === null ? null : await attachmentFileName(db, info.fileId);
    return c.json({
      post_id: postId,
      title: info.title,
      price_coins: offer?.priceCoins ?? entitlement!.price_coins,
      unlocked: entitlement !== undefined,
      file_name: fileName,
      balance,
    });
  });

  // The unlock rate limit is counted by the unlock transaction itself, not by middleware.
  app.post('/posts/:postId/unlock', optionalIdempotency(deps), async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const user = c.get('user');
    const result = await unlockPost(db, {
      userId: user.id,
      postId,
      authorSharePercent: config.spending.authorSharePercent,
      locale: user.locale,
      attempts: unlockLimit,
    });
    if (!result.ok) {
      if (result.code === 'post_not_for_sale') throw notForSale();
      if (result.code === 'rate_limited') {
        throw rateLimited({ limit: config.spending.rateLimits.unlock, windowS: config.spending.rateLimits.windowS }, result.retryAfterS);
      }
      throw new ApiError(402, 'insufficient_coins', 'not enough coins to unlock this post', {
        balance: result.balance,
        price_coins: result.priceCoins,
        shortfall: result.shortfall,
      });
    }
    if (result.chargedCoins > 0) {
      deps.metrics.coinMovements.inc({ kind: 'unlock' });
      if (result.authorShareCoins > 0) deps.metrics.coinMovements.inc({ kind: 'author_share' });
    }
    return c.json({ unlocked: true, balance: result.balance, charged_coins: result.chargedCoins });
  });

  app.post('/posts/:postId/download', async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const result = await issueDownload(db, {
      userId: c.get('user').id,
      postId,
      now: deps.clock.now(),
      secret: config.jwtSecret,
      issuer: config.publicUrl,
      wpHome: config.wpHome,
      ttlS: config.spending.downloadTokenTtlMin * 60,
    });
    if (!result.ok) {
      if (result.code === 'not_unlocked') throw new ApiError(403, 'not_unlocked', 'unlock this post before downloading its file');
      throw notFound('no_file', 'this post has no file to download');
    }
    return c.json({ url: result.url, expires_at: result.expiresAt.toISOString(), file_name: result.fileName });
  });

  return app;
}

/** With an Idempotency-Key a retry gets the first answer; without one the entitlement alone guards the charge. */
function optionalIdempotency(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const withKey = idempotent(deps, 'post.unlock');
  return (c, next) => (c.req.header('idempotency-key') ? withKey(c, next) : next());
}

const { err, ok } = openapiHelpers;
const postIdParam = { name: 'postId', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };
const optionalIdemHeader = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', minLength: 8, maxLength: 128 },
};

export const postsOpenapiPaths = {
  '/api/posts/{postId}': {
    get: {
      summary: "A post's coin price, whether the user has unlocked it, its file name and the user's balance",
      parameters: [postIdParam],
      responses: {
        200: ok('The post', {
          type: 'object',
          required: ['post_id', 'title', 'price_coins', 'unlocked', 'file_name', 'balance'],
          properties: {
            post_id: { type: 'integer' },
            title: { type: 'string' },
            price_coins: { type: 'integer' },
            unlocked: { type: 'boolean' },
            file_name: { type: ['string', 'null'] },
            balance: { type: 'integer' },
          },
        }),
        400: err('Bad post id'),
        401: err('No valid token'),
        404: err('post_not_for_sale: unpublished, unpriced or not a post'),
      },
    },
  },
  '/api/posts/{postId}/unlock': {
    post: {
      summary: "Spend the post's price once (the price is read from WordPress, never from the request)",
      parameters: [postIdParam, optionalIdemHeader],
      responses: {
        200: ok('Unlocked; charged_coins is 0 for a repeat', {
          type: 'object',
          required: ['unlocked', 'balance', 'charged_coins'],
          properties: { unlocked: { const: true }, balance: { type: 'integer' }, charged_coins: { type: 'integer' } },
        }),
        402: err('insufficient_coins, with details {balance, price_coins, shortfall}'),
        404: err('post_not_for_sale'),
        429: err('rate_limited, with a Retry-After header'),
      },
    },
  },
  '/api/posts/{postId}/download': {
    post: {
      summary: 'A short-lived signed download URL for the post\'s EA file (see docs/download-token.md)',
      parameters: [postIdParam],
      responses: {
        200: ok('The URL', {
          type: 'object',
          required: ['url', 'expires_at', 'file_name'],
          properties: { url: { type: 'string' }, expires_at: { type: 'string', format: 'date-time' }, file_name: { type: 'string' } },
        }),
        403: err('not_unlocked'),
        404: err('no_file'),
      },
    },
  },
};

// /api/posts/:postId: a post's price and unlock state, unlocking it with coins, and its protected download.
import { Hono, type MiddlewareHandler } from 'hono';
import { readBalance } from '../ledger/ledger.js';
import { activeMember } from '../membership/membership.js';
import { issueDownload, type QuotaRefusal } from '../spending/downloads.js';
import { attachmentFileName, quoteFor, readOffer, readPostInfo } from '../spending/prices.js';
import { ownedPosts } from '../spending/purchases.js';
import { findEntitlement, unlockPost } from '../spending/unlock.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, notFound } from './errors.js';
import { idempotent } from './idempotency.js';
import { rateLimit, rateLimited, windowLimit } from './rate-limit.js';
import { ownedPostsQuery, unlockBody } from './schemas/posts.js';
import { parseId, parseJson, parseQuery } from './validate.js';

const notForSale = () => notFound('post_not_for_sale', 'this post is not for sale');

export function postRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const { db, config } = deps;
  const unlockLimit = windowLimit(deps, 'unlock');

  app.get('/posts', async (c) => {
    const q = parseQuery(c, ownedPostsQuery);
    const page = await ownedPosts(db, c.get('user').id, q.cursor ? Number(q.cursor) : null, q.limit, deps.clock.now());
    return c.json({
      posts: page.posts.map((p) => ({
        post_id: p.postId,
        title: p.title,
        url: `${config.wpHome}/?p=${p.postId}`,
        file_name: p.fileName,
        source: p.source,
        price_coins: p.priceCoins,
        since: p.since.toISOString(),
        access_until: p.expiresAt?.toISOString() ?? null,
        active: p.active,
      })),
      next_cursor: page.nextCursor,
    });
  });

  app.get('/posts/:postId', async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const userId = c.get('user').id;
    const now = deps.clock.now();
    const [offer, entitlement, balance, member] = await Promise.all([
      readOffer(db, postId),
      findEntitlement(db, userId, postId, now),
      readBalance(db, userId),
      activeMember(db, userId, now),
    ]);
    // Someone who unlocked a post keeps seeing it as unlocked after it is unpublished or repriced.
    const info = offer ?? (entitlement ? await readPostInfo(db, postId) : null);
    if (!info) throw notForSale();
    const fileName = info.fileId === null ? null : await attachmentFileName(db, info.fileId);
    const quote = offer ? quoteFor(offer, member !== null) : null;
    return c.json({
      post_id: postId,
      title: info.title,
      price_coins: offer?.priceCoins ?? entitlement!.price_coins,
      unlocked: entitlement !== undefined,
      file_name: fileName,
      licence: info.sellsLicence,
      balance,
      vip: info.vip ? { mode: info.vip.mode, price_coins: info.vip.priceCoins } : null,
      member: member !== null,
      your_price_coins: quote?.ok ? quote.priceCoins : null,
      access_days: info.accessDays,
      access_until: entitlement?.expires_at?.toISOString() ?? null,
    });
  });

  // The unlock counts its attempt itself (unlockPost), not through middleware, and answers rate_limited as a value.
  app.post('/posts/:postId/unlock', optionalIdempotency(deps), async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const user = c.get('user');
    // Older clients send no body: they pay the current price, as before.
    const body = c.req.header('content-type') === undefined ? {} : await parseJson(c, unlockBody);
    const result = await unlockPost(db, {
      userId: user.id,
      postId,
      ...(body.expected_price_coins !== undefined ? { expectedPriceCoins: body.expected_price_coins } : {}),
      authorSharePercent: config.spending.authorSharePercent,
      now: deps.clock.now(),
      locale: user.locale,
      attempts: unlockLimit,
      emailReceipt: config.notify.unlockEmail,
    });
    if (!result.ok) {
      if (result.code === 'post_not_for_sale') throw notForSale();
      if (result.code === 'vip_required') throw new ApiError(403, 'vip_required', 'only VIP members may unlock this post');
      if (result.code === 'rate_limited') {
        throw rateLimited({ limit: config.spending.rateLimits.unlock, windowS: config.spending.rateLimits.windowS }, result.retryAfterS);
      }
      if (result.code === 'price_changed') {
        throw new ApiError(409, 'price_changed', 'the price changed since it was shown; nothing was charged', {
          price_coins: result.priceCoins,
          expected_price_coins: result.expectedPriceCoins,
        });
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
    return c.json({
      unlocked: true,
      balance: result.balance,
      charged_coins: result.chargedCoins,
      access_until: result.accessUntil?.toISOString() ?? null,
    });
  });

  // Every link issued writes a row: counted per user like the other writes.
  app.post('/posts/:postId/download', rateLimit(deps, 'download'), async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const result = await issueDownload(db, {
      userId: c.get('user').id,
      postId,
      now: deps.clock.now(),
      secret: config.jwtSecret,
      issuer: config.publicUrl,
      wpHome: config.wpHome,
      ttlS: config.spending.downloadTokenTtlMin * 60,
      defaultLimit: config.spending.downloadLimitPerEntitlement,
    });
    if (!result.ok) {
      if (result.code === 'not_unlocked') throw new ApiError(403, 'not_unlocked', 'unlock this post before downloading its file');
      if (result.code === 'no_file') throw notFound('no_file', 'this post has no file to download');
      throw quotaRefusal(result, deps.clock.now());
    }
    return c.json({ url: result.url, expires_at: result.expiresAt.toISOString(), file_name: result.fileName });
  });

  return app;
}

/** The quota's stable code, with when it frees up, in words and in details; Retry-After when waiting helps. */
function quotaRefusal(r: QuotaRefusal, now: Date): ApiError {
  const frees = r.freesAt ? r.freesAt.toISOString() : null;
  const message =
    r.code === 'daily_download_limit_reached'
      ? `you have used ${r.used} of ${r.limit} VIP downloads in the last 24 hours; the next one frees up at ${frees}`
      : frees
        ? `you have used ${r.used} of ${r.limit} downloads for this purchase; buying access again after ${frees} gives new ones`
        : `you have used ${r.used} of ${r.limit} downloads for this purchase`;
  const retryAfterS = r.freesAt ? Math.max(1, Math.ceil((r.freesAt.getTime() - now.getTime()) / 1000)) : null;
  return new ApiError(
    429,
    r.code,
    message,
    { limit: r.limit, used: r.used, frees_at: frees },
    retryAfterS !== null && r.code === 'daily_download_limit_reached' ? { 'Retry-After': String(retryAfterS) } : undefined,
  );
}

/** With an Idempotency-Key a retry gets the first answer; without one the entitlement alone guards the charge. */
function optionalIdempotency(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const withKey = idempotent(deps, 'post.unlock');
  return (c, next) => (c.req.header('idempotency-key') ? withKey(c, next) : next());
}

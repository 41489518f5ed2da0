// /api/vip: tiers, the user's membership, buying a tier with an Idempotency-Key; /api/admin/vip: tiers and members.
import { Hono } from 'hono';
import { readBalance } from '../ledger/ledger.js';
import { buyTier, findMembership, isActive, listMembers, listPurchases, type Membership } from '../membership/membership.js';
import { createTier, getTier, listTiers, updateTier, type TierPatch, type VipTier } from '../membership/tiers.js';
import { requireCap } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, notFound } from './errors.js';
import { idempotencyKeyOf, idempotent } from './idempotency.js';
import { rateLimit } from './rate-limit.js';
import { membersQuery, purchasesQuery, tierCreateBody, tierUpdateBody } from './schemas/vip.js';
import { parseJson, parseQuery } from './validate.js';

const tierJson = (t: VipTier) => ({
  key: t.key,
  title: t.title,
  days: t.days,
  price_coins: t.priceCoins,
  keeps_unlocks: t.keepsUnlocks,
  daily_downloads: t.dailyDownloads,
});
const adminTierJson = (t: VipTier) => ({ ...tierJson(t), role: t.role, active: t.active, sort_order: t.sortOrder });

function membershipJson(m: Membership, tiers: VipTier[], now: Date) {
  return {
    tier_key: m.tier_key,
    tier_title: tiers.find((t) => t.key === m.tier_key)?.title ?? null,
    since: m.since.toISOString(),
    expires_at: m.expires_at?.toISOString() ?? null,
    active: isActive(m, now),
  };
}

export function vipRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const { db } = deps;

  app.get('/vip', async (c) => {
    const userId = c.get('user').id;
    const [tiers, membership, balance] = await Promise.all([listTiers(db, { activeOnly: false }), findMembership(db, userId), readBalance(db, userId)]);
    return c.json({
      tiers: tiers.filter((t) => t.active).map(tierJson),
      membership: membership ? membershipJson(membership, tiers, deps.clock.now()) : null,
      balance,
    });
  });

  app.get('/vip/purchases', async (c) => {
    const q = parseQuery(c, purchasesQuery);
    const page = await listPurchases(db, { userId: c.get('user').id, beforeId: q.cursor ? Number(q.cursor) : null, limit: q.limit, now: deps.clock.now() });
    return c.json({
      purchases: page.purchases.map((p) => ({
        id: p.id,
        tier_key: p.tierKey,
        tier_title: p.tierTitle,
        price_coins: p.priceCoins,
        bought_at: p.boughtAt.toISOString(),
        starts_at: p.startsAt.toISOString(),
        ends_at: p.endsAt?.toISOString() ?? null,
        state: p.state,
      })),
      next_cursor: page.nextCursor,
    });
  });

  app.post('/vip/:key/buy', rateLimit(deps, 'redeem'), idempotent(deps, 'vip.buy'), async (c) => {
    const tier = await getTier(db, c.req.param('key'));
    if (!tier?.active) throw notFound('unknown_tier', 'no such VIP tier');
    const user = c.get('user');
    const now = deps.clock.now();
    const result = await buyTier(db, { userId: user.id, tier, idemKey: idempotencyKeyOf(c.req.header('idempotency-key')), now, locale: user.locale });
    if (!result.ok) {
      if (result.code === 'already_lifetime') throw new ApiError(409, 'already_lifetime', 'your lifetime membership is running already');
      throw new ApiError(402, 'insufficient_coins', 'not enough coins for this tier', {
        balance: result.balance,
        price_coins: result.priceCoins,
        shortfall: result.shortfall,
      });
    }
    if (result.purchase.tier_key !== tier.key) throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for another tier');
    if (!result.replayed) deps.metrics.coinMovements.inc({ kind: 'vip' });
    return c.json({ membership: membershipJson(result.membership, [tier], now), charged_coins: result.chargedCoins, balance: result.balance }, 201);
  });

  return app;
}

/** Mounted at /api/admin/vip (manage_options): the tier store and the members list. */
export function adminVipRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const { db } = deps;
  app.use('*', requireCap('manage_options'));

  app.get('/tiers', async (c) => c.json({ tiers: (await listTiers(db, { activeOnly: false })).map(adminTierJson) }));

  app.post('/tiers', async (c) => {
    const b = await parseJson(c, tierCreateBody);
    const result = await createTier(
      db,
      {
        key: b.key,
        title: b.title,
        days: b.days,
        priceCoins: b.price_coins,
        role: b.role,
        keepsUnlocks: b.keeps_unlocks,
        dailyDownloads: b.daily_downloads,
        active: b.active,
        sortOrder: b.sort_order,
      },
      `admin:${c.get('user').id}`,
    );
    if (!result.ok) {
      throw new ApiError(409, result.code, result.code === 'tier_exists' ? 'a tier with this key exists' : 'there are as many tiers as allowed');
    }
    return c.json({ tier: adminTierJson(result.tier) }, 201);
  });

  app.post('/tiers/:key', async (c) => {
    const b = await parseJson(c, tierUpdateBody);
    const patch: TierPatch = {
      ...(b.title !== undefined ? { title: b.title } : {}),
      ...(b.days !== undefined ? { days: b.days } : {}),
      ...(b.price_coins !== undefined ? { priceCoins: b.price_coins } : {}),
      ...(b.role !== undefined ? { role: b.role } : {}),
      ...(b.keeps_unlocks !== undefined ? { keepsUnlocks: b.keeps_unlocks } : {}),
      ...(b.daily_downloads !== undefined ? { dailyDownloads: b.daily_downloads } : {}),
      ...(b.active !== undefined ? { active: b.active } : {}),
      ...(b.sort_order !== undefined ? { sortOrder: b.sort_order } : {}),
    };
    const result = await updateTier(db, c.req.param('key'), patch, `admin:${c.get('user').id}`);
    if (!result.ok) throw notFound('unknown_tier', 'no such VIP tier');
    return c.json({ tier: adminTierJson(result.tier) });
  });

  app.get('/members', async (c) => {
    const q = parseQuery(c, membersQuery);
    const page = await listMembers(db, {
      ...(q.tier !== undefined ? { tierKey: q.tier } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      beforeUserId: q.cursor ? Number(q.cursor) : null,
      limit: q.limit,
      now: deps.clock.now(),
    });
    return c.json({
      members: page.members.map((m) => ({
        user_id: m.userId,
        display_name: m.displayName,
        tier_key: m.tierKey,
        since: m.since.toISOString(),
        expires_at: m.expiresAt?.toISOString() ?? null,
        active: m.active,
        purchases: m.purchases,
      })),
      next_cursor: page.nextCursor,
    });
  });
  return app;
}

// /api/referrals: the user's referral code, link, terms and referrals, and binding to a referrer; the admin report.
import { Hono } from 'hono';
import { bindReferral, listReferrals, maskedName, referralSummary } from '../referrals/referrals.js';
import { requireCap } from './auth.js';
import type { AppEnv, RouteDeps } from './context.js';
import { ApiError } from './errors.js';
import { adminReferralsQuery, bindReferralBody, refereesQuery } from './schemas/referrals.js';
import { rateLimit } from './rate-limit.js';
import { parseJson, parseQuery } from './validate.js';

const REFUSALS = {
  unknown_code: [404, 'no user has this referral code'],
  self_referral: [409, 'you cannot refer yourself'],
  already_bound: [409, 'you are already referred by someone else'],
  referral_loop: [409, 'this referral would make a loop'],
  not_eligible: [409, 'only users without a completed recharge can be referred'],
} as const;

type Listed = Awaited<ReturnType<typeof listReferrals>>['rows'][number];
const refereeJson = (r: Listed, name: string) => ({
  name,
  bound_at: r.boundAt.toISOString(),
  outcome: r.outcome,
  reward_coins: r.paidCoins,
  decided_at: r.decidedAt?.toISOString() ?? null,
});

export function referralRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();

  app.get('/referrals', async (c) => {
    const [s, { referrals: terms }] = await Promise.all([referralSummary(deps.db, c.get('user').id), deps.catalog.current()]);
    return c.json({
      code: s.code,
      link: `${deps.config.wpHome}/?ref=${encodeURIComponent(s.code)}`,
      referred_count: s.referredCount,
      earned_coins: s.earnedCoins,
      referred_by: s.referredBy ? { user_id: s.referredBy.userId, name: s.referredBy.name } : null,
      terms: {
        reward_coins: terms.rewardCoins,
        min_recharge_coins: terms.minRechargeCoins,
        max_rewards_per_period: terms.maxRewardsPerPeriod,
        period_days: terms.periodDays,
      },
    });
  });

  app.get('/referrals/referees', async (c) => {
    const q = parseQuery(c, refereesQuery);
    const page = await listReferrals(deps.db, {
      referrerId: c.get('user').id,
      ...(q.cursor !== undefined ? { beforeRefereeId: Number(q.cursor) } : {}),
      limit: q.limit,
    });
    return c.json({ referees: page.rows.map((r) => refereeJson(r, maskedName(r.refereeName))), next_cursor: page.nextCursor });
  });

  // Counted before the code is looked up, so the limit also bounds guessing codes.
  app.post('/referrals/bind', rateLimit(deps, 'referralBind'), async (c) => {
    const body = await parseJson(c, bindReferralBody);
    const { referrals } = await deps.catalog.current();
    const result = await bindReferral(deps.db, { refereeUserId: c.get('user').id, code: body.code, terms: referrals });
    if (!result.ok) {
      const [status, message] = REFUSALS[result.code];
      throw new ApiError(status, result.code, message);
    }
    return c.json({ bound: true, referrer_id: result.referrerId });
  });

  return app;
}

export function adminReferralRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requireCap('manage_options'));
  app.get('/', async (c) => {
    const q = parseQuery(c, adminReferralsQuery);
    const page = await listReferrals(deps.db, {
      ...(q.referrer_id !== undefined ? { referrerId: Number(q.referrer_id) } : {}),
      ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
      ...(q.cursor !== undefined ? { beforeRefereeId: Number(q.cursor) } : {}),
      limit: q.limit,
    });
    return c.json({
      referrals: page.rows.map((r) => ({ ...refereeJson(r, r.refereeName), referee_id: r.refereeUserId, referrer_id: r.referrerUserId, referrer_name: r.referrerName })),
      next_cursor: page.nextCursor,
    });
  });
  return app;
}

// /api/referrals: the user's referral code and link, their referrals' totals, and binding to a referrer.
import { Hono } from 'hono';
import { bindReferral, referralSummary } from '../referrals/referrals.js';
import type { AppEnv, RouteDeps } from './context.js';
import { ApiError } from './errors.js';
import { bindReferralBody } from './schemas/referrals.js';
import { rateLimit } from './rate-limit.js';
import { parseJson } from './validate.js';

const REFUSALS = {
  unknown_code: [404, 'no user has this referral code'],
  self_referral: [409, 'you cannot refer yourself'],
  already_bound: [409, 'you are already referred by someone else'],
  referral_loop: [409, 'this referral would make a loop'],
  not_eligible: [409, 'only users without a completed recharge can be referred'],
} as const;

export function referralRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();

  app.get('/referrals', async (c) => {
    const s = await referralSummary(deps.db, c.get('user').id);
    return c.json({
      code: s.code,
      link: `${deps.config.wpHome}/?ref=${encodeURIComponent(s.code)}`,
      referred_count: s.referredCount,
      earned_coins: s.earnedCoins,
      referred_by: s.referredBy ? { user_id: s.referredBy.userId, name: s.referredBy.name } : null,
    });
  });

  // Counted before the code is looked up, so the limit also bounds guessing codes.
  app.post('/referrals/bind', rateLimit(deps, 'referralBind'), async (c) => {
    const body = await parseJson(c, bindReferralBody);
    const { referrals } = await deps.catalog.current();
    const result = await bindReferral(deps.db, {
      refereeUserId: c.get('user').id,
      code: body.code,
      terms: referrals,
    });
    if (!result.ok) {
      const [status, message] = REFUSALS[result.code];
      throw new ApiError(status, result.code, message);
    }
    return c.json({ bound: true, referrer_id: result.referrerId });
  });

  return app;
}

// /api/referrals: the user's referral code and link, their referrals' totals, and binding to a referrer.
import { Hono } from 'hono';
import { z } from 'zod';
import { bindReferral, referralSummary } from '../referrals/referrals.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError } from './errors.js';
import { openapiHelpers } from './openapi.js';
import { parseJson } from './validate.js';

const bindBody = z.object({ code: z.string().trim().min(1).max(32) });

const REFUSALS = {
  unknown_code: [404, 'no user has this referral code'],
  self_referral: [409, 'you cannot refer yourself'],
  already_bound: [409, 'you are already referred by someone else'],
  referral_loop: [409, 'this referral would make a loop'],
  not_eligible: [409, 'only users without a completed recharge can be referred'],
} as const;

export function referralRoutes(deps: AppDeps) {
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

  app.post('/referrals/bind', async (c) => {
    const body = await parseJson(c, bindBody);
    const result = await bindReferral(deps.db, {
      refereeUserId: c.get('user').id,
      code: body.code,
      rewardCoins: deps.config.spending.referralRewardCoins,
      minRechargeCoins: deps.config.spending.referralMinRechargeCoins,
    });
    if (!result.ok) {
      const [status, message] = REFUSALS[result.code];
      throw new ApiError(status, result.code, message);
    }
    return c.json({ bound: true, referrer_id: result.referrerId });
  });

  return app;
}

const { err, ok } = openapiHelpers;
export const referralsOpenapiPaths = {
  '/api/referrals': {
    get: {
      summary: "The user's referral code and link, how many they referred, coins earned, and who referred them",
      responses: { 200: ok('{code, link, referred_count, earned_coins, referred_by: {user_id, name} | null}') },
    },
  },
  '/api/referrals/bind': {
    post: {
      summary: "Bind the user to a referrer's code, once; the referrer earns coins on the user's first completed recharge",
      requestBody: {
        content: { 'application/json': { schema: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } } } },
      },
      responses: {
        200: ok('{bound: true, referrer_id}'),
        404: err('unknown_code'),
        409: err('self_referral | already_bound | referral_loop | not_eligible'),
      },
    },
  },
};

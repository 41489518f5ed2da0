// /api/referrals: the user's referral code and totals, and binding to a referrer.
import { z } from 'zod';
import { coins, fails, ok, type RouteSpec } from './common.js';

export const bindReferralBody = z.object({ code: z.string().trim().min(1).max(32) });
export const referralSummary = z.object({
  code: z.string(),
  link: z.string(),
  referred_count: z.number().int(),
  earned_coins: coins,
  referred_by: z.object({ user_id: z.number().int(), name: z.string() }).nullable(),
});
export const bound = z.object({ bound: z.literal(true), referrer_id: z.number().int() });

export const referralRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/referrals',
    summary: "The user's referral code and link, how many they referred, coins earned, and who referred them",
    auth: 'user',
    responses: { 200: ok('The summary', referralSummary) },
  },
  {
    method: 'post',
    path: '/api/referrals/bind',
    summary: "Bind the user to a referrer's code, once; the referrer earns coins on the user's first completed recharge",
    auth: 'user',
    rateLimit: true,
    body: bindReferralBody,
    responses: {
      200: ok('Bound', bound),
      404: fails('No user has this code', 'unknown_code'),
      409: fails('Refused', 'self_referral', 'already_bound', 'referral_loop', 'not_eligible'),
    },
  },
];

// /api/referrals: the user's referral code, terms and totals, their referrals with each outcome, binding to a
// referrer; /api/admin/referrals: every referral, for the owner.
import { z } from 'zod';
import { REFERRAL_OUTCOMES, REFERRAL_PAGE_MAX } from '../../referrals/referrals.js';
import { coins, cursorText, dateTime, fails, nextCursor, ok, pageQuery, type RouteSpec } from './common.js';

const outcome = z
  .enum(REFERRAL_OUTCOMES)
  .describe("rewarded, or why the referral was not counted; null while the referee's first recharge has not completed");

export const bindReferralBody = z.object({ code: z.string().trim().min(1).max(32) });
export const referralTerms = z
  .object({
    reward_coins: coins,
    min_recharge_coins: coins,
    max_rewards_per_period: z.number().int().describe('0 = no cap'),
    period_days: z.number().int(),
  })
  .describe('the terms a referral bound now is made under');
export const referralSummary = z.object({
  code: z.string(),
  link: z.string(),
  referred_count: z.number().int(),
  earned_coins: coins,
  referred_by: z.object({ user_id: z.number().int(), name: z.string() }).nullable(),
  terms: referralTerms,
});
export const bound = z.object({ bound: z.literal(true), referrer_id: z.number().int() });

export const refereesQuery = pageQuery(REFERRAL_PAGE_MAX);
const referee = z.object({
  name: z.string().describe('the referee\'s first character and "***": a referrer never sees their referees\' names, logins or emails'),
  bound_at: dateTime,
  outcome: outcome.nullable(),
  reward_coins: coins.describe('coins this referral paid the referrer'),
  decided_at: dateTime.nullable(),
});
export const refereePage = z.object({ referees: z.array(referee), next_cursor: nextCursor });

export const adminReferralsQuery = pageQuery(REFERRAL_PAGE_MAX, 50).extend({
  referrer_id: cursorText.optional().describe("one referrer's referrals"),
  outcome: z.enum([...REFERRAL_OUTCOMES, 'pending']).optional(),
});
export const adminReferralPage = z.object({
  referrals: z.array(
    referee.extend({
      referee_id: z.number().int(),
      referrer_id: z.number().int(),
      name: z.string().describe("the referee's display name"),
      referrer_name: z.string(),
    }),
  ),
  next_cursor: nextCursor,
});

const badPage = fails('Bad cursor, limit or filter', 'invalid_query');

export const referralRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/referrals',
    summary: "The user's referral code and link, how many they referred, coins earned, who referred them, and the terms",
    auth: 'user',
    responses: { 200: ok('The summary', referralSummary) },
  },
  {
    method: 'get',
    path: '/api/referrals/referees',
    summary: "The users this user referred, newest first, each with its outcome (rewarded, or why it was not counted)",
    auth: 'user',
    query: refereesQuery,
    responses: { 200: ok('A page of referrals', refereePage), 400: badPage },
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
  {
    method: 'get',
    path: '/api/admin/referrals',
    summary: 'Every referral, newest referee first: referrer, referee, outcome and reward (manage_options)',
    auth: 'admin',
    query: adminReferralsQuery,
    responses: { 200: ok('A page of referrals', adminReferralPage), 400: badPage },
  },
];

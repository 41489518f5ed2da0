// GET /api/wallet and GET /api/ledger: the signed-in user's balance and coin history.
import { z } from 'zod';
import { MAX_PAGE_SIZE } from '../../ledger/history.js';
import { coins, dateTime, decimal, fails, ledgerEntry, nextCursor, ok, pageQuery, type RouteSpec } from './common.js';

export const ledgerQuery = pageQuery(MAX_PAGE_SIZE);

export const wallet = z.object({
  balance: coins,
  /** What the last completed recharge credited (an underpaid one may have been credited in proportion). */
  last_recharge: z
    .object({
      id: z.number().int(),
      coins,
      bonus_coins: coins,
      price_amount: decimal,
      price_currency: z.string(),
      payment_method: z.enum(['USDT', 'CoinPayment']),
      completed_at: dateTime.nullable(),
    })
    .nullable(),
  recent: z.array(ledgerEntry),
  unread_notifications: z.number().int().describe('in-site notifications not read yet'),
  vip: z
    .object({ tier_key: z.string(), tier: z.string().describe("the tier's title (its key when the tier is gone)"), expires_at: dateTime.nullable().describe('null = lifetime') })
    .nullable()
    .describe('the running VIP membership, null when none'),
});
export const ledgerPage = z.object({ entries: z.array(ledgerEntry), next_cursor: nextCursor });

export const walletRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/wallet',
    summary: 'Balance, last completed recharge and recent ledger entries',
    auth: 'user',
    responses: { 200: ok('The wallet', wallet) },
  },
  {
    method: 'get',
    path: '/api/ledger',
    summary: "The user's coin history, newest first",
    auth: 'user',
    query: ledgerQuery,
    responses: { 200: ok('A page of entries', ledgerPage), 400: fails('Bad cursor or limit', 'invalid_query') },
  },
];

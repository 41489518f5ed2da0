// /api/admin/* (manage_options): payments and their resolution, ledger search, stats, adjustments, the books check.
import { z } from 'zod';
import { ADMIN_PAGE_MAX, STATS_MAX_DAYS } from '../../admin/reports.js';
import { BOOKS_PAGE_MAX } from '../../admin/books.js';
import { MAX_COINS_PER_MOVEMENT } from '../../ledger/ledger.js';
import { coins, dateTime, decimal, fails, idParams, idText, ledgerEntry, nextCursor, ok, type RouteSpec } from './common.js';

const idNumber = idText.transform(Number);
const adminPage = {
  cursor: idNumber.optional(),
  limit: z.coerce.number().int().min(1).max(ADMIN_PAGE_MAX).default(50),
};
const ledgerKind = z.enum(['recharge', 'bonus', 'unlock', 'author_share', 'reward', 'referral', 'adjustment']);

export const paymentsQuery = z.object({
  ...adminPage,
  status: z.enum(['pending', 'completed', 'failed']).optional(),
  user_id: idNumber.optional(),
  stuck: z.enum(['0', '1']).optional(),
  on_hold: z.enum(['0', '1']).optional(),
});
export const adminLedgerQuery = z.object({
  ...adminPage,
  user_id: idNumber.optional(),
  kind: ledgerKind.optional(),
  ref: z.string().min(1).max(191).optional(),
});
export const statsQuery = z.object({ days: z.coerce.number().int().min(1).max(STATS_MAX_DAYS).default(30) });
export const booksQuery = z.object({
  cursor: idNumber.optional().describe('next_cursor of the previous page: the last user id checked'),
  limit: z.coerce.number().int().min(1).max(BOOKS_PAGE_MAX).default(100),
});
export const adjustmentBody = z.object({
  user_id: z.number().int().positive().safe(),
  delta_coins: z
    .number()
    .int()
    .min(-MAX_COINS_PER_MOVEMENT)
    .max(MAX_COINS_PER_MOVEMENT)
    .refine((n) => n !== 0, 'must not be zero'),
  reason: z.string().trim().min(3).max(255),
});
export const resolveBody = z
  .object({
    action: z.enum(['credit_received', 'credit_full', 'reject']),
    reason: z.string().trim().min(3).max(255).describe('Stored with the audit row'),
  })
  .strict();

/** The whole recharge row as the admin views see it, with the buyer's WordPress login and email. */
export const adminPayment = z.object({
  id: z.number().int(),
  user_id: z.number().int(),
  user_login: z.string().nullable(),
  user_email: z.string().nullable(),
  status: z.enum(['pending', 'completed', 'failed']),
  coins,
  bonus_coins: coins,
  bonus_tiers: z.string().nullable().describe('The bonus tiers frozen at the quote (min_coins:percent,…); null before they were stored'),
  payment_method: z.enum(['USDT', 'CoinPayment']),
  price_amount: decimal,
  price_currency: z.string(),
  amount_usd: decimal.nullable(),
  provider: z.string(),
  /** The account the payment was opened on (legacy merchant id, or client id@instance); null before migration 010. */
  provider_account: z.string().nullable(),
  txn_id: z.string().nullable(),
  /** Our invoice id on the new platform (`<prefix>-<recharge id>`). */
  provider_reference: z.string().nullable(),
  crypto_currency: z.string().nullable(),
  crypto_amount: decimal.nullable(),
  address: z.string().nullable(),
  dest_tag: z.string().nullable(),
  confirms_needed: z.number().int().nullable(),
  checkout_url: z.string().nullable(),
  status_url: z.string().nullable(),
  expires_at: dateTime.nullable(),
  provider_status: z.number().int().nullable(),
  provider_status_text: z.string().nullable(),
  received_amount: decimal.nullable(),
  coins_credited: coins,
  bonus_credited: coins,
  hold_reason: z.enum(['underpaid', 'late_payment']).nullable(),
  failed_reason: z.string().nullable(),
  failed_at: dateTime.nullable(),
  created_at: dateTime,
  updated_at: dateTime,
  completed_at: dateTime.nullable(),
  idempotency_key: z.string().nullable(),
  buyer_email: z.string().nullable(),
  qrcode_url: z.string().nullable(),
  next_reconcile_at: dateTime.nullable(),
  reconcile_attempts: z.number().int(),
  locale: z.string().nullable(),
});
export const paymentList = z.object({ payments: z.array(adminPayment), next_cursor: nextCursor });

const fullLedgerEntry = ledgerEntry.extend({ user_id: z.number().int(), idempotency_ref: z.string(), actor: z.string() });
export const adminLedgerPage = z.object({
  entries: z.array(fullLedgerEntry.extend({ user_login: z.string().nullable() })),
  next_cursor: nextCursor,
});

export const paymentDetail = z.object({
  payment: adminPayment,
  ipn_log: z.array(
    z.object({
      id: z.number().int(),
      received_at: dateTime,
      ipn_id: z.string().nullable(),
      ipn_type: z.string().nullable(),
      ipn_status: z.number().int().nullable(),
      verdict: z.enum(['processed', 'duplicate', 'rejected', 'error']),
      reason: z.string(),
      content_type: z.string().nullable(),
      user_agent: z.string().nullable(),
      remote_addr: z.string().nullable(),
    }),
  ),
  ledger: z.array(fullLedgerEntry),
  resolution: z
    .object({
      id: z.number().int(),
      recharge_id: z.number().int(),
      action: z.enum(['credit_received', 'credit_full', 'reject']),
      hold_reason: z.string(),
      actor: z.string(),
      reason: z.string(),
      coins_credited: coins,
      bonus_credited: coins,
      created_at: dateTime,
    })
    .nullable(),
});

export const stats = z.object({
  currency: z.string(),
  days: z.array(
    z.object({
      date: z.iso.date(),
      revenue: decimal,
      recharges: z.number().int(),
      coins_issued: coins,
      coins_spent: coins,
      membership_coins: coins.describe('coins spent on VIP memberships, part of coins_spent'),
      memberships_sold: z.number().int(),
    }),
  ),
  totals: z.object({
    revenue: decimal,
    coins_issued: coins,
    coins_spent: coins,
    membership_coins: coins,
    memberships_sold: z.number().int(),
    wallets: z.number().int(),
    coins_outstanding: coins,
    pending_payments: z.number().int(),
  }),
});
export const adjusted = z.object({ entry: ledgerEntry, balance: coins });
export const books = z.object({
  ok: z.boolean().describe('true when no problem was found among the users checked'),
  users_checked: z.number().int(),
  problems: z.array(z.string()),
  next_cursor: nextCursor.describe('null once the last wallet was checked'),
});

export const doctorReport = z.object({
  ok: z.boolean().describe('true when every check passed'),
  checks: z.array(
    z.object({
      id: z.enum(['database', 'grants', 'migrations', 'jwt', 'cors', 'payments', 'webhook', 'smtp']),
      ok: z.boolean(),
      detail: z.string().describe('What was found, in one line'),
      fix: z.string().optional().describe('What to change, in one line; present when ok is false'),
    }),
  ),
});

const badQuery = fails('Bad filter or page', 'invalid_query');
const paymentId = idParams('id');
const noPayment = fails('No such payment', 'payment_not_found');

export const adminRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/admin/payments',
    summary: 'Payments with filters, newest first (manage_options)',
    auth: 'admin',
    query: paymentsQuery,
    responses: { 200: ok('A page of payments', paymentList), 400: badQuery },
  },
  {
    method: 'get',
    path: '/api/admin/payments/:id',
    summary: 'One payment with its IPN log (never the HMAC or raw body), ledger entries and resolution (manage_options)',
    auth: 'admin',
    params: paymentId,
    responses: { 200: ok('The payment', paymentDetail), 400: fails('Bad payment id', 'invalid_id'), 404: noPayment },
  },
  {
    method: 'post',
    path: '/api/admin/payments/:id/resolve',
    summary:
      'Resolve a held payment (underpaid or late): credit what arrived (proportional rule), credit the full quote, or reject it (manage_options)',
    auth: 'admin',
    idempotency: 'required',
    params: paymentId,
    body: resolveBody,
    responses: {
      200: ok('The resolved payment', paymentDetail),
      400: fails('Bad payment id', 'invalid_id'),
      404: noPayment,
      409: fails('Not held (or already resolved or completed), or nothing arrived to credit', 'not_on_hold', 'nothing_received'),
    },
  },
  {
    method: 'get',
    path: '/api/admin/ledger',
    summary: 'Ledger search by user, kind or reference (manage_options)',
    auth: 'admin',
    query: adminLedgerQuery,
    responses: { 200: ok('A page of entries', adminLedgerPage), 400: badQuery },
  },
  {
    method: 'get',
    path: '/api/admin/stats',
    summary: 'Daily revenue and coins issued/spent (manage_options)',
    auth: 'admin',
    query: statsQuery,
    responses: { 200: ok('The stats', stats), 400: badQuery },
  },
  {
    method: 'post',
    path: '/api/admin/adjustments',
    summary: 'Manual coin adjustment with a reason (manage_options)',
    auth: 'admin',
    idempotency: 'required',
    body: adjustmentBody,
    responses: {
      201: ok('The ledger entry and the new balance', adjusted),
      402: fails('Would make the balance negative', 'insufficient_coins'),
      404: fails('No such WordPress user', 'user_not_found'),
    },
  },
  {
    method: 'get',
    path: '/api/admin/books',
    summary:
      'Check the books for a page of wallets, in user id order: the ledger sums to the balance, no balance below zero, each balance_after follows from the entry before (manage_options)',
    auth: 'admin',
    query: booksQuery,
    responses: { 200: ok('What the check found (at most 100 problems per kind)', books), 400: badQuery },
  },
  {
    method: 'post',
    path: '/api/admin/doctor',
    summary:
      "Check this sidecar's configuration in one pass (manage_options): database and grants, migrations, the JWT round trip (this call's token), CORS for the site, the payment provider's keys, the IPN/webhook URL, SMTP. Sends one unsigned probe to the IPN/webhook URL, logged as rejected",
    auth: 'admin',
    responses: { 200: ok('Each check with what it found and, for a problem, its fix', doctorReport) },
  },
];

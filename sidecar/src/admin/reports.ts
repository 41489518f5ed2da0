// Read-only views for site owners: payments, ledger search and daily stats (all bounded and paged).
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';
import type { LedgerKind } from '../db/tables/coin-ledger.js';
import type { RechargeStatus } from '../db/tables/recharge-transactions.js';
import { bonusLedgerRef, rechargeLedgerRef } from '../payments/transition.js';
import { keysetPage } from '../db/paging.js';

export const ADMIN_PAGE_MAX = 100;
export const STATS_MAX_DAYS = 366;
/** A pending payment older than this is shown in the stuck queue (CoinPayments' usual timeout is 90 min). */
export const STUCK_AFTER_MS = 2 * 60 * 60 * 1000;

export interface PaymentFilter {
  status?: RechargeStatus;
  userId?: number;
  stuck?: boolean;
  /** Only payments waiting for a person (underpaid or late), whatever their status. */
  onHold?: boolean;
  beforeId?: number;
  limit: number;
  now: Date;
}

export async function listPayments(db: DbOrTx, f: PaymentFilter) {
  let q = db
    .selectFrom('recharge_transactions as r')
    .leftJoin('users as u', 'u.ID', 'r.user_id')
    .selectAll('r')
    .select(['u.user_login', 'u.user_email']);
  if (f.status) q = q.where('r.status', '=', f.status);
  if (f.userId) q = q.where('r.user_id', '=', f.userId);
  if (f.stuck) {
    q = q.where('r.status', '=', 'pending').where('r.created_at', '<', new Date(f.now.getTime() - STUCK_AFTER_MS));
  }
  if (f.onHold) q = q.where('r.hold_reason', 'is not', null);
  if (f.beforeId) q = q.where('r.id', '<', f.beforeId);
  const { page, nextCursor } = keysetPage(await q.orderBy('r.id', 'desc').limit(f.limit + 1).execute(), f.limit);
  return { rows: page, nextCursor };
}

/** A payment's IPNs shown in its detail view, newest first; a retry storm is summarised by the list view. */
export const DETAIL_IPN_MAX = 100;

/**
 * One payment for the admin view: its row, every IPN naming its transaction (verdict and reason; never
 * the HMAC header or the raw body), its credits in the ledger, and the resolution of its hold if any.
 */
export async function paymentDetail(db: DbOrTx, id: number) {
  const payment = await db
    .selectFrom('recharge_transactions as r')
    .leftJoin('users as u', 'u.ID', 'r.user_id')
    .selectAll('r')
    .select(['u.user_login', 'u.user_email'])
    .where('r.id', '=', id)
    .executeTakeFirst();
  if (!payment) return null;
  const txnId = payment.txn_id;
  const [ipnLog, ledger, resolution] = await Promise.all([
    txnId === null
      ? []
      : db
          .selectFrom('ipn_log')
          .select(['id', 'received_at', 'ipn_id', 'ipn_type', 'ipn_status', 'verdict', 'reason', 'content_type', 'user_agent', 'remote_addr'])
          .where('txn_id', '=', txnId)
          .orderBy('id', 'desc')
          .limit(DETAIL_IPN_MAX)
          .execute(),
    txnId === null
      ? []
      : db
          .selectFrom('coin_ledger')
          .selectAll()
          .where('idempotency_ref', 'in', [rechargeLedgerRef(payment.provider, txnId), bonusLedgerRef(payment.provider, txnId)])
          .orderBy('id')
          .execute(),
    db.selectFrom('payment_resolutions').selectAll().where('recharge_id', '=', id).executeTakeFirst(),
  ]);
  return { payment, ipn_log: ipnLog, ledger, resolution: resolution ?? null };
}

export interface LedgerFilter {
  userId?: number;
  kind?: LedgerKind;
  ref?: string;
  beforeId?: number;
  limit: number;
}

export async function searchLedger(db: DbOrTx, f: LedgerFilter) {
  let q = db
    .selectFrom('coin_ledger as l')
    .leftJoin('users as u', 'u.ID', 'l.user_id')
    .selectAll('l')
    .select(['u.user_login']);
  if (f.userId) q = q.where('l.user_id', '=', f.userId);
  if (f.kind) q = q.where('l.kind', '=', f.kind);
  if (f.ref) q = q.where((eb) => eb.or([eb('l.ref_id', '=', f.ref!), eb('l.idempotency_ref', '=', f.ref!)]));
  if (f.beforeId) q = q.where('l.id', '<', f.beforeId);
  const { page, nextCursor } = keysetPage(await q.orderBy('l.id', 'desc').limit(f.limit + 1).execute(), f.limit);
  return { rows: page, nextCursor };
}

export interface DayStats {
  date: string;
  revenue: string;
  recharges: number;
  coins_issued: number;
  coins_spent: number;
  /** Coins spent on VIP memberships (part of coins_spent). */
  membership_coins: number;
  memberships_sold: number;
}

const SPENDING_KINDS = ['unlock', 'reward', 'vip'] as const;

/** Per-day revenue (exact decimals summed by the database) and coins issued/spent, oldest day first. */
export async function dailyStats(db: DbOrTx, days: number, now: Date) {
  const span = Math.min(Math.max(days, 1), STATS_MAX_DAYS);
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (span - 1)));
  const revenue = await sql<{ day: string; revenue: string; recharges: number }>`
    SELECT DATE_FORMAT(completed_at, '%Y-%m-%d') AS day,
           -- An underpaid recharge credited in proportion earned only that share of its price.
           CAST(SUM(ROUND(price_amount * coins_credited / coins, 2)) AS CHAR) AS revenue,
           COUNT(*) AS recharges
    FROM ${sql.table('recharge_transactions')}
    WHERE status = 'completed' AND completed_at >= ${start}
    GROUP BY day`.execute(db);
  const coins = await sql<{ day: string; issued: string | number; spent: string | number; vip: string | number; vip_sold: string | number }>`
    SELECT DATE_FORMAT(created_at, '%Y-%m-%d') AS day,
           SUM(CASE WHEN delta_coins > 0 THEN delta_coins ELSE 0 END) AS issued,
           SUM(CASE WHEN delta_coins < 0 AND kind IN (${sql.join([...SPENDING_KINDS])}) THEN -delta_coins ELSE 0 END) AS spent,
           SUM(CASE WHEN kind = 'vip' THEN -delta_coins ELSE 0 END) AS vip,
           SUM(CASE WHEN kind = 'vip' THEN 1 ELSE 0 END) AS vip_sold
    FROM ${sql.table('coin_ledger')}
    WHERE created_at >= ${start}
    GROUP BY day`.execute(db);
  const byDay = new Map<string, DayStats>();
  for (let i = 0; i < span; i++) {
    const d = new Date(start.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    byDay.set(d, { date: d, revenue: '0.00', recharges: 0, coins_issued: 0, coins_spent: 0, membership_coins: 0, memberships_sold: 0 });
  }
  for (const r of revenue.rows) {
    const d = byDay.get(r.day);
    if (d) Object.assign(d, { revenue: r.revenue, recharges: Number(r.recharges) });
  }
  for (const r of coins.rows) {
    const d = byDay.get(r.day);
    if (d) {
      Object.assign(d, { coins_issued: Number(r.issued), coins_spent: Number(r.spent), membership_coins: Number(r.vip), memberships_sold: Number(r.vip_sold) });
    }
  }
  const totals = await sql<{ wallets: number; outstanding: string | number | null; pending: number }>`
    SELECT (SELECT COUNT(*) FROM ${sql.table('user_wallet')}) AS wallets,
           (SELECT SUM(total_coins) FROM ${sql.table('user_wallet')}) AS outstanding,
           (SELECT COUNT(*) FROM ${sql.table('recharge_transactions')} WHERE status = 'pending') AS pending`.execute(db);
  const t = totals.rows[0]!;
  const list = [...byDay.values()];
  return {
    days: list,
    totals: {
      revenue: sumDecimals(list.map((d) => d.revenue)),
      coins_issued: list.reduce((a, d) => a + d.coins_issued, 0),
      coins_spent: list.reduce((a, d) => a + d.coins_spent, 0),
      membership_coins: list.reduce((a, d) => a + d.membership_coins, 0),
      memberships_sold: list.reduce((a, d) => a + d.memberships_sold, 0),
      wallets: Number(t.wallets),
      coins_outstanding: Number(t.outstanding ?? 0),
      pending_payments: Number(t.pending),
    },
  };
}

/** Adds 2-decimal amounts exactly, in integer cents. */
export function sumDecimals(values: string[]): string {
  let cents = 0n;
  for (const v of values) {
    const [whole = '0', frac = ''] = v.split('.');
    cents += BigInt(whole) * 100n + BigInt((frac + '00').slice(0, 2));
  }
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

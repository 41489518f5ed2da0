// Checks the money invariants: per user, ledger deltas sum to the balance; balances never negative;
// each entry's balance_after follows from the one before.
import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';

export interface InvariantReport {
  ok: boolean;
  usersChecked: number;
  problems: string[];
}

const MAX_PROBLEMS = 100;

export async function checkInvariants(db: DbOrTx, userIds?: number[]): Promise<InvariantReport> {
  const problems: string[] = [];
  const scope = userIds && userIds.length > 0 ? userIds : undefined;

  const mismatches = await sql<{ user_id: number; balance: number; ledger_sum: number }>`
    SELECT w.user_id, w.total_coins AS balance, COALESCE(SUM(l.delta_coins), 0) AS ledger_sum
    FROM ${sql.table('user_wallet')} w
    LEFT JOIN ${sql.table('coin_ledger')} l ON l.user_id = w.user_id
    ${scope ? sql`WHERE w.user_id IN (${sql.join(scope)})` : sql``}
    GROUP BY w.user_id, w.total_coins
    HAVING balance <> ledger_sum OR balance < 0
    LIMIT ${MAX_PROBLEMS}`.execute(db);
  for (const r of mismatches.rows) {
    problems.push(`user ${r.user_id}: balance ${r.balance} but ledger sums to ${Number(r.ledger_sum)}`);
  }

  const orphans = await sql<{ user_id: number }>`
    SELECT DISTINCT l.user_id FROM ${sql.table('coin_ledger')} l
    LEFT JOIN ${sql.table('user_wallet')} w ON w.user_id = l.user_id
    WHERE w.user_id IS NULL ${scope ? sql`AND l.user_id IN (${sql.join(scope)})` : sql``}
    LIMIT ${MAX_PROBLEMS}`.execute(db);
  for (const r of orphans.rows) problems.push(`user ${r.user_id}: ledger rows without a wallet`);

  // balance_after chain: each entry equals the previous entry's balance_after plus its delta.
  const breaks = await sql<{ id: number; user_id: number }>`
    SELECT cur.id, cur.user_id FROM ${sql.table('coin_ledger')} cur
    LEFT JOIN ${sql.table('coin_ledger')} prev ON prev.id = (
      SELECT MAX(p.id) FROM ${sql.table('coin_ledger')} p WHERE p.user_id = cur.user_id AND p.id < cur.id)
    WHERE cur.balance_after <> COALESCE(prev.balance_after, 0) + cur.delta_coins
       OR cur.balance_after < 0
    ${scope ? sql`AND cur.user_id IN (${sql.join(scope)})` : sql``}
    LIMIT ${MAX_PROBLEMS}`.execute(db);
  for (const r of breaks.rows) problems.push(`user ${r.user_id}: ledger entry ${r.id} breaks the balance chain`);

  const counted = await sql<{ n: number }>`
    SELECT COUNT(*) AS n FROM ${sql.table('user_wallet')}
    ${scope ? sql`WHERE user_id IN (${sql.join(scope)})` : sql``}`.execute(db);
  return { ok: problems.length === 0, usersChecked: Number(counted.rows[0]?.n ?? 0), problems };
}

// Reading a user's wallet: balance, last recharge and ledger pages (newest first, keyset cursor).
import { compiledOnce } from '../db/compiled.js';
import type { DbOrTx } from '../db/database.js';
import type { LedgerEntry } from '../db/tables/coin-ledger.js';
import { keysetPage } from '../db/paging.js';

export const MAX_PAGE_SIZE = 100;

export interface LedgerPage {
  entries: LedgerEntry[];
  nextCursor: string | null;
}

const latestEntries = compiledOnce((db, v: { userId: number; rows: number }) =>
  db.selectFrom('coin_ledger').selectAll().where('user_id', '=', v.userId).orderBy('id', 'desc').limit(v.rows),
);
const entriesBefore = compiledOnce((db, v: { userId: number; beforeId: number; rows: number }) =>
  db.selectFrom('coin_ledger').selectAll().where('user_id', '=', v.userId).where('id', '<', v.beforeId).orderBy('id', 'desc').limit(v.rows),
);

export async function ledgerPage(db: DbOrTx, userId: number, beforeId: number | null, limit: number): Promise<LedgerPage> {
  const size = Math.min(Math.max(limit, 1), MAX_PAGE_SIZE);
  const { rows } = beforeId === null ? await latestEntries(db, { userId, rows: size + 1 }) : await entriesBefore(db, { userId, beforeId, rows: size + 1 });
  const { page, nextCursor } = keysetPage(rows, size);
  return { entries: page, nextCursor };
}

const lastCompleted = compiledOnce((db, v: { userId: number }) =>
  db
    .selectFrom('recharge_transactions')
    .select(['id', 'coins_credited', 'bonus_credited', 'price_amount', 'price_currency', 'payment_method', 'completed_at'])
    .where('user_id', '=', v.userId)
    .where('status', '=', 'completed')
    .orderBy('completed_at', 'desc')
    .limit(1),
);

export async function lastCompletedRecharge(db: DbOrTx, userId: number) {
  return (await lastCompleted(db, { userId })).rows[0];
}

// Reading a user's wallet: balance, last recharge and ledger pages (newest first, keyset cursor).
import type { DbOrTx } from '../db/database.js';
import type { LedgerEntry } from '../db/tables/coin-ledger.js';
import { keysetPage } from '../db/paging.js';

export const MAX_PAGE_SIZE = 100;

export interface LedgerPage {
  entries: LedgerEntry[];
  nextCursor: string | null;
}

export async function ledgerPage(db: DbOrTx, userId: number, beforeId: number | null, limit: number): Promise<LedgerPage> {
  const size = Math.min(Math.max(limit, 1), MAX_PAGE_SIZE);
  let q = db.selectFrom('coin_ledger').selectAll().where('user_id', '=', userId);
  if (beforeId !== null) q = q.where('id', '<', beforeId);
  const { page, nextCursor } = keysetPage(await q.orderBy('id', 'desc').limit(size + 1).execute(), size);
  return { entries: page, nextCursor };
}

export async function lastCompletedRecharge(db: DbOrTx, userId: number) {
  return db
    .selectFrom('recharge_transactions')
    .select(['id', 'coins_credited', 'bonus_credited', 'price_amount', 'price_currency', 'payment_method', 'completed_at'])
    .where('user_id', '=', userId)
    .where('status', '=', 'completed')
    .orderBy('completed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

// "Check the books": the ledger invariants for one page of wallets, so a large site is checked in bounded steps.
import type { DbOrTx } from '../db/database.js';
import { checkInvariants } from '../ledger/invariants.js';

export const BOOKS_PAGE_MAX = 1000;

export interface BooksPage {
  ok: boolean;
  usersChecked: number;
  problems: string[];
  /** The last user id checked when more wallets follow, else null. */
  nextCursor: string | null;
}

export async function checkBooksPage(db: DbOrTx, afterUserId: number | null, limit: number): Promise<BooksPage> {
  let q = db.selectFrom('user_wallet').select('user_id').orderBy('user_id').limit(limit + 1);
  if (afterUserId !== null) q = q.where('user_id', '>', afterUserId);
  const ids = (await q.execute()).map((r) => r.user_id);
  const more = ids.length > limit;
  const page = more ? ids.slice(0, limit) : ids;
  // checkInvariants reads an empty scope as "everyone": a page past the last wallet has nothing to check.
  if (page.length === 0) return { ok: true, usersChecked: 0, problems: [], nextCursor: null };
  const report = await checkInvariants(db, page);
  return { ok: report.ok, usersChecked: report.usersChecked, problems: report.problems, nextCursor: more ? String(page.at(-1)) : null };
}

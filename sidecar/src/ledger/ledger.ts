// The only code that changes coin balances: one ledger row per movement, in the balance's transaction.
import { sql, type Transaction } from 'kysely';
import { compiledOnce } from '../db/compiled.js';
import type { Db, DbOrTx } from '../db/database.js';
import { inTransaction, isDuplicateKey, RetryTransaction } from '../db/retry.js';
import type { LedgerEntry, LedgerKind } from '../db/tables/coin-ledger.js';
import type { Database } from '../db/types.js';
import { memoColumns, type Memo } from './memo.js';

export const MAX_COINS_PER_MOVEMENT = 1_000_000_000;

export interface Movement {
  userId: number;
  /** Positive for a credit, negative for a debit; never zero. */
  deltaCoins: number;
  kind: LedgerKind;
  /** Globally unique; replaying the same reference changes nothing. */
  idempotencyRef: string;
  actor: string;
  refType?: string;
  refId?: string;
  /**
   * What the movement is for: a code rendered in the reader's language, with an English text for admins. Or an
   * unlock's memo built from the post's title by the ledger statement itself (an unlock that read no post row
   * before it): the entry handed back then carries memo and memo_params null.
   */
  memo?: Memo | PostUnlockMemo;
}

/** The post_unlock memo of a post, its title cut to `chars`, read when the ledger row is written. */
export interface PostUnlockMemo {
  postTitleOf: number;
  chars: number;
}

/** The memo's three columns as SQL, and what the entry handed back can say of them without reading them back. */
function memoSql(m: Memo | PostUnlockMemo | undefined) {
  if (m && 'postTitleOf' in m) {
    return {
      // The title is read once, here; the parameters name the post, and readers take the title from the memo
      // (memo.ts rowMemoParams).
      memo: sql`(SELECT LEFT(post_title, ${m.chars}) FROM ${sql.table('posts')} WHERE ID = ${m.postTitleOf})`,
      memo_code: sql`${'post_unlock'}`,
      memo_params: sql`${JSON.stringify({ post_id: m.postTitleOf })}`,
      known: { memo: null, memo_code: 'post_unlock' as const, memo_params: null },
    };
  }
  const c = memoColumns(m);
  return { memo: sql`${c.memo}`, memo_code: sql`${c.memo_code}`, memo_params: sql`${c.memo_params}`, known: c };
}

export type MovementResult =
  | { ok: true; replayed: boolean; entry: LedgerEntry; balance: number }
  | { ok: false; code: 'insufficient_coins'; balance: number; shortfall: number }
  | { ok: false; code: 'idempotency_conflict'; entry: LedgerEntry };

function assertMovement(m: Movement): void {
  if (!Number.isSafeInteger(m.userId) || m.userId <= 0) throw new RangeError(`bad user id ${m.userId}`);
  if (!Number.isSafeInteger(m.deltaCoins) || m.deltaCoins === 0 || Math.abs(m.deltaCoins) > MAX_COINS_PER_MOVEMENT) {
    throw new RangeError(`bad coin delta ${m.deltaCoins}`);
  }
  if (m.idempotencyRef.length === 0 || m.idempotencyRef.length > 191) throw new RangeError('bad idempotency ref');
}

/**
 * Applies a movement inside the caller's open transaction, so the caller's other writes (an entitlement,
 * a payment's state) commit or roll back with it. A reference that already exists is a replay: nothing
 * changes, and the caller's transaction goes on.
 *
 * Two statements, no read-then-write: the ledger row is inserted from the wallet row read under its
 * exclusive lock (FOR UPDATE), only when the result is not negative; then the balance moves by the same
 * delta under that lock, and LAST_INSERT_ID(expr) hands the new balance back in the same round trip.
 * The unique idempotency_ref makes the first statement fail with 1062 on a replay, before anything moved.
 */
export async function applyMovementInTx(trx: Transaction<Database>, m: Movement): Promise<MovementResult> {
  assertMovement(m);
  const delta = m.deltaCoins;
  const memo = memoSql(m.memo);
  for (let pass = 1; pass <= 2; pass++) {
    let inserted;
    try {
      inserted = await sql`
        INSERT INTO ${sql.table('coin_ledger')}
          (user_id, delta_coins, balance_after, kind, ref_type, ref_id, idempotency_ref, actor, memo, memo_code, memo_params)
        SELECT user_id, ${delta}, total_coins + ${delta}, ${m.kind}, ${m.refType ?? null}, ${m.refId ?? null},
               ${m.idempotencyRef}, ${m.actor}, ${memo.memo}, ${memo.memo_code}, ${memo.memo_params}
        FROM ${sql.table('user_wallet')}
        WHERE user_id = ${m.userId} AND total_coins + ${delta} >= 0
        FOR UPDATE`.execute(trx);
    } catch (err) {
      if (isDuplicateKey(err)) return replayOf(trx, m);
      throw err;
    }
    if (inserted.numAffectedRows === 1n) {
      const moved = await sql`
        UPDATE ${sql.table('user_wallet')} SET total_coins = LAST_INSERT_ID(total_coins + ${delta})
        WHERE user_id = ${m.userId} AND total_coins + ${delta} >= 0`.execute(trx);
      if (moved.numAffectedRows !== 1n) throw new Error(`ledger: wallet ${m.userId} changed under its lock`);
      const balance = Number(moved.insertId ?? 0n);
      return {
        ok: true,
        replayed: false,
        entry: {
          id: Number(inserted.insertId),
          user_id: m.userId,
          delta_coins: delta,
          balance_after: balance,
          kind: m.kind,
          ref_type: m.refType ?? null,
          ref_id: m.refId ?? null,
          idempotency_ref: m.idempotencyRef,
          actor: m.actor,
          ...memo.known,
          created_at: new Date(),
        },
        balance,
      };
    }
    if (delta < 0) {
      const balance = await readBalance(trx, m.userId);
      return { ok: false, code: 'insufficient_coins', balance, shortfall: -delta - balance };
    }
    // A credit to a user without a wallet row yet: create it, then insert again.
    await sql`INSERT INTO ${sql.table('user_wallet')} (user_id, total_coins) VALUES (${m.userId}, 0)
              ON DUPLICATE KEY UPDATE user_id = user_id`.execute(trx);
  }
  throw new Error(`ledger: no wallet row for user ${m.userId} after creating it`);
}

async function replayOf(trx: Transaction<Database>, m: Movement): Promise<MovementResult> {
  const existing = await findByRef(trx, m.idempotencyRef);
  // Under REPEATABLE READ a twin committed after our snapshot is invisible: run the transaction again.
  if (!existing) throw new RetryTransaction(`ledger reference ${m.idempotencyRef} raced`);
  if (existing.user_id !== m.userId || existing.delta_coins !== m.deltaCoins || existing.kind !== m.kind) {
    return { ok: false, code: 'idempotency_conflict', entry: existing };
  }
  return { ok: true, replayed: true, entry: existing, balance: await readBalance(trx, m.userId) };
}

export async function findByRef(db: DbOrTx, idempotencyRef: string): Promise<LedgerEntry | undefined> {
  return db.selectFrom('coin_ledger').selectAll().where('idempotency_ref', '=', idempotencyRef).executeTakeFirst();
}

const balanceRow = compiledOnce((db, v: { userId: number }) => db.selectFrom('user_wallet').select('total_coins').where('user_id', '=', v.userId));

export async function readBalance(db: DbOrTx, userId: number): Promise<number> {
  return (await balanceRow(db, { userId }))[0]?.total_coins ?? 0;
}

/** One movement in its own retried transaction. */
export async function applyMovement(db: Db, m: Movement): Promise<MovementResult> {
  return inTransaction(db, (trx) => applyMovementInTx(trx, m));
}

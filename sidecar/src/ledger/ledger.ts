// The only code that changes coin balances: one ledger row per movement, in the balance's transaction.
import { sql, type RawBuilder, type Transaction } from 'kysely';
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

/** The ledger insert's values besides the memo. */
interface EntryValues extends Record<string, unknown> {
  userId: number;
  delta: number;
  kind: LedgerKind;
  refType: string | null;
  refId: string | null;
  ref: string;
  actor: string;
}

/**
 * The ledger row, inserted from the wallet row read under its exclusive lock, only when the result is not negative;
 * `memo` is its three memo columns' SQL.
 */
const entryInsert = <P extends EntryValues>(memo: (v: P) => RawBuilder<unknown>) =>
  compiledOnce((db, v: P) => sql`
    INSERT INTO ${sql.table('coin_ledger')}
      (user_id, delta_coins, balance_after, kind, ref_type, ref_id, idempotency_ref, actor, memo, memo_code, memo_params)
    SELECT user_id, ${v.delta}, total_coins + ${v.delta}, ${v.kind}, ${v.refType}, ${v.refId}, ${v.ref}, ${v.actor}, ${memo(v)}
    FROM ${sql.table('user_wallet')}
    WHERE user_id = ${v.userId} AND total_coins + ${v.delta} >= 0
    FOR UPDATE`);

const insertEntry = entryInsert<EntryValues & { memo: string | null; memoCode: string | null; memoParams: string | null }>(
  (v) => sql`${v.memo}, ${v.memoCode}, ${v.memoParams}`,
);
// The title is read once, here; the parameters name the post, and readers take the title from the memo (memo.ts rowMemoParams).
const insertUnlockEntry = entryInsert<EntryValues & { postId: number; chars: number; memoParams: string }>(
  (v) => sql`(SELECT LEFT(post_title, ${v.chars}) FROM ${sql.table('posts')} WHERE ID = ${v.postId}), 'post_unlock', ${v.memoParams}`,
);

/** The balance moved by the ledger row's delta under its lock; LAST_INSERT_ID(expr) hands the new balance back. */
const moveBalance = compiledOnce((db, v: { userId: number; delta: number }) => sql`
  UPDATE ${sql.table('user_wallet')} SET total_coins = LAST_INSERT_ID(total_coins + ${v.delta})
  WHERE user_id = ${v.userId} AND total_coins + ${v.delta} >= 0`);

const createWallet = compiledOnce((db, v: { userId: number }) => sql`
  INSERT INTO ${sql.table('user_wallet')} (user_id, total_coins) VALUES (${v.userId}, 0) ON DUPLICATE KEY UPDATE user_id = user_id`);

/** The ledger insert for this memo, and what the entry handed back can say of the memo without reading it back. */
function insertFor(trx: Transaction<Database>, m: Movement) {
  const values: EntryValues = {
    userId: m.userId,
    delta: m.deltaCoins,
    kind: m.kind,
    refType: m.refType ?? null,
    refId: m.refId ?? null,
    ref: m.idempotencyRef,
    actor: m.actor,
  };
  const memo = m.memo;
  if (memo && 'postTitleOf' in memo) {
    return {
      insert: () => insertUnlockEntry(trx, { ...values, postId: memo.postTitleOf, chars: memo.chars, memoParams: JSON.stringify({ post_id: memo.postTitleOf }) }),
      known: { memo: null, memo_code: 'post_unlock' as const, memo_params: null },
    };
  }
  const c = memoColumns(memo);
  return { insert: () => insertEntry(trx, { ...values, memo: c.memo, memoCode: c.memo_code, memoParams: c.memo_params }), known: c };
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
  const memo = insertFor(trx, m);
  for (let pass = 1; pass <= 2; pass++) {
    let inserted;
    try {
      inserted = await memo.insert();
    } catch (err) {
      if (isDuplicateKey(err)) return replayOf(trx, m);
      throw err;
    }
    if (inserted.numAffectedRows === 1n) {
      const moved = await moveBalance(trx, { userId: m.userId, delta });
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
    await createWallet(trx, { userId: m.userId });
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
  return (await balanceRow(db, { userId })).rows[0]?.total_coins ?? 0;
}

/** One movement in its own retried transaction. */
export async function applyMovement(db: Db, m: Movement): Promise<MovementResult> {
  return inTransaction(db, (trx) => applyMovementInTx(trx, m));
}

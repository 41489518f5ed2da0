// The only code that changes coin balances: one ledger row per movement, in the balance's transaction.
import { sql, type Transaction } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { inTransaction, isDuplicateKey, RetryTransaction } from '../db/retry.js';
import type { Database, LedgerEntry, LedgerKind } from '../db/types.js';

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
  memo?: string;
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
 * changes. Debits are a conditional UPDATE (never read-then-write), so concurrent debits cannot overdraw.
 */
export async function applyMovementInTx(trx: Transaction<Database>, m: Movement): Promise<MovementResult> {
  assertMovement(m);
  // Plain read (no gap locks): a concurrent twin that gets past it loses on the unique key below.
  const existing = await findByRef(trx, m.idempotencyRef);
  if (existing) {
    if (existing.user_id !== m.userId || existing.delta_coins !== m.deltaCoins || existing.kind !== m.kind) {
      return { ok: false, code: 'idempotency_conflict', entry: existing };
    }
    return { ok: true, replayed: true, entry: existing, balance: await readBalance(trx, m.userId) };
  }

  if (m.deltaCoins > 0) {
    await sql`INSERT INTO ${sql.table('user_wallet')} (user_id, total_coins) VALUES (${m.userId}, ${m.deltaCoins})
              ON DUPLICATE KEY UPDATE total_coins = total_coins + VALUES(total_coins)`.execute(trx);
  } else {
    const debit = -m.deltaCoins;
    const res = await trx
      .updateTable('user_wallet')
      .set({ total_coins: sql`total_coins - ${debit}` })
      .where('user_id', '=', m.userId)
      .where('total_coins', '>=', debit)
      .executeTakeFirst();
    if (res.numUpdatedRows === 0n) {
      const balance = await readBalance(trx, m.userId);
      return { ok: false, code: 'insufficient_coins', balance, shortfall: debit - balance };
    }
  }
  // We hold the row's exclusive lock, so this reads the balance our update produced.
  const row = await trx
    .selectFrom('user_wallet')
    .select('total_coins')
    .where('user_id', '=', m.userId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const entry = {
    user_id: m.userId,
    delta_coins: m.deltaCoins,
    balance_after: row.total_coins,
    kind: m.kind,
    ref_type: m.refType ?? null,
    ref_id: m.refId ?? null,
    idempotency_ref: m.idempotencyRef,
    actor: m.actor,
    memo: m.memo ?? null,
  };
  try {
    const ins = await trx.insertInto('coin_ledger').values(entry).executeTakeFirstOrThrow();
    return {
      ok: true,
      replayed: false,
      entry: { ...entry, id: Number(ins.insertId), created_at: new Date() },
      balance: row.total_coins,
    };
  } catch (err) {
    // A twin committed the same reference first: run the whole transaction again, which replays it.
    if (isDuplicateKey(err)) throw new RetryTransaction(`ledger reference ${m.idempotencyRef} raced`);
    throw err;
  }
}

export async function findByRef(db: DbOrTx, idempotencyRef: string): Promise<LedgerEntry | undefined> {
  return db.selectFrom('coin_ledger').selectAll().where('idempotency_ref', '=', idempotencyRef).executeTakeFirst();
}

export async function readBalance(db: DbOrTx, userId: number): Promise<number> {
  const row = await db.selectFrom('user_wallet').select('total_coins').where('user_id', '=', userId).executeTakeFirst();
  return row?.total_coins ?? 0;
}

/** One movement in its own retried transaction. */
export async function applyMovement(db: Db, m: Movement): Promise<MovementResult> {
  return inTransaction(db, (trx) => applyMovementInTx(trx, m));
}

// A transaction that can end in a refusal: throw Rollback(value) to undo every write and return value.
import type { Transaction } from 'kysely';
import type { Db } from './database.js';
import { inTransaction } from './retry.js';
import type { Database } from './types.js';

export class Rollback<T> extends Error {
  constructor(readonly result: T) {
    super('transaction rolled back with an expected outcome');
  }
}

/** Like inTransaction, but a thrown Rollback rolls back and becomes the return value. */
export async function inTransactionOrRollback<T>(db: Db, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  try {
    return await inTransaction(db, fn);
  } catch (err) {
    if (err instanceof Rollback) return err.result as T;
    throw err;
  }
}

// Whole-transaction retry on deadlock (1213), lock-wait timeout (1205) and MariaDB's 1020.
import type { Transaction } from 'kysely';
import type { Db } from './database.js';
import type { Database } from './types.js';

const RETRYABLE = new Set([1213, 1205, 1020]);
export const MAX_TX_ATTEMPTS = 8;
const BASE_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 250;

export function errno(err: unknown): number | undefined {
  const n = (err as { errno?: unknown } | null)?.errno;
  return typeof n === 'number' ? n : undefined;
}

/** Thrown inside a transaction to have inTransaction run the whole of it again (e.g. a lost insert race). */
export class RetryTransaction extends Error {}

export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryTransaction) return true;
  const n = errno(err);
  return n !== undefined && RETRYABLE.has(n);
}

export function isDuplicateKey(err: unknown): boolean {
  return errno(err) === 1062;
}

/** Runs fn in a transaction, rerunning the whole of it on a retryable error, with jittered backoff. */
export async function inTransaction<T>(db: Db, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      if (!isRetryable(err) || attempt >= MAX_TX_ATTEMPTS) throw err;
      const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
      await new Promise((r) => setTimeout(r, Math.random() * cap));
    }
  }
}

/** Runs one autocommit statement again on a retryable error (deadlocks between single-row upserts happen). */
export async function retryStatement<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * BASE_BACKOFF_MS * 2 ** attempt));
    }
  }
}

// Whole-transaction and single-statement retry on deadlock or Galera certification conflict (1213), lock-wait
// timeout (1205) and MariaDB's 1020, with one bounded, jittered backoff for both.
import type { Transaction } from 'kysely';
import { compilesAs } from './compiled.js';
import type { Db } from './database.js';
import type { Database } from './types.js';

const RETRYABLE = new Set([1213, 1205, 1020]);
export const MAX_TX_ATTEMPTS = 8;
/**
 * On a multi-primary cluster one row written from every node (a counter) loses certification again and
 * again while the nodes collide; backing off spreads the attempts so one of them certifies alone. With 60
 * writers of one row over 3 nodes, 3,600 hits took up to 8 attempts, the last few at 1 in 700 each: 12
 * attempts, with the backoff growing past 250 ms, leave room for a loaded machine.
 */
export const MAX_STATEMENT_ATTEMPTS = 12;
const BASE_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 1000;

/** Full jitter over an exponentially growing cap. */
function backoff(attempt: number): Promise<void> {
  const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  return new Promise((r) => setTimeout(r, Math.random() * cap));
}

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
      return await db.transaction().execute((trx) => {
        compilesAs(trx, db);
        return fn(trx);
      });
    } catch (err) {
      if (!isRetryable(err) || attempt >= MAX_TX_ATTEMPTS) throw err;
      await backoff(attempt);
    }
  }
}

/**
 * Runs one autocommit statement again on a retryable error: deadlocks between single-row upserts on one
 * server, certification conflicts between nodes of a cluster.
 */
export async function retryStatement<T>(fn: () => Promise<T>, attempts = MAX_STATEMENT_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err) || attempt >= attempts) throw err;
      await backoff(attempt);
    }
  }
}

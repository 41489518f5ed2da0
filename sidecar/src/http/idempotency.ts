// Idempotency-Key handling (after Stripe's design): the same key and request get the same answer.
import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Db } from '../db/database.js';
import { isDuplicateKey, retryStatement } from '../db/retry.js';
import { ApiError, badRequest } from './errors.js';
import type { AppEnv } from './context.js';

export const KEY_PATTERN = /^[A-Za-z0-9_\-:.]{8,128}$/;
/** A request that died mid-flight leaves its key claimed; after this long a retry may take it over. */
const STALE_CLAIM_MS = 60_000;

export function idempotencyKeyOf(header: string | undefined): string {
  if (!header) throw badRequest('idempotency_key_required', 'send an Idempotency-Key header (8-128 characters)');
  if (!KEY_PATTERN.test(header)) {
    throw badRequest('invalid_idempotency_key', 'the Idempotency-Key must be 8-128 characters of A-Z a-z 0-9 _ - : .');
  }
  return header;
}

/**
 * Claims (user, key) before the handler runs and stores the handler's 2xx answer afterwards.
 * A replay returns the stored answer; the same key with another request is refused. Money safety
 * does not rest on this table: ledger references derived from the key make a re-run a no-op.
 */
export function idempotent(deps: { db: Db; config: { requestTimeoutMs: number } }, scope: string): MiddlewareHandler<AppEnv> {
  const { db } = deps;
  // A claim older than the request deadline has no live request behind it: its request died mid-flight.
  const liveMs = deps.config.requestTimeoutMs;
  return async (c, next) => {
    const key = idempotencyKeyOf(c.req.header('idempotency-key'));
    const userId = c.get('user').id;
    const body = await c.req.text();
    const requestHash = createHash('sha256').update(`${scope}\n${c.req.method} ${c.req.path}\n${body}`).digest('hex');

    const claimed = await claim(db, userId, key, scope, requestHash);
    if (!claimed) {
      const row = await db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('user_id', '=', userId)
        .where('idem_key', '=', key)
        .executeTakeFirst();
      if (row && row.request_hash !== requestHash) {
        throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for another request');
      }
      if (row && row.status_code !== null && row.response_body !== null) {
        c.header('Idempotent-Replayed', 'true');
        return c.body(row.response_body, row.status_code as 200, { 'Content-Type': 'application/json' });
      }
      throw new ApiError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed', undefined, {
        'Retry-After': String(row ? claimRetryAfterS(row.created_at, new Date(), liveMs) : 1),
      });
    }

    await next();

    const status = c.res.status;
    if (status >= 200 && status < 300) {
      const text = await c.res.clone().text();
      await retryStatement(() =>
        db
          .updateTable('idempotency_keys')
          .set({ status_code: status, response_body: text })
          .where('user_id', '=', userId)
          .where('idem_key', '=', key)
          .execute(),
      );
    } else {
      await retryStatement(() =>
        db.deleteFrom('idempotency_keys').where('user_id', '=', userId).where('idem_key', '=', key).execute(),
      );
    }
  };
}

/**
 * When a retry may succeed: a claim young enough to belong to a live request is answered within a second or so;
 * an older one was left by a request that died (a crash, a lost database) and is free once it goes stale.
 */
export function claimRetryAfterS(claimedAt: Date, now: Date, liveMs: number): number {
  const ageMs = now.getTime() - claimedAt.getTime();
  if (ageMs < liveMs) return 1;
  return Math.max(1, Math.ceil((STALE_CLAIM_MS - ageMs) / 1000));
}

async function claim(db: Db, userId: number, key: string, scope: string, requestHash: string): Promise<boolean> {
  try {
    await retryStatement(() =>
      db.insertInto('idempotency_keys').values({ user_id: userId, idem_key: key, scope, request_hash: requestHash }).execute(),
    );
    return true;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
  }
  const staleBefore = new Date(Date.now() - STALE_CLAIM_MS);
  const taken = await db
    .updateTable('idempotency_keys')
    .set({ created_at: new Date() } as never)
    .where('user_id', '=', userId)
    .where('idem_key', '=', key)
    .where('request_hash', '=', requestHash)
    .where('status_code', 'is', null)
    .where('created_at', '<', staleBefore)
    .executeTakeFirst();
  return taken.numUpdatedRows > 0n;
}

// Unlocking a post: one transaction debits the price, records the entitlement, shares with the author, notifies.
import type { Selectable, Transaction } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { countAttempt, type WindowLimit } from '../db/rate-counters.js';
import { isDuplicateKey } from '../db/retry.js';
import type { LedgerEntry } from '../db/tables/coin-ledger.js';
import type { EntitlementsTable } from '../db/tables/entitlements.js';
import type { Database } from '../db/types.js';
import { applyMovementInTx, findByRef, readBalance } from '../ledger/ledger.js';
import { enqueueNotification } from '../notify/outbox.js';
import { readOffer } from './prices.js';
import { inTransactionOrRollback, Rollback } from './tx.js';

export type Entitlement = Selectable<EntitlementsTable>;

export interface UnlockRequest {
  userId: number;
  postId: number;
  /** Percentage of the price credited to the post's author; 0 turns sharing off. */
  authorSharePercent: number;
  locale?: string;
  /**
   * The price the buyer was shown: a higher current price (the author raised it since) charges nothing and
   * answers `price_changed`; a lower one charges the lower. Absent: the current price, whatever it is.
   */
  expectedPriceCoins?: number;
  /**
   * The per-user attempt limit, counted on its own before the unlock's transaction: its row is written by every
   * attempt on every instance, so inside the money transaction its conflicts would abort unlocks that do not
   * conflict otherwise. Absent when no limit applies.
   */
  attempts?: WindowLimit;
}

export type UnlockResult =
  | { ok: true; chargedCoins: number; balance: number; authorShareCoins: number }
  | { ok: false; code: 'post_not_for_sale' }
  | { ok: false; code: 'rate_limited'; retryAfterS: number }
  | { ok: false; code: 'price_changed'; priceCoins: number; expectedPriceCoins: number }
  | { ok: false; code: 'insufficient_coins'; balance: number; priceCoins: number; shortfall: number };

const MAX_MEMO_CHARS = 200;

export const unlockLedgerRef = (userId: number, postId: number) => `unlock:${userId}:${postId}`;
export const authorShareLedgerRef = (userId: number, postId: number) => `author_share:${userId}:${postId}`;

export async function findEntitlement(db: DbOrTx, userId: number, postId: number): Promise<Entitlement | undefined> {
  return db.selectFrom('entitlements').selectAll().where('user_id', '=', userId).where('post_id', '=', postId).executeTakeFirst();
}

/** Floor, so the author never gets more than the configured share; integer coins only. */
export function authorShareCoins(priceCoins: number, percent: number): number {
  return Math.floor((priceCoins * percent) / 100);
}

/** The transaction's answer when the user holds the post already: the balance is read after it commits. */
const ALREADY_UNLOCKED = Symbol('already unlocked');

/**
 * The entitlement row is inserted first: its (user, post) unique key is the guard (a repeat finds it taken,
 * so a first purchase pays for no extra pre-check), so concurrent unlocks of one post queue on it and all but
 * one find it taken; the debit is a conditional UPDATE, so concurrent unlocks of different posts cannot
 * together spend more than the balance. Insufficient coins roll everything back; a repeat or a post not for
 * sale writes nothing. The attempt was counted before, on its own.
 */
export async function unlockPost(db: Db, req: UnlockRequest): Promise<UnlockResult> {
  const { userId, postId, attempts } = req;
  if (attempts) {
    const counted = await countAttempt(db, attempts, userId);
    if (!counted.ok) return { ok: false, code: 'rate_limited', retryAfterS: counted.retryAfterS };
  }
  const outcome = await inTransactionOrRollback<UnlockResult | typeof ALREADY_UNLOCKED>(db, async (trx) => {
    const offer = await readOffer(trx, postId);
    if (!offer) {
      // Someone who unlocked a post keeps it after it is unpublished or its price removed.
      if (await findEntitlement(trx, userId, postId)) return ALREADY_UNLOCKED;
      return { ok: false, code: 'post_not_for_sale' };
    }
    const expected = req.expectedPriceCoins;
    if (expected !== undefined && offer.priceCoins > expected) {
      // A post already held costs nothing more, whatever its price became.
      if (await findEntitlement(trx, userId, postId)) return ALREADY_UNLOCKED;
      return { ok: false, code: 'price_changed', priceCoins: offer.priceCoins, expectedPriceCoins: expected };
    }
    const ref = unlockLedgerRef(userId, postId);
    try {
      await trx
        .insertInto('entitlements')
        .values({ user_id: userId, post_id: postId, price_coins: offer.priceCoins, source: 'unlock', ledger_ref: ref })
        .execute();
    } catch (err) {
      // A duplicate key undoes that statement alone: the user holds the post already.
      if (isDuplicateKey(err)) return ALREADY_UNLOCKED;
      throw err;
    }
    const memo = offer.title.slice(0, MAX_MEMO_CHARS);
    const debit = await applyMovementInTx(trx, {
      userId,
      deltaCoins: -offer.priceCoins,
      kind: 'unlock',
      idempotencyRef: ref,
      actor: `user:${userId}`,
      refType: 'post',
      refId: String(postId),
      memo,
    });
    if (!debit.ok) {
      // The entitlement was deleted by hand after the user paid, and the price changed since (a conflicting
      // debit, or a shortfall at the new price): the ledger row proves the purchase, so restore it for free.
      const paid = await paidUnlock(trx, userId, ref, debit.code === 'idempotency_conflict' ? debit.entry : undefined);
      if (paid) return restoreEntitlement(trx, userId, postId, paid);
      if (debit.code === 'insufficient_coins') {
        throw new Rollback<UnlockResult>({
          ok: false,
          code: 'insufficient_coins',
          balance: debit.balance,
          priceCoins: offer.priceCoins,
          shortfall: debit.shortfall,
        });
      }
      throw new Error(`unlock ledger reference ${ref} is held by another movement`);
    }
    // A replayed debit means the user paid before (the entitlement was removed since): restore, charge nothing.
    if (debit.replayed) return restoreEntitlement(trx, userId, postId, debit.entry);
    const shareCoins = await payAuthorShare(trx, req, offer, memo);
    await enqueueNotification(trx, {
      userId,
      kind: 'unlock',
      dedupeKey: ref,
      data: { post_id: postId, title: memo, post_title: memo, coins: offer.priceCoins, balance: debit.balance },
      ...(req.locale ? { locale: req.locale } : {}),
    });
    return { ok: true, chargedCoins: offer.priceCoins, balance: debit.balance, authorShareCoins: shareCoins };
  });
  if (outcome === ALREADY_UNLOCKED) return alreadyUnlocked(db, userId);
  return outcome;
}

/** Credits the post's author their share of the price (none for their own post or a 0 % share); the coins credited. */
async function payAuthorShare(trx: Transaction<Database>, req: UnlockRequest, offer: { priceCoins: number; authorId: number }, memo: string): Promise<number> {
  const { userId, postId } = req;
  if (offer.authorId <= 0 || offer.authorId === userId) return 0;
  const shareCoins = authorShareCoins(offer.priceCoins, req.authorSharePercent);
  if (shareCoins <= 0) return 0;
  const share = await applyMovementInTx(trx, {
    userId: offer.authorId,
    deltaCoins: shareCoins,
    kind: 'author_share',
    idempotencyRef: authorShareLedgerRef(userId, postId),
    actor: `user:${userId}`,
    refType: 'post',
    refId: String(postId),
    memo,
  });
  if (!share.ok) throw new Error(`author share reference for ${unlockLedgerRef(userId, postId)} is held by another movement`);
  return shareCoins;
}

/** The user's own unlock debit under this reference, when one exists: proof the post was paid for. */
async function paidUnlock(trx: DbOrTx, userId: number, ref: string, known?: LedgerEntry): Promise<LedgerEntry | undefined> {
  const entry = known ?? (await findByRef(trx, ref));
  if (!entry || entry.user_id !== userId || entry.kind !== 'unlock' || entry.delta_coins >= 0) return undefined;
  return entry;
}

/** The entitlement just inserted keeps the price originally paid; nothing is charged again. */
async function restoreEntitlement(trx: DbOrTx, userId: number, postId: number, paid: LedgerEntry): Promise<UnlockResult> {
  await trx
    .updateTable('entitlements')
    .set({ price_coins: -paid.delta_coins })
    .where('user_id', '=', userId)
    .where('post_id', '=', postId)
    .execute();
  return { ok: true, chargedCoins: 0, balance: await readBalance(trx, userId), authorShareCoins: 0 };
}

async function alreadyUnlocked(db: DbOrTx, userId: number): Promise<UnlockResult> {
  return { ok: true, chargedCoins: 0, balance: await readBalance(db, userId), authorShareCoins: 0 };
}


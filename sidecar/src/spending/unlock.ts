// Unlocking a post: one transaction debits the price, records the entitlement, shares with the author, notifies.
import type { Selectable } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { isDuplicateKey } from '../db/retry.js';
import type { EntitlementsTable } from '../db/tables/spending.js';
import { applyMovementInTx, readBalance } from '../ledger/ledger.js';
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
}

export type UnlockResult =
  | { ok: true; chargedCoins: number; balance: number; authorShareCoins: number }
  | { ok: false; code: 'post_not_for_sale' }
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

/** Thrown when a twin committed the entitlement first: the answer is "already unlocked", read afresh. */
class AlreadyUnlocked extends Error {}

/**
 * The entitlement row is inserted first: its (user, post) unique key is the guard (a repeat finds it taken
 * and rolls back, so a first purchase pays for no extra pre-check), so concurrent unlocks
 * of one post queue on it and all but one find it taken; the debit is a conditional UPDATE, so concurrent
 * unlocks of different posts cannot together spend more than the balance. A refusal rolls everything back.
 */
export async function unlockPost(db: Db, req: UnlockRequest): Promise<UnlockResult> {
  const { userId, postId } = req;
  try {
    return await inTransactionOrRollback<UnlockResult>(db, async (trx) => {
      const offer = await readOffer(trx, postId);
      if (!offer) {
        // Someone who unlocked a post keeps it after it is unpublished or its price removed.
        if (await findEntitlement(trx, userId, postId)) throw new AlreadyUnlocked();
        return { ok: false, code: 'post_not_for_sale' };
      }
      const ref = unlockLedgerRef(userId, postId);
      try {
        await trx
          .insertInto('entitlements')
          .values({ user_id: userId, post_id: postId, price_coins: offer.priceCoins, source: 'unlock', ledger_ref: ref })
          .execute();
      } catch (err) {
        if (isDuplicateKey(err)) throw new AlreadyUnlocked();
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
      const chargedCoins = debit.replayed ? 0 : offer.priceCoins;
      let shareCoins = 0;
      if (chargedCoins > 0 && offer.authorId > 0 && offer.authorId !== userId) {
        shareCoins = authorShareCoins(chargedCoins, req.authorSharePercent);
        if (shareCoins > 0) {
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
          if (!share.ok) throw new Error(`author share reference for ${ref} is held by another movement`);
        }
      }
      if (chargedCoins > 0) {
        await enqueueNotification(trx, {
          userId,
          kind: 'unlock',
          dedupeKey: ref,
          data: { post_id: postId, title: memo, post_title: memo, coins: chargedCoins, balance: debit.balance },
          ...(req.locale ? { locale: req.locale } : {}),
        });
      }
      return { ok: true, chargedCoins, balance: debit.balance, authorShareCoins: shareCoins };
    });
  } catch (err) {
    if (err instanceof AlreadyUnlocked) return alreadyUnlocked(db, userId);
    throw err;
  }
}

async function alreadyUnlocked(db: DbOrTx, userId: number): Promise<UnlockResult> {
  return { ok: true, chargedCoins: 0, balance: await readBalance(db, userId), authorShareCoins: 0 };
}


// Unlocking a post: one transaction debits the price, records the entitlement, shares with the author, notifies.
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { countAttempt, type WindowLimit } from '../db/rate-counters.js';
import { isDuplicateKey, RetryTransaction } from '../db/retry.js';
import type { LedgerEntry } from '../db/tables/coin-ledger.js';
import type { EntitlementsTable } from '../db/tables/entitlements.js';
import type { Database } from '../db/types.js';
import { applyMovementInTx, findByRef, readBalance, type PostUnlockMemo } from '../ledger/ledger.js';
import { enqueueNotification } from '../notify/outbox.js';
import { activeMember, DAY_MS, vipAccessEnd } from '../membership/membership.js';
import { insertPlainEntitlement, MAX_PRICE_COINS, quoteFor, readOffer, type Offer } from './prices.js';
import { inTransactionOrRollback, Rollback } from '../db/tx.js';

export type Entitlement = Selectable<EntitlementsTable>;

export interface UnlockRequest {
  userId: number;
  postId: number;
  /** Percentage of the price credited to the post's author; 0 turns sharing off. */
  authorSharePercent: number;
  /** Decides membership and access periods. */
  now: Date;
  locale?: string;
  /**
   * The price the buyer was shown: a higher current price (the author raised it since) charges nothing and
   * answers `price_changed`; a lower one charges the lower. Absent: the current price, whatever it is.
   */
  expectedPriceCoins?: number;
  /**
   * The per-user attempt limit, counted before the unlock's transaction and never in it: in this instance's memory by
   * default, or in the shared counter (db/rate-counters.ts), whose conflicts inside the money transaction would
   * abort unlocks that do not conflict otherwise. Absent when no limit applies.
   */
  attempts?: WindowLimit;
  /**
   * The site emails a receipt for every unlock (UNLOCK_EMAIL): a notification row and its email outbox row commit
   * with the money. Off, the receipt is the ledger row itself, shown in the inbox when read (notify/inbox.ts).
   */
  emailReceipt?: boolean;
}

export type UnlockResult =
  | { ok: true; chargedCoins: number; balance: number; authorShareCoins: number; accessUntil: Date | null }
  | { ok: false; code: 'post_not_for_sale' }
  | { ok: false; code: 'vip_required' }
  | { ok: false; code: 'rate_limited'; retryAfterS: number }
  | { ok: false; code: 'price_changed'; priceCoins: number; expectedPriceCoins: number }
  | { ok: false; code: 'insufficient_coins'; balance: number; priceCoins: number; shortfall: number };

const MAX_MEMO_CHARS = 200;

export const unlockLedgerRef = (userId: number, postId: number) => `unlock:${userId}:${postId}`;
export const authorShareLedgerRef = (userId: number, postId: number) => `author_share:${userId}:${postId}`;
/** Each paid period after the first is its own movement, named by the end of the period it follows. */
const periodSuffix = (previousEnd: Date | null) => (previousEnd === null ? '' : `:${previousEnd.getTime()}`);

export function isEntitlementActive(e: Pick<Entitlement, 'expires_at'>, now: Date): boolean {
  return e.expires_at === null || e.expires_at.getTime() > now.getTime();
}

/** The user's entitlement to the post as it stands now: an ended one (a lapsed period or membership) is none. */
export async function findEntitlement(db: DbOrTx, userId: number, postId: number, now: Date): Promise<Entitlement | undefined> {
  const e = await findEntitlementRow(db, userId, postId);
  return e && isEntitlementActive(e, now) ? e : undefined;
}

/** The row whatever its end date: history, renewals. */
export async function findEntitlementRow(db: DbOrTx, userId: number, postId: number): Promise<Entitlement | undefined> {
  return db.selectFrom('entitlements').selectAll().where('user_id', '=', userId).where('post_id', '=', postId).executeTakeFirst();
}

/** Floor, so the author never gets more than the configured share; integer coins only. */
export function authorShareCoins(priceCoins: number, percent: number): number {
  return Math.floor((priceCoins * percent) / 100);
}

/** The transaction's answer when the user holds the post already: the balance is read after it commits. */
const ALREADY_UNLOCKED = Symbol('already unlocked');

interface Terms {
  priceCoins: number;
  source: 'unlock' | 'vip';
  expiresAt: Date | null;
}

/**
 * The entitlement row is inserted first: its (user, post) unique key is the guard (a repeat finds it taken,
 * so a first purchase pays for no extra pre-check), so concurrent unlocks of one post queue on it and all but
 * one find it taken; the debit is a conditional UPDATE, so concurrent unlocks of different posts cannot
 * together spend more than the balance. An entitlement whose period ended is renewed under its row lock, with a
 * ledger reference of its own per period. Insufficient coins roll everything back; a repeat or a post not for
 * sale writes nothing. The attempt was counted before, on its own.
 */
export async function unlockPost(db: Db, req: UnlockRequest): Promise<UnlockResult> {
  const { userId, postId, attempts, now } = req;
  if (attempts) {
    const counted = await countAttempt(db, attempts, userId);
    if (!counted.ok) return { ok: false, code: 'rate_limited', retryAfterS: counted.retryAfterS };
  }
  const plain = plainPrice(req);
  const outcome = await inTransactionOrRollback<UnlockResult | typeof ALREADY_UNLOCKED>(db, async (trx) => {
    if (plain !== null) {
      const ref = unlockLedgerRef(userId, postId);
      // A first purchase at the price shown, of a post with plain terms: the price is read from postmeta by the
      // entitlement insert itself. Anything else (a repeat, another price, VIP or timed terms) inserts nothing
      // here and takes the general way below, in the same transaction.
      let inserted = false;
      try {
        inserted = await insertPlainEntitlement(trx, { userId, postId, priceCoins: plain, ledgerRef: ref, now });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
      if (inserted) {
        const terms: Terms = { priceCoins: plain, source: 'unlock', expiresAt: null };
        return chargeFirstPeriod(trx, req, terms, ref, { postTitleOf: postId, chars: MAX_MEMO_CHARS }, 0);
      }
    }
    const offer = await readOffer(trx, postId);
    const member = offer?.vip ? await activeMember(trx, userId, now) : null;
    const quote = offer ? quoteFor(offer, member !== null) : null;
    if (!offer || !quote?.ok) {
      // Someone who unlocked a post keeps it after it is unpublished, its price removed or made VIP only.
      if (await findEntitlement(trx, userId, postId, now)) return ALREADY_UNLOCKED;
      return { ok: false, code: offer ? 'vip_required' : 'post_not_for_sale' };
    }
    const terms: Terms = {
      priceCoins: quote.priceCoins,
      source: quote.source,
      expiresAt:
        quote.source === 'vip' ? vipAccessEnd(member!) : offer.accessDays === null ? null : new Date(now.getTime() + offer.accessDays * DAY_MS),
    };
    // The price this reader pays (the VIP price for a member) against the one the widget showed them.
    const expected = req.expectedPriceCoins;
    if (expected !== undefined && terms.priceCoins > expected) {
      // A post already held costs nothing more, whatever its price became.
      if (await findEntitlement(trx, userId, postId, now)) return ALREADY_UNLOCKED;
      return { ok: false, code: 'price_changed', priceCoins: terms.priceCoins, expectedPriceCoins: expected };
    }
    const ref = unlockLedgerRef(userId, postId);
    try {
      await trx
        .insertInto('entitlements')
        .values({
          user_id: userId,
          post_id: postId,
          price_coins: terms.priceCoins,
          source: terms.source,
          ledger_ref: terms.priceCoins > 0 ? ref : null,
          expires_at: terms.expiresAt,
          period_started_at: now,
        })
        .execute();
    } catch (err) {
      // A duplicate key undoes that statement alone: the user holds the post, or held it for a period now over.
      if (!isDuplicateKey(err)) throw err;
      // A shared lock, as the duplicate-key check already holds: many concurrent repeats may all read it without
      // queuing on one another; only a renewal (a period over) asks for the exclusive lock it writes under.
      const entitlementRow = trx.selectFrom('entitlements').selectAll().where('user_id', '=', userId).where('post_id', '=', postId);
      const seen = await entitlementRow.modifyEnd(sql`LOCK IN SHARE MODE`).executeTakeFirst();
      if (!seen) throw new RetryTransaction(`entitlement ${userId}:${postId} raced`);
      if (isEntitlementActive(seen, now)) return ALREADY_UNLOCKED;
      const held = await entitlementRow.forUpdate().executeTakeFirst();
      if (!held) throw new RetryTransaction(`entitlement ${userId}:${postId} raced`);
      if (isEntitlementActive(held, now)) return ALREADY_UNLOCKED;
      return renewEntitlement(trx, req, offer, terms, held);
    }
    if (terms.priceCoins === 0) return { ok: true, chargedCoins: 0, balance: await readBalance(trx, userId), authorShareCoins: 0, accessUntil: terms.expiresAt };
    return chargeFirstPeriod(trx, req, terms, ref, offer.title.slice(0, MAX_MEMO_CHARS), offer.authorId);
  });
  if (outcome === ALREADY_UNLOCKED) return alreadyUnlocked(db, userId, postId);
  return outcome;
}

/**
 * The price the entitlement insert may read and check by itself: the one the buyer was shown, when no author
 * share and no per-unlock email need the post's row first. null: the general way.
 */
function plainPrice(req: UnlockRequest): number | null {
  const p = req.expectedPriceCoins;
  if (p === undefined || !Number.isSafeInteger(p) || p <= 0 || p > MAX_PRICE_COINS) return null;
  return req.authorSharePercent > 0 || req.emailReceipt ? null : p;
}

/** The debit for a new entitlement just inserted, the author's share and the receipt; insufficient coins undo it all. */
async function chargeFirstPeriod(
  trx: Transaction<Database>,
  req: UnlockRequest,
  terms: Terms,
  ref: string,
  title: string | PostUnlockMemo,
  authorId: number,
): Promise<UnlockResult> {
  const { userId, postId } = req;
  const debit = await applyMovementInTx(trx, {
    userId,
    deltaCoins: -terms.priceCoins,
    kind: 'unlock',
    idempotencyRef: ref,
    actor: `user:${userId}`,
    refType: 'post',
    refId: String(postId),
    memo: typeof title === 'string' ? { code: 'post_unlock', params: { title, post_id: postId }, text: title } : title,
  });
  if (!debit.ok) {
    // The entitlement was deleted by hand after the user paid, and the price changed since (a conflicting
    // debit, or a shortfall at the new price): the ledger row proves the purchase, so restore it for free.
    const paid = await paidUnlock(trx, userId, ref, debit.code === 'idempotency_conflict' ? debit.entry : undefined);
    if (paid) return restoreEntitlement(trx, userId, postId, paid, terms.expiresAt);
    if (debit.code === 'insufficient_coins') {
      throw new Rollback<UnlockResult>({
        ok: false,
        code: 'insufficient_coins',
        balance: debit.balance,
        priceCoins: terms.priceCoins,
        shortfall: debit.shortfall,
      });
    }
    throw new Error(`unlock ledger reference ${ref} is held by another movement`);
  }
  // A replayed debit means the user paid before (the entitlement was removed since): restore, charge nothing.
  if (debit.replayed) return restoreEntitlement(trx, userId, postId, debit.entry, terms.expiresAt);
  // Only the general way passes a title and an author (plainPrice: no share, no email).
  const text = typeof title === 'string' ? title : '';
  const shareCoins = await payAuthorShare(trx, req, { authorId }, terms.priceCoins, text, '');
  if (req.emailReceipt) await notifyUnlock(trx, req, ref, text, terms.priceCoins, debit.balance);
  return { ok: true, chargedCoins: terms.priceCoins, balance: debit.balance, authorShareCoins: shareCoins, accessUntil: terms.expiresAt };
}

/** A new period of a lapsed entitlement, charged at today's terms under the period's own ledger reference. */
async function renewEntitlement(trx: Transaction<Database>, req: UnlockRequest, offer: Offer, terms: Terms, held: Entitlement): Promise<UnlockResult> {
  const { userId, postId, now } = req;
  const suffix = periodSuffix(held.expires_at);
  const ref = `${unlockLedgerRef(userId, postId)}${suffix}`;
  let balance: number;
  let charged = 0;
  let shareCoins = 0;
  if (terms.priceCoins > 0) {
    const title = offer.title.slice(0, MAX_MEMO_CHARS);
    const debit = await applyMovementInTx(trx, {
      userId,
      deltaCoins: -terms.priceCoins,
      kind: 'unlock',
      idempotencyRef: ref,
      actor: `user:${userId}`,
      refType: 'post',
      refId: String(postId),
      memo: { code: 'post_unlock', params: { title, post_id: postId }, text: title },
    });
    if (!debit.ok) {
      if (debit.code === 'insufficient_coins') {
        throw new Rollback<UnlockResult>({ ok: false, code: 'insufficient_coins', balance: debit.balance, priceCoins: terms.priceCoins, shortfall: debit.shortfall });
      }
      throw new Error(`unlock ledger reference ${ref} is held by another movement`);
    }
    balance = debit.balance;
    if (!debit.replayed) {
      charged = terms.priceCoins;
      shareCoins = await payAuthorShare(trx, req, offer, terms.priceCoins, title, suffix);
      if (req.emailReceipt) await notifyUnlock(trx, req, ref, title, terms.priceCoins, debit.balance);
    }
  } else {
    balance = await readBalance(trx, userId);
  }
  await trx
    .updateTable('entitlements')
    .set({
      price_coins: terms.priceCoins,
      source: terms.source,
      ledger_ref: terms.priceCoins > 0 ? ref : null,
      expires_at: terms.expiresAt,
      period_started_at: now,
    })
    .where('id', '=', held.id)
    .execute();
  return { ok: true, chargedCoins: charged, balance, authorShareCoins: shareCoins, accessUntil: terms.expiresAt };
}

async function notifyUnlock(trx: Transaction<Database>, req: UnlockRequest, ref: string, title: string, coins: number, balance: number) {
  await enqueueNotification(trx, {
    userId: req.userId,
    kind: 'unlock',
    dedupeKey: ref,
    data: { post_id: req.postId, title, post_title: title, coins, balance },
    ...(req.locale ? { locale: req.locale } : {}),
  });
}

/** Credits the post's author their share of the price (none for their own post or a 0 % share); the coins credited. */
async function payAuthorShare(
  trx: Transaction<Database>,
  req: UnlockRequest,
  offer: { authorId: number },
  priceCoins: number,
  title: string,
  suffix: string,
): Promise<number> {
  const { userId, postId } = req;
  if (offer.authorId <= 0 || offer.authorId === userId) return 0;
  const shareCoins = authorShareCoins(priceCoins, req.authorSharePercent);
  if (shareCoins <= 0) return 0;
  const share = await applyMovementInTx(trx, {
    userId: offer.authorId,
    deltaCoins: shareCoins,
    kind: 'author_share',
    idempotencyRef: `${authorShareLedgerRef(userId, postId)}${suffix}`,
    actor: `user:${userId}`,
    refType: 'post',
    refId: String(postId),
    memo: { code: 'author_share', params: { title, post_id: postId }, text: title },
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
async function restoreEntitlement(trx: DbOrTx, userId: number, postId: number, paid: LedgerEntry, accessUntil: Date | null): Promise<UnlockResult> {
  await trx
    .updateTable('entitlements')
    .set({ price_coins: -paid.delta_coins, source: 'unlock' })
    .where('user_id', '=', userId)
    .where('post_id', '=', postId)
    .execute();
  return { ok: true, chargedCoins: 0, balance: await readBalance(trx, userId), authorShareCoins: 0, accessUntil };
}

async function alreadyUnlocked(db: DbOrTx, userId: number, postId: number): Promise<UnlockResult> {
  const [balance, held] = await Promise.all([readBalance(db, userId), findEntitlementRow(db, userId, postId)]);
  return { ok: true, chargedCoins: 0, balance, authorShareCoins: 0, accessUntil: held?.expires_at ?? null };
}


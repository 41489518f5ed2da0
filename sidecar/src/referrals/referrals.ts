// Referrals: one code per user, a referee bound once, the referrer credited once on the referee's first completed recharge.
import { randomInt } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { keysetPage } from '../db/paging.js';
import { isDuplicateKey } from '../db/retry.js';
import { inTransactionOrRollback, Rollback } from '../db/tx.js';
import type { ReferralOutcome } from '../db/tables/referral-bindings.js';
import type { Database } from '../db/types.js';
import { applyMovementInTx } from '../ledger/ledger.js';
import { enqueueNotification } from '../notify/outbox.js';

export const REFERRAL_ACTOR = 'referral';
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const CODE_CHARS = 8;
const MAX_CODE_ATTEMPTS = 5;
/** How far up a referrer's own chain the loop check looks; deeper chains are refused as loops. */
export const MAX_CHAIN_DEPTH = 64;

/**
 * A referee's name as their referrer sees it: its first character and "***". A display name is often the login or
 * the email, which the referee never agreed to show; one character lets the referrer tell friends apart and names
 * no one. A character is a code point, so a name starting with an emoji or a CJK character is not cut in half.
 */
export function maskedName(displayName: string | null | undefined): string {
  const first = Array.from((displayName ?? '').trim())[0];
  return `${first ?? ''}***`;
}

export function referralLedgerRef(refereeUserId: number): string {
  return `referral:${refereeUserId}`;
}

/** The terms a binding is made under (the catalog's referral section at that moment), kept with it. */
export interface ReferralTerms {
  rewardCoins: number;
  minRechargeCoins: number;
  /** Rewards a referrer may earn in each period of `periodDays` days (see periodStart); 0 = no cap. */
  maxRewardsPerPeriod: number;
  periodDays: number;
}

const DAY_MS = 86_400_000;
/** How many of the referrer's own payment emails the same-email check compares against. */
const MAX_REFERRER_EMAILS = 50;

/** Emails compare as people read them: case and surrounding spaces do not make another address. */
export function sameEmail(a: string | null | undefined, b: string | null | undefined): boolean {
  const x = (a ?? '').trim().toLowerCase();
  return x !== '' && x === (b ?? '').trim().toLowerCase();
}

/**
 * Called inside the recharge-completion transaction, after the recharge row is marked completed. The
 * referral of a bound referee is decided once, on their first completed recharge: rewarded, or not counted
 * with the reason, written to the binding in this transaction with the credit (if any), so a reward and its
 * recorded outcome cannot part. The binding is read with a lock (the latest version, not the caller's
 * snapshot) and claimed with a conditional UPDATE, so a concurrent or repeated completion waits, finds it
 * decided and returns without touching anything: a replay is a silent no-op and never aborts the caller's
 * transaction. Returns the outcome decided now, or null when there was nothing to decide.
 */
export async function awardReferralOnRechargeCompleted(
  trx: Transaction<Database>,
  r: { refereeUserId: number; rechargeId: number; now: Date },
): Promise<ReferralOutcome | null> {
  const binding = await trx
    .selectFrom('referral_bindings')
    .select(['referrer_user_id', 'reward_coins', 'min_recharge_coins', 'max_rewards_per_period', 'period_days', 'outcome'])
    .where('referee_user_id', '=', r.refereeUserId)
    .forUpdate()
    .executeTakeFirst();
  if (!binding || binding.outcome !== null) return null;
  const referrerId = Number(binding.referrer_user_id);

  const outcome = await decideReferral(trx, { ...binding, referrerId }, r);
  const rewarded = outcome === 'rewarded';
  const claimed = await trx
    .updateTable('referral_bindings')
    .set({
      outcome,
      decided_recharge_id: r.rechargeId,
      decided_at: r.now,
      ...(rewarded ? { rewarded_recharge_id: r.rechargeId, rewarded_at: r.now } : {}),
    })
    .where('referee_user_id', '=', r.refereeUserId)
    .where('outcome', 'is', null)
    .executeTakeFirst();
  if (claimed.numUpdatedRows === 0n) return null;
  if (!rewarded) {
    // Told in the same transaction as the outcome, so a decided refusal always has its notice; the claim above makes
    // this the one decision, and the dedupe key makes a replay enqueue nothing.
    if (NOTIFIED_REFUSALS.has(outcome)) await notifyNotCounted(trx, referrerId, r.refereeUserId, outcome);
    return outcome;
  }

  // The claim above serialises awards for this referee, so this reference cannot race; a replayed
  // or conflicting reference (e.g. a binding rebuilt by hand) is left as it is.
  await applyMovementInTx(trx, {
    userId: referrerId,
    deltaCoins: binding.reward_coins,
    kind: 'referral',
    idempotencyRef: referralLedgerRef(r.refereeUserId),
    actor: REFERRAL_ACTOR,
    refType: 'referee',
    refId: String(r.refereeUserId),
    memo: {
      code: 'referral_reward',
      params: { referee_user_id: r.refereeUserId },
      text: `referral reward for user ${r.refereeUserId}'s first recharge`,
    },
  });
  await enqueueNotification(trx, {
    userId: referrerId,
    kind: 'referral_earned',
    dedupeKey: referralLedgerRef(r.refereeUserId),
    data: { coins: binding.reward_coins, referred_name: await maskedNameOf(trx, r.refereeUserId) },
  });
  return outcome;
}

/** Refusals the referrer hears of; 'no_reward' is not one: the site offered nothing for referrals then. */
const NOTIFIED_REFUSALS: ReadonlySet<ReferralOutcome> = new Set(['cap_reached', 'same_email', 'below_minimum', 'not_first_recharge']);

async function maskedNameOf(trx: Transaction<Database>, userId: number): Promise<string> {
  const user = await trx.selectFrom('users').select('display_name').where('ID', '=', userId).executeTakeFirst();
  return maskedName(user?.display_name);
}

async function notifyNotCounted(trx: Transaction<Database>, referrerId: number, refereeId: number, outcome: ReferralOutcome): Promise<void> {
  await enqueueNotification(trx, {
    userId: referrerId,
    kind: 'referral_not_counted',
    dedupeKey: `${referralLedgerRef(refereeId)}:not_counted`,
    data: { outcome, referred_name: await maskedNameOf(trx, refereeId) },
  });
}

/** The rules, cheapest first; the cap last, as it serialises every award of one referrer. */
async function decideReferral(
  trx: Transaction<Database>,
  b: { referrerId: number; reward_coins: number; min_recharge_coins: number; max_rewards_per_period: number; period_days: number },
  r: { refereeUserId: number; rechargeId: number; now: Date },
): Promise<ReferralOutcome> {
  // Only the first completed recharge counts: a referee who already had one is not a new customer.
  const earlier = await trx
    .selectFrom('recharge_transactions')
    .select('id')
    .where('user_id', '=', r.refereeUserId)
    .where('status', '=', 'completed')
    .where('id', '<>', r.rechargeId)
    .limit(1)
    .executeTakeFirst();
  if (earlier) return 'not_first_recharge';
  if (b.reward_coins <= 0) return 'no_reward';
  const recharge = await trx
    .selectFrom('recharge_transactions')
    .select(['coins_credited', 'buyer_email'])
    .where('id', '=', r.rechargeId)
    .executeTakeFirst();
  // A first recharge below the binding's minimum (e.g. a token top-up on a throwaway account) earns nothing.
  if ((recharge?.coins_credited ?? 0) < b.min_recharge_coins) return 'below_minimum';
  if (await paysWithReferrersEmail(trx, b.referrerId, r.refereeUserId, recharge?.buyer_email ?? null)) return 'same_email';
  if (b.max_rewards_per_period > 0 && !(await takeRewardSlot(trx, b.referrerId, b.max_rewards_per_period, b.period_days, r.now))) {
    return 'cap_reached';
  }
  return 'rewarded';
}

/**
 * The referee paid with the referrer's email (their account's, or one the referrer paid with): one person
 * with two accounts. The referee's payment email is the one given to the provider for this recharge.
 */
async function paysWithReferrersEmail(trx: Transaction<Database>, referrerId: number, refereeId: number, buyerEmail: string | null): Promise<boolean> {
  let email = buyerEmail;
  if (email === null || email.trim() === '') {
    const referee = await trx.selectFrom('users').select('user_email').where('ID', '=', refereeId).executeTakeFirst();
    email = referee?.user_email ?? null;
  }
  if (email === null || email.trim() === '') return false;
  const account = await trx.selectFrom('users').select('user_email').where('ID', '=', referrerId).executeTakeFirst();
  if (sameEmail(email, account?.user_email)) return true;
  const paid = await trx
    .selectFrom('recharge_transactions')
    .select('buyer_email')
    .distinct()
    .where('user_id', '=', referrerId)
    .where('buyer_email', 'is not', null)
    .limit(MAX_REFERRER_EMAILS)
    .execute();
  return paid.some((p) => sameEmail(email, p.buyer_email));
}

/** The first day of the period `now` falls in: periods of `periodDays` days counted from 1970-01-01 UTC. */
export function periodStart(now: Date, periodDays: number): Date {
  const days = Math.floor(now.getTime() / DAY_MS);
  return new Date((days - (days % periodDays)) * DAY_MS);
}

/**
 * Counts one more reward in the referrer's current period unless it already holds `cap`; false when full. The
 * period's row is made first (a twin's insert waits on this one's), then read with a lock, which reads the
 * latest committed count, not this transaction's older snapshot.
 */
async function takeRewardSlot(trx: Transaction<Database>, referrerId: number, cap: number, periodDays: number, now: Date): Promise<boolean> {
  const key = { referrer_user_id: referrerId, period_days: periodDays, window_start: periodStart(now, periodDays) };
  await trx.insertInto('referral_reward_windows').values({ ...key, rewards: 0 }).ignore().execute();
  const row = await trx
    .selectFrom('referral_reward_windows')
    .select('rewards')
    .where('referrer_user_id', '=', key.referrer_user_id)
    .where('period_days', '=', key.period_days)
    .where('window_start', '=', key.window_start)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (row.rewards >= cap) return false;
  await trx
    .updateTable('referral_reward_windows')
    .set({ rewards: row.rewards + 1 })
    .where('referrer_user_id', '=', key.referrer_user_id)
    .where('period_days', '=', key.period_days)
    .where('window_start', '=', key.window_start)
    .execute();
  return true;
}

function newCode(): string {
  let s = '';
  for (let i = 0; i < CODE_CHARS; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}

/** The user's referral code, created on first use; concurrent first calls agree on one. */
export async function referralCodeOf(db: Db, userId: number): Promise<string> {
  for (let attempt = 1; attempt <= MAX_CODE_ATTEMPTS; attempt++) {
    const row = await db.selectFrom('referral_codes').select('code').where('user_id', '=', userId).executeTakeFirst();
    if (row) return row.code;
    try {
      await db.insertInto('referral_codes').values({ user_id: userId, code: newCode() }).execute();
    } catch (err) {
      // Either a twin created this user's code (read it next time round) or the code is taken (try another).
      if (!isDuplicateKey(err)) throw err;
    }
  }
  throw new Error(`could not create a referral code for user ${userId}`);
}

export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

export interface ReferralSummary {
  code: string;
  referredCount: number;
  earnedCoins: number;
  referredBy: { userId: number; name: string } | null;
}

export async function referralSummary(db: Db, userId: number): Promise<ReferralSummary> {
  const code = await referralCodeOf(db, userId);
  const [counted, earned, by] = await Promise.all([
    sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table('referral_bindings')} WHERE referrer_user_id = ${userId}`.execute(db),
    sql<{ coins: string | number | null }>`SELECT SUM(delta_coins) AS coins FROM ${sql.table('coin_ledger')}
      WHERE user_id = ${userId} AND kind = 'referral'`.execute(db),
    db
      .selectFrom('referral_bindings as b')
      .leftJoin('users as u', 'u.ID', 'b.referrer_user_id')
      .select(['b.referrer_user_id', 'u.display_name'])
      .where('b.referee_user_id', '=', userId)
      .executeTakeFirst(),
  ]);
  return {
    code,
    referredCount: Number(counted.rows[0]?.n ?? 0),
    earnedCoins: Number(earned.rows[0]?.coins ?? 0),
    referredBy: by ? { userId: Number(by.referrer_user_id), name: by.display_name ?? '' } : null,
  };
}

export type BindResult =
  | { ok: true; referrerId: number }
  | { ok: false; code: 'unknown_code' | 'self_referral' | 'already_bound' | 'referral_loop' | 'not_eligible' };

/**
 * Binds the referee to the code's owner, once. Every row the checks read is read with a lock, gaps
 * included, so two binds that would close a loop (A→B and B→A) cannot both pass: one waits or
 * deadlocks and is retried, and then sees the other. Binding again to the same referrer is a repeat
 * and answers as the first did.
 */
export async function bindReferral(
  db: Db,
  req: { refereeUserId: number; code: string; terms: ReferralTerms },
): Promise<BindResult> {
  const owner = await db.selectFrom('referral_codes').select('user_id').where('code', '=', normalizeCode(req.code)).executeTakeFirst();
  if (!owner) return { ok: false, code: 'unknown_code' };
  const referrerId = Number(owner.user_id);
  const refereeId = req.refereeUserId;
  if (referrerId === refereeId) return { ok: false, code: 'self_referral' };

  // The binding row is inserted first: its unique referee key is the guard, so concurrent binds of one referee queue
  // on it (the first commits, the rest find it taken) instead of each taking a gap lock on the missing row and
  // deadlocking when they all insert. A refusal found after the insert rolls it back.
  return inTransactionOrRollback(db, async (trx): Promise<BindResult> => {
    try {
      await trx
        .insertInto('referral_bindings')
        .values({
          referee_user_id: refereeId,
          referrer_user_id: referrerId,
          reward_coins: req.terms.rewardCoins,
          min_recharge_coins: req.terms.minRechargeCoins,
          max_rewards_per_period: req.terms.maxRewardsPerPeriod,
          period_days: req.terms.periodDays,
        })
        .execute();
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const bound = await trx
        .selectFrom('referral_bindings')
        .select('referrer_user_id')
        .where('referee_user_id', '=', refereeId)
        .modifyEnd(sql`LOCK IN SHARE MODE`)
        .executeTakeFirstOrThrow();
      return Number(bound.referrer_user_id) === referrerId ? { ok: true, referrerId } : { ok: false, code: 'already_bound' };
    }
    const paid = await sql<{ id: number }>`SELECT id FROM ${sql.table('recharge_transactions')}
      WHERE user_id = ${refereeId} AND status = 'completed' LIMIT 1 LOCK IN SHARE MODE`.execute(trx);
    if (paid.rows.length > 0) throw new Rollback<BindResult>({ ok: false, code: 'not_eligible' });
    if (await chainReaches(trx, referrerId, refereeId)) throw new Rollback<BindResult>({ ok: false, code: 'referral_loop' });
    return { ok: true, referrerId };
  });
}

/** Walks up from `start` through who referred whom; true when it reaches `target` (or is too deep to tell). */
async function chainReaches(trx: Transaction<Database>, start: number, target: number): Promise<boolean> {
  let current = start;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    const up = await trx
      .selectFrom('referral_bindings')
      .select('referrer_user_id')
      .where('referee_user_id', '=', current)
      .forUpdate()
      .executeTakeFirst();
    if (!up) return false;
    current = Number(up.referrer_user_id);
    if (current === target) return true;
  }
  return true;
}


export const REFERRAL_PAGE_MAX = 100;
export const REFERRAL_OUTCOMES = ['rewarded', 'cap_reached', 'below_minimum', 'same_email', 'no_reward', 'not_first_recharge'] as const satisfies readonly ReferralOutcome[];

export interface ReferralFilter {
  referrerId?: number;
  /** 'pending': the referee has not completed a recharge yet. */
  outcome?: ReferralOutcome | 'pending';
  /** next_cursor of the previous page: the last referee id shown. */
  beforeRefereeId?: number;
  limit: number;
}

/** Referrals newest referee first, each with both users' names, its outcome and the coins it paid. */
export async function listReferrals(db: DbOrTx, f: ReferralFilter) {
  let q = db
    .selectFrom('referral_bindings as b')
    .leftJoin('users as referee', 'referee.ID', 'b.referee_user_id')
    .leftJoin('users as referrer', 'referrer.ID', 'b.referrer_user_id')
    .select([
      'b.referee_user_id',
      'b.referrer_user_id',
      'b.reward_coins',
      'b.bound_at',
      'b.outcome',
      'b.decided_at',
      'referee.display_name as referee_name',
      'referrer.display_name as referrer_name',
    ]);
  if (f.referrerId !== undefined) q = q.where('b.referrer_user_id', '=', f.referrerId);
  if (f.outcome === 'pending') q = q.where('b.outcome', 'is', null);
  else if (f.outcome !== undefined) q = q.where('b.outcome', '=', f.outcome);
  if (f.beforeRefereeId !== undefined) q = q.where('b.referee_user_id', '<', f.beforeRefereeId);
  const rows = await q.orderBy('b.referee_user_id', 'desc').limit(f.limit + 1).execute();
  const { page, nextCursor } = keysetPage(rows.map((r) => ({ ...r, id: Number(r.referee_user_id) })), f.limit);
  return {
    rows: page.map((r) => ({
      refereeUserId: r.id,
      refereeName: r.referee_name ?? '',
      referrerUserId: Number(r.referrer_user_id),
      referrerName: r.referrer_name ?? '',
      boundAt: r.bound_at,
      outcome: r.outcome,
      paidCoins: r.outcome === 'rewarded' ? r.reward_coins : 0,
      decidedAt: r.decided_at,
    })),
    nextCursor,
  };
}

// Enqueues an in-site notification and its email inside the caller's transaction, idempotently.
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/types.js';
import { normalizeLocale } from './locale.js';

export type NotificationKind =
  | 'recharge_completed'
  | 'recharge_failed'
  | 'recharge_expired'
  | 'unlock'
  | 'reward_redeemed'
  | 'referral_earned'
  | 'referral_not_counted'
  | 'adjustment'
  | 'vip_purchased'
  | 'vip_expiring'
  | 'vip_expired'
  | 'ea_version';

export const NOTIFICATION_KINDS: readonly NotificationKind[] = [
  'recharge_completed',
  'recharge_failed',
  'recharge_expired',
  'unlock',
  'reward_redeemed',
  'referral_earned',
  'referral_not_counted',
  'adjustment',
  'vip_purchased',
  'vip_expiring',
  'vip_expired',
  'ea_version',
];

/**
 * What happened, to whom. dedupeKey is globally unique per event (reuse the ledger's idempotency
 * ref, e.g. `recharge:42:completed`): enqueuing the same key again is a silent no-op.
 * data fields the messages use (all optional; missing ones are left out of the text):
 * - recharge_*: recharge_id, coins, bonus_coins; recharge_failed also reason, a code
 *   (provider_failed, expired, underpaid, late_payment) shown in words
 * - unlock: post_id, post_title, coins
 * - reward_redeemed: reward_key, reward_name, coins
 * - referral_earned: coins, referred_name (masked, see referrals/maskedName)
 * - referral_not_counted: outcome (cap_reached, same_email, below_minimum, not_first_recharge), referred_name
 * - adjustment: coins (signed), reason
 * - vip_*: tier_key, tier_title, expires_at (ISO, null = lifetime); vip_purchased also coins
 * - ea_version: post_id, post_title, version, notes
 * - any kind: balance (the balance after the movement)
 * locale is the user's WordPress locale when the caller knows it (e.g. from the JWT); else en_US.
 */
export interface NotificationRequest {
  userId: number;
  kind: NotificationKind;
  dedupeKey: string;
  data: Record<string, string | number | boolean | null>;
  locale?: string;
}

const MAX_DEDUPE_KEY_CHARS = 191;
const MAX_DATA_CHARS = 8_000;
/** With the u flag a surrogate class matches only a half that is not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;

/**
 * Two single-row statements on unique keys, so it is cheap inside a money transaction; a duplicate
 * key updates nothing instead of raising, so a replayed transaction is not broken by it. A transaction, not
 * the pool: the second statement reads LAST_INSERT_ID() from the first one's connection.
 */
export async function enqueueNotification(trx: Transaction<Database>, n: NotificationRequest): Promise<void> {
  if (!Number.isSafeInteger(n.userId) || n.userId <= 0) throw new Error('enqueueNotification: bad userId');
  if (n.dedupeKey.length === 0 || n.dedupeKey.length > MAX_DEDUPE_KEY_CHARS) {
    throw new Error(`enqueueNotification: dedupeKey must be 1..${MAX_DEDUPE_KEY_CHARS} chars`);
  }
  // A text cut to length can end in half a surrogate pair; JSON.stringify writes that as a lone `\ud83d` escape,
  // which the column's JSON_VALID check refuses, failing the money transaction the notification is part of.
  const data = JSON.stringify(n.data, (_k, v: unknown) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\uFFFD') : v));
  if (data.length > MAX_DATA_CHARS) throw new Error(`enqueueNotification: data over ${MAX_DATA_CHARS} chars`);

  // LAST_INSERT_ID(id) hands the existing row's id to the next statement when the key is taken, as the
  // generated id does for a new row, so the email row needs no lookup by dedupe key.
  await sql`
    INSERT INTO ${sql.table('notifications')} (user_id, kind, dedupe_key, locale, data)
    VALUES (${n.userId}, ${n.kind}, ${n.dedupeKey}, ${normalizeLocale(n.locale)}, ${data})
    ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)`.execute(trx);
  await sql`
    INSERT INTO ${sql.table('email_outbox')} (notification_id) VALUES (LAST_INSERT_ID())
    ON DUPLICATE KEY UPDATE notification_id = notification_id`.execute(trx);
}

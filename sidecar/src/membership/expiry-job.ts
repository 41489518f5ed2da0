// The VIP expiry job: a reminder N days before a membership ends and a notice when it has, once per period.
import type { Clock } from '../clock.js';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/retry.js';
import type { Logger } from '../log.js';
import { enqueueNotification } from '../notify/outbox.js';
import type { BackgroundJob } from '../workers.js';
import { DAY_MS } from './membership.js';

export const EXPIRY_BATCH = 100;
export const MAX_BATCHES_PER_PASS = 20;

export interface VipExpiryOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  /** Days before the end the reminder goes out; 0 = no reminder. */
  remindDays: number;
  intervalMs: number;
}

export interface ExpiryPass {
  reminded: number;
  expired: number;
}

/**
 * Rows are claimed with SKIP LOCKED and marked with the expires_at they were handled for, in the transaction that
 * enqueues the notification: several instances share the work, and a renewal (a new expires_at) opens the next
 * period's notices. The notification's dedupe key (user and period end) makes a second send impossible anyway.
 */
export function vipExpiryJob(opts: VipExpiryOptions): BackgroundJob & { runOnce(): Promise<ExpiryPass> } {
  return {
    name: 'vip-expiry',
    intervalMs: opts.intervalMs,
    async runOnce() {
      const pass: ExpiryPass = { reminded: 0, expired: 0 };
      for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
        const n = await batch(opts, 'expired');
        pass.expired += n;
        if (n < EXPIRY_BATCH) break;
      }
      if (opts.remindDays > 0) {
        for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
          const n = await batch(opts, 'reminder');
          pass.reminded += n;
          if (n < EXPIRY_BATCH) break;
        }
      }
      if (pass.reminded + pass.expired > 0) opts.log.info('vip expiry notices', { ...pass });
      return pass;
    },
  };
}

async function batch(opts: VipExpiryOptions, what: 'reminder' | 'expired'): Promise<number> {
  const now = opts.clock.now();
  return inTransaction(opts.db, async (trx) => {
    let q = trx.selectFrom('vip_memberships as m').select(['m.user_id', 'm.tier_key', 'm.expires_at']).where('m.expires_at', 'is not', null);
    if (what === 'expired') {
      q = q.where('m.expires_at', '<=', now).where((eb) => eb.or([eb('m.expired_for', 'is', null), eb('m.expired_for', '<>', eb.ref('m.expires_at'))]));
    } else {
      q = q
        .where('m.expires_at', '>', now)
        .where('m.expires_at', '<=', new Date(now.getTime() + opts.remindDays * DAY_MS))
        .where((eb) => eb.or([eb('m.reminded_for', 'is', null), eb('m.reminded_for', '<>', eb.ref('m.expires_at'))]));
    }
    // Only membership rows are locked (MariaDB has no FOR UPDATE OF): tiers are read apart, unlocked.
    const rows = await q.orderBy('m.expires_at').limit(EXPIRY_BATCH).forUpdate().skipLocked().execute();
    if (rows.length === 0) return 0;
    const tiers = await trx.selectFrom('vip_tiers').select(['tier_key', 'title']).where('tier_key', 'in', [...new Set(rows.map((r) => r.tier_key))]).execute();
    for (const r of rows) {
      const end = r.expires_at!;
      const kind = what === 'expired' ? 'vip_expired' : 'vip_expiring';
      // The job has no request to take a language from: the member's latest notification (their purchase) has it.
      const last = await trx.selectFrom('notifications').select('locale').where('user_id', '=', r.user_id).orderBy('id', 'desc').limit(1).executeTakeFirst();
      await enqueueNotification(trx, {
        userId: Number(r.user_id),
        kind,
        dedupeKey: `${kind}:${r.user_id}:${end.getTime()}`,
        data: { tier_key: r.tier_key, tier_title: tiers.find((t) => t.tier_key === r.tier_key)?.title ?? r.tier_key, expires_at: end.toISOString() },
        ...(last ? { locale: last.locale } : {}),
      });
      await trx
        .updateTable('vip_memberships')
        .set(what === 'expired' ? { expired_for: end } : { reminded_for: end })
        .where('user_id', '=', r.user_id)
        .where('expires_at', '=', end)
        .execute();
    }
    return rows.length;
  });
}

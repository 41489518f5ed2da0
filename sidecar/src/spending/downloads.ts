// Issuing protected EA downloads: only to entitled users, within their quotas, as a short-lived signed URL, each one logged.
import { sql } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { inTransactionOrRollback, Rollback } from '../db/tx.js';
import { activeMember, DAY_MS } from '../membership/membership.js';
import { signDownloadToken } from './download-token.js';
import { attachmentFileName, readPostInfo } from './prices.js';
import { isEntitlementActive } from './unlock.js';

export interface DownloadRequest {
  userId: number;
  postId: number;
  now: Date;
  secret: string;
  /** The sidecar's PUBLIC_URL (the token's issuer). */
  issuer: string;
  /** WP_HOME: the WordPress plugin serves the file at `${wpHome}/?goldcoin_download=<token>`. */
  wpHome: string;
  ttlS: number;
  /** Downloads per entitlement period when the post sets none; 0 = no limit. */
  defaultLimit: number;
}

/** A quota refusal says how many were allowed, how many were used, and when one frees up (null: not by waiting). */
export interface QuotaRefusal {
  ok: false;
  code: 'download_limit_reached' | 'daily_download_limit_reached';
  limit: number;
  used: number;
  freesAt: Date | null;
}

export type DownloadResult =
  | { ok: true; url: string; expiresAt: Date; fileName: string }
  | { ok: false; code: 'not_unlocked' }
  | { ok: false; code: 'no_file' }
  | QuotaRefusal;

/**
 * The entitlement row is locked while the downloads are counted and the new one logged, so concurrent requests
 * cannot overrun a quota; a VIP download also locks the membership row, which the daily quota counts under.
 */
export async function issueDownload(db: Db, req: DownloadRequest): Promise<DownloadResult> {
  const { userId, postId, now } = req;
  return inTransactionOrRollback<DownloadResult>(db, async (trx) => {
    const held = await trx.selectFrom('entitlements').selectAll().where('user_id', '=', userId).where('post_id', '=', postId).forUpdate().executeTakeFirst();
    if (!held || !isEntitlementActive(held, now)) return { ok: false, code: 'not_unlocked' };
    // The file is whatever the post names now (an editor may replace a broken EA); access rests on the entitlement.
    const info = await readPostInfo(trx, postId);
    const fileId = info?.fileId ?? null;
    const fileName = fileId === null ? null : await attachmentFileName(trx, fileId);
    if (fileId === null || fileName === null) return { ok: false, code: 'no_file' };

    const limit = info?.downloadLimit ?? (req.defaultLimit > 0 ? req.defaultLimit : null);
    if (limit !== null) {
      // Issue times are whole seconds (the token's iat): count from the second the period began.
      const periodStartS = Math.floor((held.period_started_at ?? held.created_at).getTime() / 1000) * 1000;
      const used = await countDownloads(trx, userId, { postId, since: new Date(periodStartS - 1) });
      // A time-limited purchase frees its quota with the next period; a permanent one does not by waiting.
      if (used >= limit) return { ok: false, code: 'download_limit_reached', limit, used, freesAt: held.expires_at };
    }
    const viaVip = held.source === 'vip';
    if (viaVip) {
      const member = await activeMember(trx, userId, now);
      const daily = member?.tier?.dailyDownloads ?? null;
      if (member && daily !== null) {
        await trx.selectFrom('vip_memberships').select('user_id').where('user_id', '=', userId).forUpdate().execute();
        const since = new Date(now.getTime() - DAY_MS);
        const used = await countDownloads(trx, userId, { viaVip: true, since });
        if (used >= daily) {
          const oldest = await trx
            .selectFrom('downloads')
            .select('issued_at')
            .where('user_id', '=', userId)
            .where('via_vip', '=', 1)
            .where('issued_at', '>', since)
            .orderBy('issued_at', 'asc')
            .limit(1)
            .executeTakeFirst();
          const freesAt = new Date((oldest?.issued_at ?? now).getTime() + DAY_MS);
          throw new Rollback<DownloadResult>({ ok: false, code: 'daily_download_limit_reached', limit: daily, used, freesAt });
        }
      }
    }
    const { token, grant } = await signDownloadToken(
      { userId, postId, fileId },
      { secret: req.secret, issuer: req.issuer, ttlS: req.ttlS, now },
    );
    await trx
      .insertInto('downloads')
      .values({
        jti: grant.jti,
        user_id: userId,
        post_id: postId,
        file_id: fileId,
        issued_at: grant.issuedAt,
        expires_at: grant.expiresAt,
        via_vip: viaVip ? 1 : 0,
      })
      .execute();
    const url = `${req.wpHome}/?goldcoin_download=${encodeURIComponent(token)}`;
    return { ok: true, url, expiresAt: grant.expiresAt, fileName };
  });
}

async function countDownloads(db: DbOrTx, userId: number, f: { postId?: number; viaVip?: true; since: Date }): Promise<number> {
  let q = db.selectFrom('downloads').select(sql<number>`COUNT(*)`.as('n')).where('user_id', '=', userId).where('issued_at', '>', f.since);
  if (f.postId !== undefined) q = q.where('post_id', '=', f.postId);
  if (f.viaVip) q = q.where('via_vip', '=', 1);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

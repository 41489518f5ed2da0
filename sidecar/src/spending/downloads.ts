// Issuing protected EA downloads: only to entitled users, as a short-lived signed URL, each one logged.
import type { Db } from '../db/database.js';
import { signDownloadToken } from './download-token.js';
import { attachmentFileName, readPostInfo } from './prices.js';
import { findEntitlement } from './unlock.js';

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
}

export type DownloadResult =
  | { ok: true; url: string; expiresAt: Date; fileName: string }
  | { ok: false; code: 'not_unlocked' | 'no_file' };

export async function issueDownload(db: Db, req: DownloadRequest): Promise<DownloadResult> {
  if (!(await findEntitlement(db, req.userId, req.postId))) return { ok: false, code: 'not_unlocked' };
  // The file is whatever the post names now (an editor may replace a broken EA); access rests on the entitlement.
  const info = await readPostInfo(db, req.postId);
  const fileId = info?.fileId ?? null;
  const fileName = fileId === null ? null : await attachmentFileName(db, fileId);
  if (fileId === null || fileName === null) return { ok: false, code: 'no_file' };
  const { token, grant } = await signDownloadToken(
    { userId: req.userId, postId: req.postId, fileId },
    { secret: req.secret, issuer: req.issuer, ttlS: req.ttlS, now: req.now },
  );
  await db
    .insertInto('downloads')
    .values({
      jti: grant.jti,
      user_id: req.userId,
      post_id: req.postId,
      file_id: fileId,
      issued_at: grant.issuedAt,
      expires_at: grant.expiresAt,
    })
    .execute();
  const url = `${req.wpHome}/?goldcoin_download=${encodeURIComponent(token)}`;
  return { ok: true, url, expiresAt: grant.expiresAt, fileName };
}

// New versions of an EA file: recorded once per (post, version), every reader entitled to the post notified in site.
import type { Db } from '../db/database.js';
import { isDuplicateKey } from '../db/retry.js';
import { enqueueNotification } from '../notify/outbox.js';
import { readLicenceTerms, versionHistory, type EaVersion } from './terms.js';

/** Entitlements notified per transaction, and the most one version notifies (a bound on the loop). */
const NOTIFY_BATCH = 500;
const MAX_NOTIFIED = 200_000;
const MAX_NOTES_CHARS = 2_000;

export interface PublishRequest {
  postId: number;
  version: string;
  notes: string;
  fileId: number;
  actorId: number;
  now: Date;
}

export type PublishResult =
  | { ok: true; versions: EaVersion[]; notified: number }
  | { ok: false; code: 'version_exists' | 'no_licence' };

/**
 * Records the version, then notifies each reader holding the post now, in batches of their own transactions: the
 * version row is the commitment, and a notification's dedupe key (post, version, user) makes a retried batch a no-op.
 */
export async function publishVersion(db: Db, req: PublishRequest): Promise<PublishResult> {
  if (!(await readLicenceTerms(db, req.postId))) return { ok: false, code: 'no_licence' };
  const notes = req.notes.slice(0, MAX_NOTES_CHARS);
  try {
    await db
      .insertInto('ea_versions')
      .values({ post_id: req.postId, version: req.version, notes, file_id: req.fileId, created_by: req.actorId, created_at: req.now })
      .execute();
  } catch (err) {
    if (isDuplicateKey(err)) return { ok: false, code: 'version_exists' };
    throw err;
  }
  const post = await db.selectFrom('posts').select('post_title').where('ID', '=', req.postId).executeTakeFirst();
  let notified = 0;
  let afterId = 0;
  while (notified < MAX_NOTIFIED) {
    const batch = await db
      .selectFrom('entitlements')
      .select(['id', 'user_id'])
      .where('post_id', '=', req.postId)
      .where('id', '>', afterId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', req.now)]))
      .orderBy('id')
      .limit(NOTIFY_BATCH)
      .execute();
    if (batch.length === 0) break;
    await db.transaction().execute(async (trx) => {
      for (const e of batch) {
        await enqueueNotification(trx, {
          userId: Number(e.user_id),
          kind: 'ea_version',
          dedupeKey: `ea_version:${req.postId}:${req.version}:${e.user_id}`,
          data: { post_id: req.postId, post_title: post?.post_title ?? '', version: req.version, notes: notes.slice(0, 500) },
        });
      }
    });
    notified += batch.length;
    afterId = batch[batch.length - 1]!.id;
  }
  return { ok: true, versions: await versionHistory(db, req.postId), notified };
}

// What a user bought with coins, for "what I bought" in the wallet: the posts they may read (unlocked, redeemed or
// through VIP), newest first, with the file each offers for download.
import type { DbOrTx } from '../db/database.js';
import type { EntitlementSource } from '../db/tables/entitlements.js';
import { keysetPage } from '../db/paging.js';
import { attachmentFileName, readPostInfo } from './prices.js';
import { isEntitlementActive } from './unlock.js';

export const MAX_OWNED_PAGE = 50;

export interface OwnedPost {
  id: number;
  postId: number;
  /** null when the post is gone from WordPress: the purchase is still listed. */
  title: string | null;
  fileName: string | null;
  source: EntitlementSource;
  priceCoins: number;
  since: Date;
  expiresAt: Date | null;
  active: boolean;
}

/** A page of the user's entitlements; each post's title and file read with readPostInfo (a page is at most 50). */
export async function ownedPosts(db: DbOrTx, userId: number, beforeId: number | null, limit: number, now: Date) {
  const size = Math.min(Math.max(limit, 1), MAX_OWNED_PAGE);
  let q = db
    .selectFrom('entitlements')
    .select(['id', 'post_id', 'source', 'price_coins', 'created_at', 'expires_at'])
    .where('user_id', '=', userId);
  if (beforeId !== null) q = q.where('id', '<', beforeId);
  const { page, nextCursor } = keysetPage(await q.orderBy('id', 'desc').limit(size + 1).execute(), size);
  const posts: OwnedPost[] = await Promise.all(
    page.map(async (e) => {
      const info = await readPostInfo(db, e.post_id);
      const fileName = info?.fileId ? await attachmentFileName(db, info.fileId) : null;
      return {
        id: e.id,
        postId: e.post_id,
        title: info?.title ?? null,
        fileName,
        source: e.source,
        priceCoins: e.price_coins,
        since: e.created_at,
        expiresAt: e.expires_at,
        active: isEntitlementActive(e, now),
      };
    }),
  );
  return { posts, nextCursor };
}

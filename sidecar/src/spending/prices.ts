// Editors' prices: what a post costs and which file it unlocks, read from WordPress's posts and postmeta.
import { posix } from 'node:path';
import type { DbOrTx } from '../db/database.js';

export const PRICE_META_KEY = '_goldcoin_price';
export const FILE_META_KEY = '_goldcoin_file';
const ATTACHED_FILE_META_KEY = '_wp_attached_file';
const SALEABLE_TYPES = ['post', 'page'];
export const MAX_PRICE_COINS = 100_000_000;

export interface PostInfo {
  postId: number;
  title: string;
  authorId: number;
  status: string;
  type: string;
  /** The editor's price when it is a positive integer, else null (not for sale). */
  priceCoins: number | null;
  /** The attachment post ID of the EA file, when it names an attachment. */
  fileId: number | null;
}

export interface Offer {
  postId: number;
  title: string;
  authorId: number;
  priceCoins: number;
  fileId: number | null;
}

/** WordPress stores meta as text; only a plain positive integer is a price. */
export function parsePriceCoins(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  const s = raw.trim();
  if (!/^[0-9]{1,12}$/.test(s)) return null;
  const n = Number(s);
  return n > 0 && n <= MAX_PRICE_COINS ? n : null;
}

function parsePostId(raw: string | null | undefined): number | null {
  const s = raw?.trim() ?? '';
  if (!/^[1-9][0-9]{0,15}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** get_post_meta($id, $key, true) returns the first row by meta_id; so do we. */
async function firstMeta(db: DbOrTx, postId: number, key: string): Promise<string | null> {
  const row = await db
    .selectFrom('postmeta')
    .select('meta_value')
    .where('post_id', '=', postId)
    .where('meta_key', '=', key)
    .orderBy('meta_id', 'asc')
    .limit(1)
    .executeTakeFirst();
  return row?.meta_value ?? null;
}

/** One round trip: the post row with its first price and file meta values. */
export async function readPostInfo(db: DbOrTx, postId: number): Promise<PostInfo | null> {
  // get_post_meta($id, $key, true) returns the first row by meta_id; so do we.
  const post = await db
    .selectFrom('posts as p')
    .select(['p.post_title', 'p.post_author', 'p.post_status', 'p.post_type'])
    .select((eb) => {
      const meta = (key: string) =>
        eb
          .selectFrom('postmeta as m')
          .select('m.meta_value')
          .whereRef('m.post_id', '=', 'p.ID')
          .where('m.meta_key', '=', key)
          .orderBy('m.meta_id', 'asc')
          .limit(1);
      return [meta(PRICE_META_KEY).as('price'), meta(FILE_META_KEY).as('file')];
    })
    .where('p.ID', '=', postId)
    .executeTakeFirst();
  if (!post) return null;
  return {
    postId,
    title: post.post_title,
    authorId: Number(post.post_author),
    status: post.post_status,
    type: post.post_type,
    priceCoins: parsePriceCoins(post.price),
    fileId: parsePostId(post.file),
  };
}

/** A published post or page with a positive price, or null: everything else is not for sale. */
export async function readOffer(db: DbOrTx, postId: number): Promise<Offer | null> {
  const info = await readPostInfo(db, postId);
  if (!info || info.status !== 'publish' || !SALEABLE_TYPES.includes(info.type) || info.priceCoins === null) return null;
  return { postId, title: info.title, authorId: info.authorId, priceCoins: info.priceCoins, fileId: info.fileId };
}

/** The attachment's file name (basename of its _wp_attached_file), or null when it is not an attachment. */
export async function attachmentFileName(db: DbOrTx, attachmentId: number): Promise<string | null> {
  const post = await db
    .selectFrom('posts')
    .select('ID')
    .where('ID', '=', attachmentId)
    .where('post_type', '=', 'attachment')
    .executeTakeFirst();
  if (!post) return null;
  const path = await firstMeta(db, attachmentId, ATTACHED_FILE_META_KEY);
  if (!path) return null;
  const name = posix.basename(path.replaceAll('\\', '/'));
  return name.length > 0 ? name : null;
}

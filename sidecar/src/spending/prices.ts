// Editors' prices: what a post costs and which file it unlocks, read from WordPress's posts and postmeta.
import { posix } from 'node:path';
import { sql } from 'kysely';
import { compiledOnce } from '../db/compiled.js';
import type { DbOrTx } from '../db/database.js';
import { PRODUCT_ID_PATTERN, PRODUCT_META_KEY } from '../licences/terms.js';

export const PRICE_META_KEY = '_goldcoin_price';
export const FILE_META_KEY = '_goldcoin_file';
/** free (members unlock for nothing), discount (members pay _goldcoin_vip_price), only (members alone may unlock). */
export const VIP_MODE_META_KEY = '_goldcoin_vip';
export const VIP_PRICE_META_KEY = '_goldcoin_vip_price';
/** Sold for N days: after them the next unlock charges again. */
export const ACCESS_DAYS_META_KEY = '_goldcoin_access_days';
/** Downloads allowed per entitlement period. */
export const DOWNLOAD_LIMIT_META_KEY = '_goldcoin_download_limit';
export const MAX_ACCESS_DAYS = 3650;
export const MAX_DOWNLOAD_LIMIT = 10_000;
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
  vip: VipTerms | null;
  /** Days one purchase gives access for; null = for good. */
  accessDays: number | null;
  /** Downloads per entitlement period; null = the site's default. */
  downloadLimit: number | null;
  /** Whether the post names an EA product, so an entitlement to it comes with a licence (licences/terms.ts). */
  sellsLicence: boolean;
}

export type VipMode = 'free' | 'discount' | 'only';
export interface VipTerms {
  mode: VipMode;
  /** What members pay under discount or only; null = nothing. */
  priceCoins: number | null;
}

export interface Offer {
  postId: number;
  title: string;
  authorId: number;
  /** 0 when the post is sold to members alone (free for VIP or VIP only, without a price for everyone). */
  priceCoins: number;
  fileId: number | null;
  vip: VipTerms | null;
  accessDays: number | null;
  downloadLimit: number | null;
  sellsLicence: boolean;
}

/** What one reader pays: the price, or a member's terms; entitlementSource vip = held through the membership. */
export type PriceQuote =
  | { ok: true; priceCoins: number; source: 'unlock' | 'vip' }
  | { ok: false; code: 'vip_required' };

export function quoteFor(offer: Offer, isMember: boolean): PriceQuote {
  const vip = offer.vip;
  if (isMember && vip) {
    const vipPrice = vip.mode === 'free' ? 0 : (vip.priceCoins ?? 0);
    // A member never pays more than everyone else does.
    const memberPrice = offer.priceCoins > 0 ? Math.min(vipPrice, offer.priceCoins) : vipPrice;
    return memberPrice > 0 ? { ok: true, priceCoins: memberPrice, source: 'unlock' } : { ok: true, priceCoins: 0, source: 'vip' };
  }
  if (vip?.mode === 'only' || offer.priceCoins <= 0) return { ok: false, code: 'vip_required' };
  return { ok: true, priceCoins: offer.priceCoins, source: 'unlock' };
}

function parseVip(mode: string | null | undefined, price: string | null | undefined): VipTerms | null {
  const m = mode?.trim();
  if (m !== 'free' && m !== 'discount' && m !== 'only') return null;
  const priceCoins = m === 'free' ? null : parsePriceCoins(price);
  // A discount without a VIP price is no VIP rule at all: members pay what everyone pays.
  if (m === 'discount' && priceCoins === null) return null;
  return { mode: m, priceCoins };
}

function boundedInt(raw: string | null | undefined, max: number): number | null {
  const s = raw?.trim() ?? '';
  if (!/^[0-9]{1,6}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= max ? n : null;
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
      return [
        meta(PRICE_META_KEY).as('price'),
        meta(FILE_META_KEY).as('file'),
        meta(VIP_MODE_META_KEY).as('vip_mode'),
        meta(VIP_PRICE_META_KEY).as('vip_price'),
        meta(ACCESS_DAYS_META_KEY).as('access_days'),
        meta(DOWNLOAD_LIMIT_META_KEY).as('download_limit'),
        meta(PRODUCT_META_KEY).as('ea_product'),
      ];
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
    vip: parseVip(post.vip_mode, post.vip_price),
    accessDays: boundedInt(post.access_days, MAX_ACCESS_DAYS),
    downloadLimit: boundedInt(post.download_limit, MAX_DOWNLOAD_LIMIT),
    sellsLicence: PRODUCT_ID_PATTERN.test(post.ea_product?.trim() ?? ''),
  };
}

/**
 * A published post or page with a positive price, or one members unlock (free for VIP, VIP only), or null:
 * everything else is not for sale.
 */
export async function readOffer(db: DbOrTx, postId: number): Promise<Offer | null> {
  const info = await readPostInfo(db, postId);
  if (!info || info.status !== 'publish' || !SALEABLE_TYPES.includes(info.type)) return null;
  const forMembers = info.vip !== null && info.vip.mode !== 'discount';
  if (info.priceCoins === null && !forMembers) return null;
  return {
    postId,
    title: info.title,
    authorId: info.authorId,
    priceCoins: info.priceCoins ?? 0,
    fileId: info.fileId,
    vip: info.vip,
    accessDays: info.accessDays,
    downloadLimit: info.downloadLimit,
    sellsLicence: info.sellsLicence,
  };
}

/**
 * A first entitlement at `priceCoins`, inserted only when the post's terms are plain and its price is exactly that:
 * published, a post or page, its first _goldcoin_price meta byte for byte the integer, and no VIP or access-days
 * meta at all. That is a case where readOffer and quoteFor give `priceCoins` for anyone with no period end; every
 * other case inserts nothing (false) and is for readOffer to decide. The price is read in the insert itself, at
 * unlock time, under the shared locks INSERT … SELECT takes on what it reads. Comparisons are binary: the
 * columns' collation would take "PUBLISH" or a full-width digit for the ASCII text the parsers above accept.
 * A duplicate (user, post) key throws, as any insert would.
 */
export async function insertPlainEntitlement(
  db: DbOrTx,
  e: { userId: number; postId: number; priceCoins: number; ledgerRef: string; now: Date },
): Promise<boolean> {
  const res = await plainEntitlementInsert(db, { ...e, firstTerm: `${PRICE_META_KEY}:${e.priceCoins}` });
  return res.numAffectedRows === 1n;
}

const plainEntitlementInsert = compiledOnce(
  (db, v: { userId: number; postId: number; priceCoins: number; ledgerRef: string; now: Date; firstTerm: string }) => {
    // One look at the post's price, VIP and access-days rows: VIP and access-days rows sort first, so the first row is a
    // price row only when there is neither, and it is then the first price row by meta_id, as get_post_meta reads it.
    const firstTerm = sql`(SELECT CONCAT(m.meta_key, ':', m.meta_value) FROM ${sql.table('postmeta')} AS m
      WHERE m.post_id = p.ID AND m.meta_key IN (${PRICE_META_KEY}, ${VIP_MODE_META_KEY}, ${ACCESS_DAYS_META_KEY})
      ORDER BY m.meta_key = ${PRICE_META_KEY}, m.meta_id LIMIT 1)`;
    return sql`
      INSERT INTO ${sql.table('entitlements')} (user_id, post_id, price_coins, source, ledger_ref, expires_at, period_started_at)
      SELECT ${v.userId}, p.ID, ${v.priceCoins}, 'unlock', ${v.ledgerRef}, NULL, ${v.now}
      FROM ${sql.table('posts')} AS p
      WHERE p.ID = ${v.postId}
        AND BINARY p.post_status = 'publish'
        AND BINARY p.post_type IN (${sql.join(SALEABLE_TYPES)})
        AND BINARY ${firstTerm} = ${v.firstTerm}`;
  },
);

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

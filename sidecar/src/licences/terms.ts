// An EA post's licence settings (the editor's meta box, read from postmeta) and its file's versions.
import type { DbOrTx } from '../db/database.js';

/** The EA's product id: a post without one sells no licence. */
export const PRODUCT_META_KEY = '_goldcoin_ea_product';
export const MAX_ACTIVATIONS_META_KEY = '_goldcoin_ea_max_activations';
/** "1": demo accounts are activated without using an activation, as many as the buyer likes. */
export const DEMO_FREE_META_KEY = '_goldcoin_ea_demo_free';
/** N: the licence lasts N days from the purchase; absent: as long as the entitlement. */
export const LICENCE_DAYS_META_KEY = '_goldcoin_ea_licence_days';

export const DEFAULT_MAX_ACTIVATIONS = 3;
export const MAX_MAX_ACTIVATIONS = 100;
export const MAX_LICENCE_DAYS = 36_500;
export const PRODUCT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,31}$/;

export interface LicenceTerms {
  productId: string;
  maxActivations: number;
  demoFree: boolean;
  /** null: the licence ends with the entitlement. */
  licenceDays: number | null;
}

function boundedInt(raw: string | null | undefined, max: number): number | null {
  const s = raw?.trim() ?? '';
  if (!/^[0-9]{1,6}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= max ? n : null;
}

/** The post's licence terms, or null when it names no product (not an EA sold with a licence). */
export async function readLicenceTerms(db: DbOrTx, postId: number): Promise<LicenceTerms | null> {
  const rows = await db
    .selectFrom('postmeta')
    .select(['meta_key', 'meta_value'])
    .where('post_id', '=', postId)
    .where('meta_key', 'in', [PRODUCT_META_KEY, MAX_ACTIVATIONS_META_KEY, DEMO_FREE_META_KEY, LICENCE_DAYS_META_KEY])
    .orderBy('meta_id', 'asc')
    .execute();
  // get_post_meta($id, $key, true) reads the first row by meta_id; so do we.
  const first = (key: string) => rows.find((r) => r.meta_key === key)?.meta_value ?? null;
  const productId = first(PRODUCT_META_KEY)?.trim() ?? '';
  if (!PRODUCT_ID_PATTERN.test(productId)) return null;
  return {
    productId,
    maxActivations: boundedInt(first(MAX_ACTIVATIONS_META_KEY), MAX_MAX_ACTIVATIONS) ?? DEFAULT_MAX_ACTIVATIONS,
    demoFree: first(DEMO_FREE_META_KEY)?.trim() === '1',
    licenceDays: boundedInt(first(LICENCE_DAYS_META_KEY), MAX_LICENCE_DAYS),
  };
}

/** Post ids among `postIds` that name an EA product. */
export async function eaPostIds(db: DbOrTx, postIds: number[]): Promise<Set<number>> {
  if (postIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('postmeta')
    .select(['post_id', 'meta_value'])
    .where('post_id', 'in', postIds)
    .where('meta_key', '=', PRODUCT_META_KEY)
    .execute();
  return new Set(rows.filter((r) => PRODUCT_ID_PATTERN.test(r.meta_value?.trim() ?? '')).map((r) => Number(r.post_id)));
}

export interface EaVersion {
  version: string;
  notes: string;
  fileId: number;
  createdAt: Date;
}

/** The newest version an editor uploaded, or null. */
export async function latestVersion(db: DbOrTx, postId: number): Promise<EaVersion | null> {
  const [v] = await versionHistory(db, postId, 1);
  return v ?? null;
}

export const MAX_VERSIONS = 100;

/** Newest first. */
export async function versionHistory(db: DbOrTx, postId: number, limit = MAX_VERSIONS): Promise<EaVersion[]> {
  const rows = await db
    .selectFrom('ea_versions')
    .select(['version', 'notes', 'file_id', 'created_at'])
    .where('post_id', '=', postId)
    .orderBy('id', 'desc')
    .limit(Math.min(limit, MAX_VERSIONS))
    .execute();
  return rows.map((r) => ({ version: r.version, notes: r.notes, fileId: Number(r.file_id), createdAt: r.created_at }));
}

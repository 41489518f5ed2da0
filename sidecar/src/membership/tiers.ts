// The VIP tier store: the site owner's tiers in their own table, seeded from VIP_TIERS on a fresh install, audited.
import type { Selectable } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { inTransaction, isDuplicateKey } from '../db/retry.js';
import type { VipTiersTable } from '../db/tables/vip.js';

export const MAX_TIERS = 50;
export const MAX_TIER_DAYS = 36_500;
export const MAX_TIER_PRICE_COINS = 100_000_000;
export const MAX_DAILY_DOWNLOADS = 10_000;
export const TIER_KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const ROLE_PATTERN = /^[a-z0-9_-]{1,64}$/;

export interface VipTier {
  key: string;
  title: string;
  /** 0 = lifetime. */
  days: number;
  priceCoins: number;
  /** A WordPress role held while the membership lasts. */
  role: string | null;
  /** Posts unlocked free through this tier stay unlocked after the membership ends. */
  keepsUnlocks: boolean;
  /** EA downloads through VIP access per 24 hours; null = no limit. */
  dailyDownloads: number | null;
  active: boolean;
  sortOrder: number;
}

export type TierPatch = Partial<Omit<VipTier, 'key'>>;

function fromRow(r: Selectable<VipTiersTable>): VipTier {
  return {
    key: r.tier_key,
    title: r.title,
    days: r.days,
    priceCoins: Number(r.price_coins),
    role: r.role,
    keepsUnlocks: r.keeps_unlocks === 1,
    dailyDownloads: r.daily_downloads,
    active: r.active === 1,
    sortOrder: r.sort_order,
  };
}

function toRow(t: VipTier) {
  return {
    tier_key: t.key,
    title: t.title,
    days: t.days,
    price_coins: t.priceCoins,
    role: t.role,
    keeps_unlocks: t.keepsUnlocks ? 1 : 0,
    daily_downloads: t.dailyDownloads,
    active: t.active ? 1 : 0,
    sort_order: t.sortOrder,
  };
}

/** The store refuses what the database would take but no one meant: bounds the HTTP schema checks too. */
function assertTier(t: VipTier): void {
  if (!TIER_KEY_PATTERN.test(t.key)) throw new RangeError(`bad tier key ${t.key}`);
  if (!Number.isSafeInteger(t.days) || t.days < 0 || t.days > MAX_TIER_DAYS) throw new RangeError(`bad tier days ${t.days}`);
  if (!Number.isSafeInteger(t.priceCoins) || t.priceCoins <= 0 || t.priceCoins > MAX_TIER_PRICE_COINS) {
    throw new RangeError(`bad tier price ${t.priceCoins}`);
  }
  if (t.role !== null && !ROLE_PATTERN.test(t.role)) throw new RangeError(`bad tier role ${t.role}`);
}

/** A title for a seeded key: `vip-group` → `VIP group`. The owner can rename it. */
function titleOf(key: string): string {
  const words = key.split(/[-_]+/).filter((w) => w.length > 0);
  const text = words.map((w) => (w === 'vip' ? 'VIP' : w)).join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** VIP_TIERS: `key:days:price[:role]` entries, comma-separated; days 0 = lifetime. A one-line reason when wrong. */
export function parseTierSeed(entries: string[], dailyDownloads: number | null): { ok: true; tiers: VipTier[] } | { ok: false; reason: string } {
  const tiers: VipTier[] = [];
  for (const [i, entry] of entries.entries()) {
    const m = /^([a-z0-9][a-z0-9_-]{0,63}):(\d{1,5}):(\d{1,9})(?::([a-z0-9_-]{1,64}))?$/.exec(entry);
    if (!m) return { ok: false, reason: `entry "${entry}" is not key:days:price[:role]` };
    const tier: VipTier = {
      key: m[1]!,
      title: titleOf(m[1]!),
      days: Number(m[2]),
      priceCoins: Number(m[3]),
      role: m[4] ?? null,
      keepsUnlocks: false,
      dailyDownloads,
      active: true,
      sortOrder: i,
    };
    if (tier.days > MAX_TIER_DAYS || tier.priceCoins <= 0 || tier.priceCoins > MAX_TIER_PRICE_COINS) {
      return { ok: false, reason: `entry "${entry}" is out of range` };
    }
    if (tiers.some((t) => t.key === tier.key)) return { ok: false, reason: `key ${tier.key} appears twice` };
    tiers.push(tier);
  }
  if (tiers.length > MAX_TIERS) return { ok: false, reason: `at most ${MAX_TIERS} tiers` };
  return { ok: true, tiers };
}

/**
 * Fills an empty table with the seed; once any tier exists (even one the owner switched off) the seed is
 * never applied again, so the owner's edits win. Safe when several instances start together: the insert of an
 * existing key changes nothing.
 */
export async function seedTiers(db: Db, seed: VipTier[]): Promise<number> {
  if (seed.length === 0) return 0;
  return inTransaction(db, async (trx) => {
    const any = await trx.selectFrom('vip_tiers').select('tier_key').limit(1).executeTakeFirst();
    if (any) return 0;
    let added = 0;
    for (const t of seed) {
      assertTier(t);
      const res = await trx
        .insertInto('vip_tiers')
        .values(toRow(t))
        .onDuplicateKeyUpdate({ tier_key: t.key })
        .executeTakeFirst();
      // MariaDB counts 1 for an inserted row and 0 for a duplicate left as it was.
      if (res.numInsertedOrUpdatedRows === 1n) {
        await trx.insertInto('vip_tier_audit').values({ tier_key: t.key, actor: 'seed:VIP_TIERS', action: 'seed', before_json: null, after_json: JSON.stringify(t) }).execute();
        added++;
      }
    }
    return added;
  });
}

export async function listTiers(db: DbOrTx, opts: { activeOnly: boolean }): Promise<VipTier[]> {
  let q = db.selectFrom('vip_tiers').selectAll();
  if (opts.activeOnly) q = q.where('active', '=', 1);
  const rows = await q.orderBy('sort_order').orderBy('tier_key').limit(MAX_TIERS).execute();
  return rows.map(fromRow);
}

export async function getTier(db: DbOrTx, key: string): Promise<VipTier | undefined> {
  const row = await db.selectFrom('vip_tiers').selectAll().where('tier_key', '=', key).executeTakeFirst();
  return row ? fromRow(row) : undefined;
}

export type TierWriteResult = { ok: true; tier: VipTier } | { ok: false; code: 'tier_exists' | 'unknown_tier' | 'too_many_tiers' };

export async function createTier(db: Db, tier: VipTier, actor: string): Promise<TierWriteResult> {
  assertTier(tier);
  return inTransaction(db, async (trx) => {
    const count = await trx.selectFrom('vip_tiers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_TIERS) return { ok: false, code: 'too_many_tiers' } as const;
    try {
      await trx.insertInto('vip_tiers').values(toRow(tier)).execute();
    } catch (err) {
      if (isDuplicateKey(err)) return { ok: false, code: 'tier_exists' } as const;
      throw err;
    }
    await trx.insertInto('vip_tier_audit').values({ tier_key: tier.key, actor, action: 'create', before_json: null, after_json: JSON.stringify(tier) }).execute();
    return { ok: true, tier } as const;
  });
}

/** Changes apply to purchases from now on: a membership bought keeps the days it was sold with. */
export async function updateTier(db: Db, key: string, patch: TierPatch, actor: string): Promise<TierWriteResult> {
  return inTransaction(db, async (trx) => {
    const row = await trx.selectFrom('vip_tiers').selectAll().where('tier_key', '=', key).forUpdate().executeTakeFirst();
    if (!row) return { ok: false, code: 'unknown_tier' } as const;
    const before = fromRow(row);
    const after: VipTier = { ...before, ...patch, key };
    assertTier(after);
    await trx.updateTable('vip_tiers').set(toRow(after)).where('tier_key', '=', key).execute();
    await trx
      .insertInto('vip_tier_audit')
      .values({ tier_key: key, actor, action: 'update', before_json: JSON.stringify(before), after_json: JSON.stringify(after) })
      .execute();
    return { ok: true, tier: after } as const;
  });
}

export async function tierAudit(db: DbOrTx, key: string, limit: number) {
  return db.selectFrom('vip_tier_audit').selectAll().where('tier_key', '=', key).orderBy('id', 'desc').limit(Math.min(Math.max(limit, 1), 100)).execute();
}

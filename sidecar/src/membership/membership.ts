// VIP memberships: buying or renewing a tier with coins in one transaction, reading a member's state, listing members.
import { sql, type Selectable } from 'kysely';
import { compiledOnce } from '../db/compiled.js';
import type { Db, DbOrTx } from '../db/database.js';
import { isDuplicateKey, RetryTransaction } from '../db/retry.js';
import type { VipMembershipsTable, VipPurchasesTable } from '../db/tables/vip.js';
import { keysetPage } from '../db/paging.js';
import { applyMovementInTx, readBalance } from '../ledger/ledger.js';
import { enqueueNotification } from '../notify/outbox.js';
import { inTransactionOrRollback, Rollback } from '../db/tx.js';
import { getTier, type VipTier } from './tiers.js';

export type Membership = Selectable<VipMembershipsTable>;
export type Purchase = Selectable<VipPurchasesTable>;

export const DAY_MS = 86_400_000;
export const MAX_MEMBERS_PAGE = 100;

export const vipLedgerRef = (userId: number, idemKey: string) => `vip:${userId}:${idemKey}`;

export function isActive(m: Pick<Membership, 'expires_at'> | undefined, now: Date): boolean {
  return m !== undefined && (m.expires_at === null || m.expires_at.getTime() > now.getTime());
}

const membershipRow = compiledOnce((db, v: { userId: number }) => db.selectFrom('vip_memberships').selectAll().where('user_id', '=', v.userId));

export async function findMembership(db: DbOrTx, userId: number): Promise<Membership | undefined> {
  return (await membershipRow(db, { userId })).rows[0];
}

/** A member now, with the tier's terms as they are today; null for anyone else. */
export interface ActiveMember {
  membership: Membership;
  tier: VipTier | null;
}

export async function activeMember(db: DbOrTx, userId: number, now: Date): Promise<ActiveMember | null> {
  const m = await findMembership(db, userId);
  if (!m || !isActive(m, now)) return null;
  return { membership: m, tier: (await getTier(db, m.tier_key)) ?? null };
}

/** When a VIP unlock made now ends: with the membership, or never (lifetime, or a tier that keeps unlocks). */
export function vipAccessEnd(member: ActiveMember): Date | null {
  if (member.tier?.keepsUnlocks || member.membership.expires_at === null) return null;
  return member.membership.expires_at;
}

export type BuyResult =
  | { ok: true; replayed: boolean; purchase: Purchase; membership: Membership; balance: number; chargedCoins: number }
  | { ok: false; code: 'insufficient_coins'; balance: number; priceCoins: number; shortfall: number }
  | { ok: false; code: 'already_lifetime' };

class AlreadyBought extends Error {}

/**
 * The membership row is locked first, so purchases by one user queue; renewing early extends from the current
 * expiry. The purchase row's unique ledger_ref (from the Idempotency-Key) makes a retry a no-op; the debit is the
 * ledger's conditional UPDATE, so purchases and unlocks together never spend more than the balance. VIP unlocks
 * held through the membership move to its new end in the same transaction.
 */
export async function buyTier(
  db: Db,
  req: { userId: number; tier: VipTier; idemKey: string; now: Date; locale?: string },
): Promise<BuyResult> {
  const { userId, tier, now } = req;
  const ref = vipLedgerRef(userId, req.idemKey);
  const earlier = await findPurchase(db, ref);
  if (earlier) return replay(db, earlier);
  try {
    return await inTransactionOrRollback<BuyResult>(db, async (trx) => {
      const current = await trx.selectFrom('vip_memberships').selectAll().where('user_id', '=', userId).forUpdate().executeTakeFirst();
      const active = isActive(current, now);
      if (active && current!.expires_at === null) throw new Rollback<BuyResult>({ ok: false, code: 'already_lifetime' });
      const startsAt = active ? current!.expires_at! : now;
      const endsAt = tier.days === 0 ? null : new Date(startsAt.getTime() + tier.days * DAY_MS);
      let purchaseId: number;
      try {
        const ins = await trx
          .insertInto('vip_purchases')
          .values({ user_id: userId, tier_key: tier.key, price_coins: tier.priceCoins, ledger_ref: ref, starts_at: startsAt, ends_at: endsAt })
          .executeTakeFirstOrThrow();
        purchaseId = Number(ins.insertId);
      } catch (err) {
        if (isDuplicateKey(err)) throw new AlreadyBought();
        throw err;
      }
      const debit = await applyMovementInTx(trx, {
        userId,
        deltaCoins: -tier.priceCoins,
        kind: 'vip',
        idempotencyRef: ref,
        actor: `user:${userId}`,
        refType: 'vip_tier',
        refId: tier.key,
        memo: { code: 'vip', params: { title: tier.title }, text: tier.title },
      });
      if (!debit.ok) {
        if (debit.code === 'insufficient_coins') {
          throw new Rollback<BuyResult>({ ok: false, code: 'insufficient_coins', balance: debit.balance, priceCoins: tier.priceCoins, shortfall: debit.shortfall });
        }
        throw new Error(`vip ledger reference ${ref} is held by another movement`);
      }
      const since = active ? current!.since : now;
      if (current) {
        await trx
          .updateTable('vip_memberships')
          .set({ tier_key: tier.key, since, expires_at: endsAt, purchases: sql`purchases + 1` })
          .where('user_id', '=', userId)
          .execute();
      } else {
        try {
          await trx.insertInto('vip_memberships').values({ user_id: userId, tier_key: tier.key, since, expires_at: endsAt, purchases: 1 }).execute();
        } catch (err) {
          // A first purchase raced another one by the same user: run again behind its lock.
          if (isDuplicateKey(err)) throw new RetryTransaction('first vip purchase raced');
          throw err;
        }
      }
      if (active) {
        await trx
          .updateTable('entitlements')
          .set({ expires_at: tier.keepsUnlocks ? null : endsAt })
          .where('user_id', '=', userId)
          .where('source', '=', 'vip')
          .where('expires_at', '=', current!.expires_at)
          .execute();
      }
      await enqueueNotification(trx, {
        userId,
        kind: 'vip_purchased',
        dedupeKey: ref,
        data: { tier_key: tier.key, tier_title: tier.title, coins: tier.priceCoins, expires_at: endsAt?.toISOString() ?? null, balance: debit.balance },
        ...(req.locale ? { locale: req.locale } : {}),
      });
      const purchase = await trx.selectFrom('vip_purchases').selectAll().where('id', '=', purchaseId).executeTakeFirstOrThrow();
      const membership = await trx.selectFrom('vip_memberships').selectAll().where('user_id', '=', userId).executeTakeFirstOrThrow();
      return { ok: true, replayed: false, purchase, membership, balance: debit.balance, chargedCoins: tier.priceCoins };
    });
  } catch (err) {
    if (!(err instanceof AlreadyBought)) throw err;
    const twin = await findPurchase(db, ref);
    if (!twin) throw new Error(`vip purchase ${ref} vanished after a duplicate key`);
    return replay(db, twin);
  }
}

async function replay(db: DbOrTx, purchase: Purchase): Promise<BuyResult> {
  const membership = await findMembership(db, purchase.user_id);
  if (!membership) throw new Error(`vip purchase ${purchase.ledger_ref} has no membership`);
  return { ok: true, replayed: true, purchase, membership, balance: await readBalance(db, purchase.user_id), chargedCoins: 0 };
}

export async function findPurchase(db: DbOrTx, ref: string): Promise<Purchase | undefined> {
  return db.selectFrom('vip_purchases').selectAll().where('ledger_ref', '=', ref).executeTakeFirst();
}

export interface MemberRow {
  userId: number;
  displayName: string | null;
  tierKey: string;
  since: Date;
  expiresAt: Date | null;
  active: boolean;
  purchases: number;
}

/** Members by user id, newest first, filtered by tier and by whether the membership is running now. */
export async function listMembers(
  db: DbOrTx,
  f: { tierKey?: string; status?: 'active' | 'expired'; beforeUserId: number | null; limit: number; now: Date },
): Promise<{ members: MemberRow[]; nextCursor: string | null }> {
  const size = Math.min(Math.max(f.limit, 1), MAX_MEMBERS_PAGE);
  let q = db
    .selectFrom('vip_memberships as m')
    .leftJoin('users as u', 'u.ID', 'm.user_id')
    .select(['m.user_id', 'u.display_name', 'm.tier_key', 'm.since', 'm.expires_at', 'm.purchases']);
  if (f.tierKey !== undefined) q = q.where('m.tier_key', '=', f.tierKey);
  if (f.status === 'active') q = q.where((eb) => eb.or([eb('m.expires_at', 'is', null), eb('m.expires_at', '>', f.now)]));
  if (f.status === 'expired') q = q.where('m.expires_at', '<=', f.now);
  if (f.beforeUserId !== null) q = q.where('m.user_id', '<', f.beforeUserId);
  const rows = await q.orderBy('m.user_id', 'desc').limit(size + 1).execute();
  const { page, nextCursor } = keysetPage(rows.map((r) => ({ ...r, id: Number(r.user_id) })), size);
  return {
    members: page.map((r) => ({
      userId: Number(r.user_id),
      displayName: r.display_name ?? null,
      tierKey: r.tier_key,
      since: r.since,
      expiresAt: r.expires_at,
      active: isActive(r, f.now),
      purchases: r.purchases,
    })),
    nextCursor,
  };
}

export const MAX_PURCHASES_PAGE = 50;

export interface PurchaseRow {
  id: number;
  tierKey: string;
  /** The tier's title today; null when the tier is gone. */
  tierTitle: string | null;
  priceCoins: number;
  boughtAt: Date;
  startsAt: Date;
  /** null = lifetime. */
  endsAt: Date | null;
  /** running now, bought ahead (a renewal starting when the running period ends), or over. */
  state: 'running' | 'upcoming' | 'ended';
}

/**
 * The user's membership purchases, newest first: each is a period of its tier (a renewal's starts where the one before
 * ends), so ended memberships stay in "what I bought" with the running one.
 */
export async function listPurchases(
  db: DbOrTx,
  f: { userId: number; beforeId: number | null; limit: number; now: Date },
): Promise<{ purchases: PurchaseRow[]; nextCursor: string | null }> {
  const size = Math.min(Math.max(f.limit, 1), MAX_PURCHASES_PAGE);
  let q = db
    .selectFrom('vip_purchases as p')
    .leftJoin('vip_tiers as t', 't.tier_key', 'p.tier_key')
    .select(['p.id', 'p.tier_key', 't.title', 'p.price_coins', 'p.created_at', 'p.starts_at', 'p.ends_at'])
    .where('p.user_id', '=', f.userId);
  if (f.beforeId !== null) q = q.where('p.id', '<', f.beforeId);
  const { page, nextCursor } = keysetPage(await q.orderBy('p.id', 'desc').limit(size + 1).execute(), size);
  const now = f.now.getTime();
  return {
    purchases: page.map((p) => ({
      id: p.id,
      tierKey: p.tier_key,
      tierTitle: p.title ?? null,
      priceCoins: p.price_coins,
      boughtAt: p.created_at,
      startsAt: p.starts_at,
      endsAt: p.ends_at,
      state: p.starts_at.getTime() > now ? 'upcoming' : p.ends_at !== null && p.ends_at.getTime() <= now ? 'ended' : 'running',
    })),
    nextCursor,
  };
}

/** Coins spent on memberships, and how many, since a moment (the stats' window). */
export async function membershipRevenue(db: DbOrTx, since: Date): Promise<{ coins: number; purchases: number }> {
  const row = await db
    .selectFrom('coin_ledger')
    .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('delta_coins'), eb.lit(0)).as('sum'), eb.fn.countAll<number>().as('n')])
    .where('kind', '=', 'vip')
    .where('created_at', '>=', since)
    .executeTakeFirstOrThrow();
  return { coins: -Number(row.sum), purchases: Number(row.n) };
}

/** The WordPress role the membership carries, and whether the user should hold it now. */
export async function membershipRole(db: DbOrTx, userId: number, now: Date): Promise<{ role: string; expiresAt: Date | null; active: boolean } | null> {
  const m = await findMembership(db, userId);
  if (!m) return null;
  const tier = await getTier(db, m.tier_key);
  if (!tier?.role) return null;
  return { role: tier.role, expiresAt: m.expires_at, active: isActive(m, now) };
}

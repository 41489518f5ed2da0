// Redeeming catalog rewards: debit, stock and per-user limits, and fulfilment in one transaction.
import { randomInt } from 'node:crypto';
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { isDuplicateKey, RetryTransaction } from '../db/retry.js';
import type { RewardRedemptionsTable } from '../db/tables/reward-redemptions.js';
import type { RoleGrantsTable } from '../db/tables/role-grants.js';
import type { Database } from '../db/types.js';
import { applyMovementInTx, readBalance } from '../ledger/ledger.js';
import { enqueueNotification } from '../notify/outbox.js';
import type { RewardDef } from './catalog.js';
import { inTransactionOrRollback, Rollback } from '../db/tx.js';
import { keysetPage } from '../db/paging.js';

export type Redemption = Selectable<RewardRedemptionsTable>;
export type RoleGrant = Selectable<RoleGrantsTable>;

/** reward_counters.user_id for the site-wide stock counter (WordPress user IDs start at 1). */
const STOCK_ROW = 0;
export const MAX_LIST = 100;
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const CODE_CHARS = 12;

export interface RewardView {
  reward: RewardDef;
  stockLeft: number | null;
  redeemedByMe: number;
}

export async function listRewards(db: DbOrTx, catalog: RewardDef[], userId: number): Promise<RewardView[]> {
  if (catalog.length === 0) return [];
  const counters = await db
    .selectFrom('reward_counters')
    .select(['reward_key', 'user_id', 'redeemed'])
    .where('reward_key', 'in', catalog.map((r) => r.key))
    .where('user_id', 'in', [STOCK_ROW, userId])
    .execute();
  const count = (key: string, user: number) =>
    counters.find((c) => c.reward_key === key && Number(c.user_id) === user)?.redeemed ?? 0;
  return catalog.map((reward) => ({
    reward,
    stockLeft: reward.stock === null ? null : Math.max(0, reward.stock - count(reward.key, STOCK_ROW)),
    redeemedByMe: count(reward.key, userId),
  }));
}

export type RedeemResult =
  | { ok: true; replayed: boolean; redemption: Redemption; balance: number }
  | { ok: false; code: 'insufficient_coins'; balance: number; costCoins: number; shortfall: number }
  | { ok: false; code: 'out_of_stock' | 'limit_reached' };

export const redeemLedgerRef = (userId: number, idemKey: string) => `reward:${userId}:${idemKey}`;

export function generateCode(prefix: string): string {
  let s = '';
  for (let i = 0; i < CODE_CHARS; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return `${prefix}${s}`;
}

class AlreadyRedeemed extends Error {}

/**
 * The redemption row goes in first: its unique ledger_ref (from the Idempotency-Key) makes concurrent
 * repeats queue behind one another and find it taken. Limits are counter rows bumped by a conditional
 * UPDATE inside the same transaction, so a refused limit or a short balance undoes everything.
 */
export async function redeemReward(
  db: Db,
  req: { userId: number; reward: RewardDef; idemKey: string; locale?: string },
): Promise<RedeemResult> {
  const { userId, reward } = req;
  const ref = redeemLedgerRef(userId, req.idemKey);
  const earlier = await findRedemption(db, ref);
  if (earlier) return { ok: true, replayed: true, redemption: earlier, balance: await readBalance(db, userId) };
  try {
    return await inTransactionOrRollback<RedeemResult>(db, async (trx) => {
      const code = reward.fulfilment === 'code' ? generateCode(reward.value) : null;
      const value = code ?? reward.value;
      let redemptionId: number;
      try {
        const ins = await trx
          .insertInto('reward_redemptions')
          .values({
            user_id: userId,
            reward_key: reward.key,
            cost_coins: reward.costCoins,
            fulfilment_type: reward.fulfilment,
            fulfilment_value: value,
            code,
            ledger_ref: ref,
          })
          .executeTakeFirstOrThrow();
        redemptionId = Number(ins.insertId);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        if (String((err as Error).message).includes('ledger_ref')) throw new AlreadyRedeemed();
        throw new RetryTransaction('generated reward code collided');
      }

      const debit = await applyMovementInTx(trx, {
        userId,
        deltaCoins: -reward.costCoins,
        kind: 'reward',
        idempotencyRef: ref,
        actor: `user:${userId}`,
        refType: 'reward',
        refId: String(redemptionId),
        memo: { code: 'reward', params: { title: reward.title }, text: reward.title },
      });
      if (!debit.ok) {
        if (debit.code === 'insufficient_coins') {
          throw new Rollback<RedeemResult>({
            ok: false,
            code: 'insufficient_coins',
            balance: debit.balance,
            costCoins: reward.costCoins,
            shortfall: debit.shortfall,
          });
        }
        throw new Error(`reward ledger reference ${ref} is held by another movement`);
      }
      // The user's own counter first, the site-wide (hot) one last, so it is held for the shortest time.
      if (!(await bumpCounter(trx, reward.key, userId, reward.perUserLimit))) {
        throw new Rollback<RedeemResult>({ ok: false, code: 'limit_reached' });
      }
      if (!(await bumpCounter(trx, reward.key, STOCK_ROW, reward.stock))) {
        throw new Rollback<RedeemResult>({ ok: false, code: 'out_of_stock' });
      }
      await fulfil(trx, reward, userId, redemptionId, ref);
      await enqueueNotification(trx, {
        userId,
        kind: 'reward_redeemed',
        dedupeKey: ref,
        // A code or link is repeated in the notification (and its email), so it is found again without the wallet.
        data: {
          reward_key: reward.key,
          reward_name: reward.title,
          coins: reward.costCoins,
          balance: debit.balance,
          ...(reward.fulfilment === 'code' || reward.fulfilment === 'link' ? { fulfilment_type: reward.fulfilment, fulfilment_value: value } : {}),
        },
        ...(req.locale ? { locale: req.locale } : {}),
      });
      const redemption = await trx.selectFrom('reward_redemptions').selectAll().where('id', '=', redemptionId).executeTakeFirstOrThrow();
      return { ok: true, replayed: false, redemption, balance: debit.balance };
    });
  } catch (err) {
    if (!(err instanceof AlreadyRedeemed)) throw err;
    const twin = await findRedemption(db, ref);
    if (!twin) throw new Error(`redemption ${ref} vanished after a duplicate key`);
    return { ok: true, replayed: true, redemption: twin, balance: await readBalance(db, userId) };
  }
}

/** Adds one redemption to a counter unless it is at its limit (null = no limit); false when refused. */
async function bumpCounter(trx: Transaction<Database>, key: string, userId: number, limit: number | null): Promise<boolean> {
  await sql`INSERT INTO ${sql.table('reward_counters')} (reward_key, user_id, redeemed) VALUES (${key}, ${userId}, 0)
            ON DUPLICATE KEY UPDATE redeemed = redeemed`.execute(trx);
  let q = trx
    .updateTable('reward_counters')
    .set({ redeemed: sql`redeemed + 1` })
    .where('reward_key', '=', key)
    .where('user_id', '=', userId);
  if (limit !== null) q = q.where('redeemed', '<', limit);
  const res = await q.executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

async function fulfil(trx: Transaction<Database>, reward: RewardDef, userId: number, redemptionId: number, ref: string) {
  if (reward.fulfilment === 'entitlement') {
    await sql`INSERT INTO ${sql.table('entitlements')} (user_id, post_id, price_coins, source, ledger_ref)
              VALUES (${userId}, ${Number(reward.value)}, ${reward.costCoins}, 'reward', ${ref})
              ON DUPLICATE KEY UPDATE user_id = user_id`.execute(trx);
  } else if (reward.fulfilment === 'role') {
    await trx.insertInto('role_grants').values({ user_id: userId, role: reward.value, redemption_id: redemptionId }).execute();
  }
  // code and link need nothing more: the value stored on the redemption is what the user is shown.
}

export async function findRedemption(db: DbOrTx, ref: string): Promise<Redemption | undefined> {
  return db.selectFrom('reward_redemptions').selectAll().where('ledger_ref', '=', ref).executeTakeFirst();
}

/** Newest first, keyset-paged by id; userId/rewardKey narrow it (admins see everyone's). */
export async function listRedemptions(
  db: DbOrTx,
  f: { userId?: number; rewardKey?: string; beforeId: number | null; limit: number },
): Promise<{ redemptions: Redemption[]; nextCursor: string | null }> {
  const size = Math.min(Math.max(f.limit, 1), MAX_LIST);
  let q = db.selectFrom('reward_redemptions').selectAll();
  if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
  if (f.rewardKey !== undefined) q = q.where('reward_key', '=', f.rewardKey);
  if (f.beforeId !== null) q = q.where('id', '<', f.beforeId);
  const { page, nextCursor } = keysetPage(await q.orderBy('id', 'desc').limit(size + 1).execute(), size);
  return { redemptions: page, nextCursor };
}

export async function listRoleGrants(db: DbOrTx, userId: number): Promise<RoleGrant[]> {
  return db.selectFrom('role_grants').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(MAX_LIST).execute();
}

// Creating and reading recharges: freeze the quote, open the provider's transaction, store what the IPN needs.
import { sql, type Selectable } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db, DbOrTx } from '../db/database.js';
import type { Logger } from '../log.js';
import { inTransaction, isDuplicateKey } from '../db/retry.js';
import type { RechargeTransactionsTable } from '../db/tables/recharge-transactions.js';
import type { CreatedPayment, PaymentProvider } from './provider.js';
import { formatTiers } from './bonus-tiers.js';
import { quote, usdAmount, type Quote, type QuoteError, type QuoteInput, type RechargeConfig } from './quote.js';
import { keysetPage } from '../db/paging.js';

export type RechargeRow = Selectable<RechargeTransactionsTable>;
export const MAX_LIST_PAGE = 50;
const DAY_MS = 86_400_000;

export interface CreateDeps {
  db: Db;
  provider: PaymentProvider;
  recharge: RechargeConfig;
  priceCurrency: string;
  clock: Clock;
  log: Logger;
}

export interface Buyer {
  id: number;
  email: string;
  name: string;
  /** The WordPress locale from the token; the recharge's notifications are written in it. */
  locale: string;
}

export type CreateResult =
  | { ok: true; recharge: RechargeRow; replayed: boolean }
  | { ok: false; code: QuoteError | 'daily_limit_exceeded' | 'request_in_progress'; message: string }
  | { ok: false; code: 'provider_unavailable'; message: string; cause: string };

/**
 * Validates and prices the request, records a pending row (the daily limit is checked under the
 * wallet row's lock, so concurrent requests cannot overshoot it), then asks the provider for a
 * transaction. A provider failure marks the row failed and frees the idempotency key: nothing is
 * credited and the client may try again. create_transaction itself is never retried here.
 */
export async function createRecharge(deps: CreateDeps, buyer: Buyer, input: QuoteInput, idempotencyKey: string): Promise<CreateResult> {
  const q = quote(deps.recharge, deps.priceCurrency, input);
  if (!q.ok) return q;
  const { quote: qt } = q;
  // USD at the provider's rate of the moment; the configured rate when it has none.
  const amountUsd = usdAmount(qt.priceAmount, (await deps.provider.usdRate(qt.priceCurrency)) ?? deps.recharge.usdRate);
  const reserved = await reserveRecharge(deps, buyer, qt, amountUsd, idempotencyKey);

  const inProgress = { ok: false, code: 'request_in_progress', message: 'a recharge with this Idempotency-Key is being created' } as const;
  if (reserved.kind === 'existing') return reserved.row.txn_id === null ? inProgress : { ok: true, recharge: reserved.row, replayed: true };
  if (reserved.kind === 'in_progress') return inProgress;
  if (reserved.kind === 'limit') {
    return { ok: false, code: 'daily_limit_exceeded', message: `at most ${deps.recharge.dailyMaxCoins} coins per 24 hours (${reserved.coinsToday} already)` };
  }
  const id = reserved.id;

  const created = await deps.provider.createPayment({
    rechargeId: id,
    priceAmount: qt.priceAmount,
    priceCurrency: qt.priceCurrency,
    payCurrency: qt.payCurrency,
    buyerEmail: buyer.email,
    buyerName: buyer.name,
    itemName: `${qt.coins} gold coins`,
  });
  if (!created.ok) {
    await failUnopened(deps, id);
    return { ok: false, code: 'provider_unavailable', message: 'the payment provider is not available; nothing was charged', cause: created.message };
  }
  const stored = await storeProviderAnswer(deps, id, created.value);
  const row = (await findRecharge(deps.db, id))!;
  if (!stored) {
    // The provider's transaction exists but is not ours to follow any more: log it so a person can look it up.
    deps.log.warn('recharge: provider answered after the recharge moved on; answer not stored', { recharge_id: id, txn_id: created.value.txnId, status: row.status });
  }
  return { ok: true, recharge: row, replayed: false };
}

type Reservation =
  | { kind: 'existing'; row: RechargeRow }
  | { kind: 'in_progress' }
  | { kind: 'limit'; coinsToday: number }
  | { kind: 'reserved'; id: number };

/** Under the buyer's wallet lock: the recharge already made with this key, a refusal, or a new pending row. */
async function reserveRecharge(deps: CreateDeps, buyer: Buyer, qt: Quote, amountUsd: string, idempotencyKey: string): Promise<Reservation> {
  const now = deps.clock.now();
  return inTransaction(deps.db, async (trx): Promise<Reservation> => {
    // Lock first: InnoDB takes its read snapshot at the first plain read, which must see the
    // recharges a concurrent request committed while we waited for the lock.
    await sql`INSERT IGNORE INTO ${sql.table('user_wallet')} (user_id, total_coins) VALUES (${buyer.id}, 0)`.execute(trx);
    await trx.selectFrom('user_wallet').select('user_id').where('user_id', '=', buyer.id).forUpdate().executeTakeFirst();
    const existing = await trx
      .selectFrom('recharge_transactions')
      .selectAll()
      .where('user_id', '=', buyer.id)
      .where('idempotency_key', '=', idempotencyKey)
      .executeTakeFirst();
    if (existing) return { kind: 'existing', row: existing };
    const coinsToday = await coinsInLastDay(trx, buyer.id, now);
    if (coinsToday + qt.coins > deps.recharge.dailyMaxCoins) return { kind: 'limit', coinsToday };
    try {
      const ins = await trx
        .insertInto('recharge_transactions')
        .values({
          user_id: buyer.id,
          idempotency_key: idempotencyKey,
          coins: qt.coins,
          bonus_coins: qt.bonusCoins,
          bonus_tiers: formatTiers(qt.bonusTiers),
          payment_method: qt.method,
          price_amount: qt.priceAmount,
          price_currency: qt.priceCurrency,
          amount_usd: amountUsd,
          status: 'pending',
          provider: deps.provider.name,
          provider_account: deps.provider.account.slice(0, 191),
          crypto_currency: qt.payCurrency,
          buyer_email: buyer.email,
          locale: buyer.locale.slice(0, 20) || null,
          created_at: now,
        })
        .executeTakeFirstOrThrow();
      return { kind: 'reserved', id: Number(ins.insertId) };
    } catch (err) {
      if (isDuplicateKey(err)) return { kind: 'in_progress' };
      throw err;
    }
  });
}

/** Coins the user asked for in the 24 hours before now, failed recharges not counted. */
async function coinsInLastDay(trx: DbOrTx, userId: number, now: Date): Promise<number> {
  const day = await trx
    .selectFrom('recharge_transactions')
    .select(sql<string>`COALESCE(SUM(coins), 0)`.as('coins'))
    .where('user_id', '=', userId)
    .where('status', '<>', 'failed')
    .where('created_at', '>=', new Date(now.getTime() - DAY_MS))
    .executeTakeFirstOrThrow();
  return Number(day.coins);
}

/**
 * The provider opened nothing: fail the row and free its key, so the client may try again. Single-statement
 * writes go through inTransaction too: the reconciler's claim can make them a deadlock victim.
 */
async function failUnopened(deps: CreateDeps, id: number): Promise<void> {
  await inTransaction(deps.db, (trx) =>
    trx
      .updateTable('recharge_transactions')
      .set({ status: 'failed', failed_at: deps.clock.now(), failed_reason: 'provider_unavailable', idempotency_key: null })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute(),
  );
}

/** Stores the payment instructions; false when the row moved on meanwhile (then nothing is written). */
async function storeProviderAnswer(deps: CreateDeps, id: number, p: CreatedPayment): Promise<boolean> {
  const createdAt = deps.clock.now();
  const saved = await inTransaction(deps.db, (trx) =>
    trx
      .updateTable('recharge_transactions')
      .set({
        txn_id: p.txnId,
        provider_reference: p.reference?.slice(0, 64) ?? null,
        crypto_amount: p.amount,
        address: p.address.slice(0, 191),
        dest_tag: p.destTag,
        confirms_needed: p.confirmsNeeded,
        checkout_url: p.checkoutUrl.slice(0, 512),
        status_url: p.statusUrl.slice(0, 512),
        qrcode_url: p.qrcodeUrl.slice(0, 512),
        expires_at: p.timeoutS === null ? null : new Date(createdAt.getTime() + p.timeoutS * 1000),
        provider_status: 0,
        // Due at once: a reconciler pass sees the payment from its first run, whatever the IPNs do.
        next_reconcile_at: createdAt,
      })
      .where('id', '=', id)
      // The answer may come after the row moved on (failed as abandoned while create_transaction hung): never revive it.
      .where('status', '=', 'pending')
      .where('txn_id', 'is', null)
      .executeTakeFirst(),
  );
  return saved.numUpdatedRows === 1n;
}

/** Pending recharges in the whole database (an index range on status): the pending-payments gauge. */
export async function countPendingRecharges(db: Db): Promise<number> {
  const row = await db
    .selectFrom('recharge_transactions')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findRecharge(db: Db, id: number): Promise<RechargeRow | undefined> {
  return db.selectFrom('recharge_transactions').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Several recharges in one query (the event streams' poller); those that do not exist are left out. */
export async function findRecharges(db: Db, ids: number[]): Promise<RechargeRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('recharge_transactions').selectAll().where('id', 'in', ids).execute();
}

/** The user's recharges, newest first, keyset-paged by id. */
export async function listRecharges(db: Db, userId: number, beforeId: number | null, limit: number) {
  const size = Math.min(Math.max(limit, 1), MAX_LIST_PAGE);
  let q = db.selectFrom('recharge_transactions').selectAll().where('user_id', '=', userId);
  if (beforeId !== null) q = q.where('id', '<', beforeId);
  const { page, nextCursor } = keysetPage(await q.orderBy('id', 'desc').limit(size + 1).execute(), size);
  return { rows: page, nextCursor };
}

// Shared by the fault and scale-out tests: priced posts, recharges created over HTTP, notification storms, credit checks.
import { sql } from 'kysely';
import type { Db } from '../../sidecar/src/db/database.js';
import { STORM } from './sizing.js';

const { CREATE_MAX_ATTEMPTS, REQUEST_TIMEOUT_MS } = STORM;

export async function insertPricedPost(db: Db, author: number, priceCoins: number): Promise<number> {
  const res = await sql`INSERT INTO ${sql.table('posts')}
      (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name,
       to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, post_type)
    VALUES (${author}, NOW(), NOW(), '', 'Fault EA', '', 'publish', 'fault-ea', '', '', NOW(), NOW(), '', 'post')`.execute(db);
  const id = Number(res.insertId);
  await db.insertInto('postmeta').values({ post_id: id, meta_key: '_goldcoin_price', meta_value: String(priceCoins) }).execute();
  return id;
}

export interface CreatedRecharge {
  userId: number;
  txnId: string;
  coins: number;
  bonusCoins: number;
}

/**
 * Creates `count` recharges through POST /api/recharges, round-robin over the instances, `concurrency` at a
 * time; a refused or failed attempt is retried with the same Idempotency-Key. Returns them and the refusals seen.
 */
export async function createRecharges(opts: {
  urls: string[];
  users: number[];
  tokens: Map<number, string>;
  count: number;
  concurrency: number;
}): Promise<{ recharges: CreatedRecharge[]; refusals: Map<string, number> }> {
  const recharges: CreatedRecharge[] = [];
  const refusals = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < opts.count) {
        const i = next++;
        const userId = opts.users[i % opts.users.length]!;
        let done = false;
        for (let attempt = 0; attempt < CREATE_MAX_ATTEMPTS && !done; attempt++) {
          const url = opts.urls[(i + attempt) % opts.urls.length]!;
          try {
            const res = await fetch(`${url}/api/recharges`, {
              method: 'POST',
              headers: {
                Authorization: `Bearer ${opts.tokens.get(userId)}`,
                'Content-Type': 'application/json',
                'Idempotency-Key': `storm-recharge-${i}`,
              },
              body: JSON.stringify({ package_id: 'p22', method: 'USDT', network: 'USDT.TRC20' }),
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            const body = (await res.json()) as { coins: number; bonus_coins: number; payment: { txn_id: string }; error?: { code: string } };
            if (res.status === 201) {
              recharges.push({ userId, txnId: body.payment.txn_id, coins: body.coins, bonusCoins: body.bonus_coins });
              done = true;
            } else {
              const why = `${res.status} ${body.error?.code ?? ''}`;
              refusals.set(why, (refusals.get(why) ?? 0) + 1);
              await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
            }
          } catch (err) {
            const why = `network ${(err as Error).message}`;
            refusals.set(why, (refusals.get(why) ?? 0) + 1);
          }
        }
        if (!done) throw new Error(`recharge ${i} was not created after ${CREATE_MAX_ATTEMPTS} attempts: ${JSON.stringify([...refusals])}`);
      }
    }),
  );
  return { recharges, refusals };
}

export function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** One notification as the provider sends it: a legacy IPN, or a new-platform webhook (path `/webhooks/coinpayments`). */
export interface StormMessage {
  /** Where on the sidecar it goes; `/ipn/coinpayments` when absent. */
  path?: string;
  body: string;
  headers: Record<string, string>;
}

export interface StormReport {
  deliveries: number;
  accepted: number;
  /** Answers other than 200 (a 5xx while the database or the process was going away). */
  refused: number;
  /** Attempts without an answer: the instance was down. */
  unanswered: number;
  /** Deliveries that never got a 200 within their attempts: CoinPayments gave up; the reconciler must catch up. */
  lost: number;
}

/**
 * Sends every message `copies` times, shuffled, from `concurrency` workers, each delivery to the instance
 * `pickUrl` chooses at that moment, with at most `attempts` tries per delivery.
 */
export async function ipnStorm(opts: {
  messages: StormMessage[];
  copies: number;
  concurrency: number;
  attempts: number;
  /** Pause before a retry, as CoinPayments waits between its attempts. */
  retryDelayMs?: number;
  pickUrl: (i: number) => string;
}): Promise<StormReport> {
  const queue = shuffled(opts.messages.flatMap((m) => Array.from({ length: opts.copies }, () => m)));
  const report: StormReport = { deliveries: queue.length, accepted: 0, refused: 0, unanswered: 0, lost: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < queue.length) {
        const i = next++;
        const m = queue[i]!;
        let ok = false;
        for (let attempt = 0; attempt < opts.attempts && !ok; attempt++) {
          if (attempt > 0 && opts.retryDelayMs) await new Promise((r) => setTimeout(r, opts.retryDelayMs));
          try {
            const res = await fetch(`${opts.pickUrl(i + attempt)}${m.path ?? '/ipn/coinpayments'}`, {
              method: 'POST',
              headers: m.headers,
              body: m.body,
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            await res.arrayBuffer();
            if (res.status === 200) ok = true;
            else report.refused++;
          } catch {
            report.unanswered++;
          }
        }
        if (ok) report.accepted++;
        else report.lost++;
      }
    }),
  );
  return report;
}

export interface CreditReport {
  completed: number;
  rechargeRows: number;
  bonusRows: number;
  /** Recharges whose credited coins differ from what was bought, or with more than one ledger row. */
  wrong: string[];
}

/** Checks each recharge against the ledger: one recharge row (and one bonus row when due) per payment. */
export async function creditReport(db: Db, recharges: CreatedRecharge[]): Promise<CreditReport> {
  const rows = await db
    .selectFrom('coin_ledger')
    .select(['idempotency_ref', 'kind', 'delta_coins', 'user_id'])
    .where('kind', 'in', ['recharge', 'bonus'])
    .execute();
  const byRef = new Map(rows.map((r) => [r.idempotency_ref, r]));
  const completed = await db
    .selectFrom('recharge_transactions')
    .select(['txn_id', 'status', 'coins_credited', 'bonus_credited'])
    .where('txn_id', 'in', recharges.map((r) => r.txnId))
    .execute();
  const state = new Map(completed.map((r) => [r.txn_id, r]));
  const wrong: string[] = [];
  for (const r of recharges) {
    const s = state.get(r.txnId);
    if (!s || s.status !== 'completed') wrong.push(`${r.txnId}: ${s?.status ?? 'missing'}`);
    else if (s.coins_credited !== r.coins || s.bonus_credited !== r.bonusCoins) wrong.push(`${r.txnId}: credited ${s.coins_credited}+${s.bonus_credited}`);
    const matching = rows.filter((x) => x.idempotency_ref.includes(r.txnId));
    const credit = matching.filter((x) => x.kind === 'recharge');
    if (credit.length !== 1 || credit[0]!.delta_coins !== r.coins || credit[0]!.user_id !== r.userId) wrong.push(`${r.txnId}: ${credit.length} recharge rows`);
  }
  // Only these recharges' rows: one database may hold an earlier run's (both platforms in one file).
  const ours = rows.filter((x) => recharges.some((r) => x.idempotency_ref.endsWith(`:${r.txnId}`)));
  return {
    completed: completed.filter((r) => r.status === 'completed').length,
    rechargeRows: ours.filter((r) => r.kind === 'recharge').length,
    bonusRows: ours.filter((r) => r.kind === 'bonus').length,
    wrong: [...new Set(wrong)].slice(0, 20).concat(byRef.size === rows.length ? [] : ['duplicate ledger references']),
  };
}

/** Polls `check` every 200 ms until it holds or `boundMs` passes; returns whether it held. */
export async function eventually(boundMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

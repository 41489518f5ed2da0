// Bulk seed data for the benchmarks: WordPress users, funded wallets (with their ledger rows), priced posts.
import { sql } from 'kysely';
import type { Db } from '../sidecar/src/db/database.js';

const CHUNK = 1_000;

async function chunked<T>(items: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += CHUNK) await insert(items.slice(i, i + CHUNK));
}

/** Inserts `count` WordPress users and returns their IDs in order. */
export async function seedUsers(db: Db, count: number, label: string): Promise<number[]> {
  const ids: number[] = [];
  const logins = Array.from({ length: count }, (_, i) => `${label}${i}`);
  await chunked(logins, async (chunk) => {
    const res = await sql`INSERT INTO ${sql.table('users')} (user_login, user_email, display_name)
      VALUES ${sql.join(chunk.map((l) => sql`(${l}, ${`${l}@bench.test`}, ${l})`))}`.execute(db);
    // A multi-row INSERT reports its first id; InnoDB hands consecutive ids to one statement.
    const first = Number(res.insertId);
    for (let i = 0; i < chunk.length; i++) ids.push(first + i);
  });
  return ids;
}

/** Funds each wallet with `coins`, with the matching ledger row so the invariants hold. */
export async function fundWallets(db: Db, userIds: number[], coins: number): Promise<void> {
  await chunked(userIds, async (chunk) => {
    await sql`INSERT INTO ${sql.table('user_wallet')} (user_id, total_coins)
      VALUES ${sql.join(chunk.map((id) => sql`(${id}, ${coins})`))}`.execute(db);
    await sql`INSERT INTO ${sql.table('coin_ledger')} (user_id, delta_coins, balance_after, kind, idempotency_ref, actor)
      VALUES ${sql.join(chunk.map((id) => sql`(${id}, ${coins}, ${coins}, 'adjustment', ${`bench-seed:${id}`}, 'bench')`))}`.execute(db);
  });
}

/** Inserts published posts by `author`, each priced `priceCoins` in `_goldcoin_price` post meta. */
export async function seedPricedPosts(db: Db, count: number, author: number, priceCoins: number): Promise<number[]> {
  const ids: number[] = [];
  const titles = Array.from({ length: count }, (_, i) => `Bench EA ${i}`);
  await chunked(titles, async (chunk) => {
    const res = await sql`INSERT INTO ${sql.table('posts')}
        (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name,
         to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, post_type)
      VALUES ${sql.join(chunk.map((t) => sql`(${author}, NOW(), NOW(), '', ${t}, '', 'publish', ${t.toLowerCase().replace(/\W+/g, '-')}, '', '', NOW(), NOW(), '', 'post')`))}`.execute(db);
    const first = Number(res.insertId);
    const chunkIds = chunk.map((_, i) => first + i);
    ids.push(...chunkIds);
    await sql`INSERT INTO ${sql.table('postmeta')} (post_id, meta_key, meta_value)
      VALUES ${sql.join(chunkIds.map((id) => sql`(${id}, '_goldcoin_price', ${String(priceCoins)})`))}`.execute(db);
  });
  return ids;
}

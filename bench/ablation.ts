// `npm run bench:ablation`: what each part of the unlock transaction costs, and what batching its round trips would
// buy, measured in-process over bare mysql2 (no HTTP) and printed as a markdown table. Feeds bench/PROFILE.md.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createPool, type Pool, type RowDataPacket } from 'mysql2/promise';
import { parseDatabaseUrl } from '../sidecar/src/db/database-url.js';
import { createDb, type Db } from '../sidecar/src/db/database.js';
import { unlockPost } from '../sidecar/src/spending/unlock.js';
import { createTestDatabase, TABLE_PREFIX, WP_PREFIX } from '../tests/support/db.js';
import { fundWallets, seedPricedPosts, seedUsers } from './fixtures.js';
import { fmt, pidsNamed, runLoad, summarize, withCpu, type LoadResult } from './load.js';
import { batchedSameTransactionUnlock, minimalUnlock, onPool, sameTransactionUnlock, sidecarUnlock, type RawUnlock } from './raw-unlock.js';

const CONCURRENCY = 8;
const ROUND_MS = Number(process.env['BENCH_ROUND_MS'] ?? 2_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 4);
const USERS = 1_000;
const POSTS = 20_000;
const POOL_SIZE = 16;

/**
 * CPU milliseconds MariaDB's threads serving this bench's connections have run (one thread per connection, its id in
 * PROCESSLIST.TID, its run time in /proc/…/task/…/schedstat in ns). Unlike the whole mariadbd process this leaves out
 * other clients of a shared server, and also InnoDB's background threads (purge, page cleaner), which the process
 * column still counts.
 */
async function connectionThreadsCpuMs(admin: Pool, database: string, mariadbPid: number): Promise<number> {
  const [rows] = await admin.query<RowDataPacket[]>('SELECT TID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()', [database]);
  let ns = 0;
  for (const r of rows) {
    try {
      ns += Number(readFileSync(`/proc/${mariadbPid}/task/${r['TID']}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the connection closed while we looked
    }
  }
  return ns / 1e6;
}

interface Variant {
  name: string;
  statements: string;
  unlock: RawUnlock;
  /** Batches need multipleStatements, so they run on a pool of their own. */
  batched?: boolean;
  /** Runs the unlock itself instead of on a raw connection: the sidecar's own code (spending/unlock.ts) over Kysely. */
  direct?: (userId: number, postId: number) => Promise<boolean>;
}

/** The sidecar's unlockPost over a Kysely of its own (pool size as the others'), as a first purchase at the price shown. */
function sidecarCode(db: Db): Variant['direct'] {
  return async (userId, postId) => {
    const r = await unlockPost(db, { userId, postId, expectedPriceCoins: 1, authorSharePercent: 0, now: new Date() });
    if (!r.ok || r.chargedCoins !== 1) throw new Error(`unlock of ${postId} by ${userId}: ${JSON.stringify(r)}`);
    return true;
  };
}

async function main() {
  const tdb = await createTestDatabase('ablation', { poolSize: 4 });
  const address = parseDatabaseUrl(tdb.url);
  const pool = createPool({ ...address, connectionLimit: POOL_SIZE, timezone: 'Z' });
  const batchPool = createPool({ ...address, connectionLimit: POOL_SIZE, timezone: 'Z', multipleStatements: true });
  const admin = createPool({ ...address, connectionLimit: 1 });
  const kyselys: Db[] = [];
  try {
    const t = { prefix: TABLE_PREFIX, wpPrefix: 'wp_' };
    // The sidecar's Kysely as createDb builds it, its pool as large as the others'.
    const kysely = createDb({ url: tdb.url, poolSize: POOL_SIZE, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX });
    kyselys.push(kysely);
    const variants: Variant[] = [
      { name: 'same transaction', statements: '9 in 9 round trips', unlock: sameTransactionUnlock(t) },
      { name: 'without the rate-limit counter', statements: '8', unlock: sameTransactionUnlock(t, { rateLimit: true }) },
      { name: 'without the price read', statements: '8', unlock: sameTransactionUnlock(t, { priceRead: true }) },
      { name: 'without the notification and its outbox row', statements: '7', unlock: sameTransactionUnlock(t, { notification: true }) },
      { name: 'money writes alone', statements: '5', unlock: minimalUnlock(t, 1) },
      { name: 'same transaction, batched (multi-statement)', statements: '9 in 4 round trips', unlock: batchedSameTransactionUnlock(t), batched: true },
      { name: "the sidecar's unlock since issue 17 (price read by the entitlement insert)", statements: '5', unlock: sidecarUnlock(t, 1) },
      { name: '… without the price read (entitlement as VALUES)', statements: '5', unlock: sidecarUnlock(t, 1, { priceRead: true }) },
      { name: '… without the title read (memo as a value)', statements: '5', unlock: sidecarUnlock(t, 1, { titleRead: true }) },
      { name: '… balance first (conditional UPDATE, then the ledger row as VALUES)', statements: '5', unlock: sidecarUnlock(t, 1, { updateFirst: true }) },
      { name: '… balance first, without the title read', statements: '5', unlock: sidecarUnlock(t, 1, { updateFirst: true, titleRead: true }) },
      { name: '… without the price and title reads', statements: '5', unlock: sidecarUnlock(t, 1, { priceRead: true, titleRead: true }) },
      { name: '… the price checked by one subquery', statements: '5', unlock: sidecarUnlock(t, 1, { onePriceRead: true }) },
      { name: '… the title read once (parameters: the post id)', statements: '5', unlock: sidecarUnlock(t, 1, { titleOnce: true }) },
      { name: '… one price subquery and the title once', statements: '5', unlock: sidecarUnlock(t, 1, { onePriceRead: true, titleOnce: true }) },
      { name: '… as prepared statements', statements: '5', unlock: sidecarUnlock(t, 1, { prepared: true }) },
      { name: '… prepared, one price subquery and the title once', statements: '5', unlock: sidecarUnlock(t, 1, { prepared: true, onePriceRead: true, titleOnce: true }) },
      { name: '… one price subquery and the title once, postmeta by its post_id index', statements: '5', unlock: sidecarUnlock(t, 1, { onePriceRead: true, titleOnce: true, postIdIndex: true }) },
      { name: '… one price subquery and the title once, READ COMMITTED set per transaction', statements: '6', unlock: sidecarUnlock(t, 1, { onePriceRead: true, titleOnce: true, readCommitted: true }) },
      { name: "the sidecar's own unlockPost over Kysely (createDb), no HTTP", statements: '5', unlock: minimalUnlock(t, 1), direct: sidecarCode(kysely) },
      { name: '… balance first, without the price and title reads', statements: '5', unlock: sidecarUnlock(t, 1, { updateFirst: true, priceRead: true, titleRead: true }) },
    ];
    // BENCH_ABLATION=regex runs only the variants whose name matches (plus the first, which the others are held against).
    const only = process.env['BENCH_ABLATION'];
    if (only) variants.splice(1, variants.length, ...variants.slice(1).filter((v) => new RegExp(only).test(v.name)));
    const author = (await seedUsers(tdb.db, 1, 'author'))[0]!;
    const posts = await seedPricedPosts(tdb.db, POSTS, author, 1);
    const users: number[][] = [];
    for (const [i] of variants.entries()) users.push(await seedUsers(tdb.db, USERS, `v${i}_`));
    await fundWallets(tdb.db, users.flat(), 10_000_000);
    const next = variants.map(() => 0);
    const parties = { mariadb: pidsNamed('mariadbd') };
    const onPools = variants.map((v) => v.direct ?? onPool(v.batched ? batchPool : pool, v.unlock));
    const mariadbPid = parties.mariadb[0]!;
    // Every round's connections are the pool's, opened in the warm-up round: sampled before and after each round.
    const round = async (i: number, ms: number) => {
      const before = await connectionThreadsCpuMs(admin, address.database, mariadbPid);
      const r = await withCpu(parties, () =>
        runLoad(CONCURRENCY, ms, () => {
          const k = next[i]!++;
          return onPools[i]!(users[i]![k % USERS]!, posts[Math.floor(k / USERS)]!);
        }),
      );
      const after = await connectionThreadsCpuMs(admin, address.database, mariadbPid);
      return { ...r, cpuMs: { ...r.cpuMs, connections: after - before } };
    };
    for (const [i] of variants.entries()) await round(i, ROUND_MS);
    const results: LoadResult[][] = variants.map(() => []);
    for (let r = 0; r < ROUNDS; r++) for (const [i] of variants.entries()) results[i]!.push(await round(i, ROUND_MS));

    const summaries = results.map((r) => summarize(r));
    const u = (i: number) => summaries[i]!.cpuUsPerOp ?? {};
    const total = (i: number) => (u(i)['driver'] ?? 0) + (u(i)['mariadb'] ?? 0);
    const lines = [
      `Unlock transaction parts, in-process over bare mysql2 at c=${CONCURRENCY}, ${ROUNDS} × ${ROUND_MS / 1000} s per variant after a warm-up round, variants alternating; ` +
        `${cpus().length} cores, load average ${fmt(loadavg()[0]!, 1)}, ${new Date().toISOString()}.`,
      '',
      '| variant | statements | unlocks /s | p50 ms | client CPU µs | MariaDB CPU µs | MariaDB connection threads µs | **total CPU µs per unlock** | against the same transaction |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ];
    for (const [i, v] of variants.entries()) {
      const s = summaries[i]!;
      const u = s.cpuUsPerOp ?? {};
      const errs = s.errors > 0 ? ` (${fmt(s.errors)} failed)` : '';
      lines.push(
        `| ${v.name} | ${v.statements} | ${fmt(s.perSecond)}${errs} | ${fmt(s.p50Ms, 1)} | ${fmt(u['driver'] ?? 0)} | ${fmt(u['mariadb'] ?? 0)} | ${fmt(u['connections'] ?? 0)} | **${fmt(total(i))}** | ${total(i) >= total(0) ? '+' : '−'}${fmt(Math.abs(total(0) - total(i)))} µs |`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await pool.end();
    await batchPool.end();
    await admin.end();
    for (const k of kyselys) await k.destroy();
    await tdb.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:ablation failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});

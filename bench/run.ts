// `npm run bench`: the sidecar measured against references in the same run (bare mysql2, bare Hono), printed as a
// markdown table and written to bench/RESULTS.md. Needs the MariaDB login the tests use; takes a few minutes.
import { execFileSync, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createPool, type Pool } from 'mysql2/promise';
import { sql } from 'kysely';
import { parseDatabaseUrl } from '../sidecar/src/db/database-url.js';
import { checkInvariants } from '../sidecar/src/ledger/invariants.js';
import { startSimulator } from '../simulators/coinpayments-legacy/simulator.js';
import { mintToken, SIM_KEYS, TEST_METRICS_TOKEN, testEnv } from '../tests/support/app.js';
import { buildWidget } from '../tests/support/browser.js';
import { createTestDatabase, TABLE_PREFIX, type TestDatabase } from '../tests/support/db.js';
import { freePort, startSidecar, type SidecarProcess } from '../tests/support/sidecar-process.js';
import { fundWallets, seedPricedPosts, seedUsers } from './fixtures.js';
import { minimalUnlock, onPool } from './raw-unlock.js';
import { benchWidget } from './widget.js';
import { fmt, httpClient, pidsNamed, rawHttpClient, runLoad, summarize, withCpu, type HttpClient, type LoadResult, type Summary } from './load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUND_MS = Number(process.env['BENCH_ROUND_MS'] ?? 1_500);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 4);
const WARMUP_MS = Number(process.env['BENCH_WARMUP_MS'] ?? 4_000);
const POOL_SIZE = 16;
const SPREAD_USERS = 1_000;
const POSTS = 20_000;
const PRICE_COINS = 1;
/** BENCH_ONLY=unlock runs the unlock rows alone and prints them, leaving bench/RESULTS.md as it is (the widget rows alone: npm run bench:widget). */
const ONLY_UNLOCK = process.env['BENCH_ONLY'] === 'unlock';
/**
 * The V8 flags production starts the sidecar with, read from the systemd unit's ExecStart (what runs is what is
 * measured); BENCH_NODE_FLAGS="…" replaces them to compare.
 */
const SIDECAR_NODE_FLAGS: string[] =
  process.env['BENCH_NODE_FLAGS'] !== undefined
    ? process.env['BENCH_NODE_FLAGS'].split(/\s+/).filter(Boolean)
    : (/^ExecStart=\S+\s+(.*?)\s*\S+main\.js\s*$/m.exec(readFileSync(join(ROOT, 'deploy', 'goldcoin-sidecar.service'), 'utf8'))?.[1] ?? '')
        .split(/\s+/)
        .filter(Boolean);
const IPN_PAYMENTS = Number(process.env['BENCH_IPN_PAYMENTS'] ?? 2_000);
const IPN_COPIES = 5;
const IPN_CONCURRENCY = 64;
const IPN_MAX_ATTEMPTS = 10;
const RECHARGES_PER_USER = 5;
const CREATE_CONCURRENCY = 8;
const CREATE_MAX_ATTEMPTS = 5;
/** How long the open event streams are watched, and the sidecar's poll interval meanwhile (its default). */
const STREAMS_WATCH_MS = Number(process.env['BENCH_STREAMS_WATCH_MS'] ?? 6_000);
const STREAMS_POLL_MS = 1_000;

/** An unlock row has `minimal` (the money writes alone in this process) besides its HTTP reference. */
type Row = { what: string; c: string; sidecar: Summary; reference: Summary; refName: string; minimal?: Summary };
/** BENCH_CLIENT=node drives the HTTP rows with node:http's client instead of the raw-socket one, to compare drivers. */
const CLIENT = process.env['BENCH_CLIENT'] === 'node' ? httpClient : rawHttpClient;
const MARIADB_PIDS = pidsNamed('mariadbd');
const RAW_TABLES = { prefix: TABLE_PREFIX, wpPrefix: 'wp_' };
/** What the widget sends: the price it showed (the sidecar charges no more). */
const UNLOCK_BODY = JSON.stringify({ expected_price_coins: PRICE_COINS });
const REF_NAME = 'bare node:http + HS256 + money writes alone';
const rows: Row[] = [];
const notes: string[] = [];
/** Rows of the process table besides start-up, memory and the widget. */
const processRows: string[] = [];
const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
/** Unlock answers that were not a charge, by status and body: what a "failed" count in the tables was. */
const failures = new Map<string, number>();
const noteFailure = (why: string) => failures.set(why, (failures.get(why) ?? 0) + 1);

/** Alternates the two systems round by round, so drift on a shared machine hits both alike. */
async function compare(rounds: number, a: () => Promise<LoadResult>, b: () => Promise<LoadResult>): Promise<[Summary, Summary]> {
  const ra: LoadResult[] = [];
  const rb: LoadResult[] = [];
  for (let i = 0; i < rounds; i++) {
    ra.push(await a());
    rb.push(await b());
  }
  return [summarize(ra), summarize(rb)];
}

/** Several systems, alternating round by round. */
async function alternate(rounds: number, runs: Array<() => Promise<LoadResult>>): Promise<Summary[]> {
  const all: LoadResult[][] = runs.map(() => []);
  for (let i = 0; i < rounds; i++) for (const [j, run] of runs.entries()) all[j]!.push(await run());
  return all.map((r) => summarize(r));
}

/** A reference server (bench/bare-node.ts, bench/bare-hono.ts) as its own process, once it answers /readyz. */
async function startReference(script: string, env: Record<string, string>): Promise<{ url: string; pid: number; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'bench', script)], {
    env: { PATH: process.env['PATH'] ?? '', PORT: String(port), ...env },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, pid: child.pid ?? 0, stop: () => child.kill('SIGKILL') };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not start`);
}

/**
 * Where the sidecar's memory is when its RSS is highest: /proc read 4 times a second (free), and V8's heap spaces read
 * from /metrics only when the RSS has reached a new high by 1 MiB or more (a few times a run).
 */
function watchMemory(sidecar: SidecarProcess) {
  let best: { rssKb: number; fileKb: number; heapMiB: Record<string, number> } | null = null;
  let busy = false;
  const timer = setInterval(() => {
    const rssKb = sidecar.memoryKb()?.now;
    if (busy || rssKb === undefined || rssKb < (best?.rssKb ?? 0) + 1024) return;
    busy = true;
    scrapeMetrics(sidecar)
      .then((text) => {
        // The heap spaces and the RSS of one scrape (the same moment), the file pages read just after it.
        const heapMiB: Record<string, number> = {};
        for (const m of text.matchAll(/^goldcoin_nodejs_heap_space_size_total_bytes\{space="(\w+)"\} ([0-9.e+]+)$/gm)) heapMiB[m[1]!] = Number(m[2]) / 1048576;
        const scrapedKb = metricValue(text, 'goldcoin_process_resident_memory_bytes') / 1024;
        if (scrapedKb > (best?.rssKb ?? 0)) best = { rssKb: scrapedKb, fileKb: sidecar.memoryKb()?.file ?? 0, heapMiB };
      })
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, 250);
  timer.unref();
  return {
    stop: () => clearInterval(timer),
    /** The highest sample as a table cell. */
    describe(): string {
      if (!best) return 'n/a';
      const h = best.heapMiB;
      const heap = Object.values(h).reduce((a, b) => a + b, 0);
      const other = heap - (h['new'] ?? 0) - (h['old'] ?? 0) - (h['code'] ?? 0);
      const rss = best.rssKb / 1024;
      return (
        `${fmt(rss, 0)} MiB: V8's heap ${fmt(heap, 0)} (young generation ${fmt(h['new'] ?? 0, 0)}, old ${fmt(h['old'] ?? 0, 0)}, code ${fmt(h['code'] ?? 0, 0)}, ` +
        `other spaces ${fmt(other, 0)}), outside it ${fmt(rss - heap, 0)}, of which ${fmt(best.fileKb / 1024, 0)} are mapped file pages (the node binary, shared with every node process)`
      );
    },
  };
}

async function tokensFor(userIds: number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (const id of userIds) out.set(id, await mintToken(id, { expiresInS: 900 }));
  return out;
}

async function benchUnlock(tdb: TestDatabase, sidecar: SidecarProcess, pool: Pool, ref: { url: string; pid: number }) {
  const author = (await seedUsers(tdb.db, 1, 'author'))[0]!;
  const posts = await seedPricedPosts(tdb.db, POSTS, author, PRICE_COINS);
  const sideUsers = await seedUsers(tdb.db, SPREAD_USERS + 1, 'side');
  const refUsers = await seedUsers(tdb.db, SPREAD_USERS + 1, 'ref');
  const minUsers = await seedUsers(tdb.db, SPREAD_USERS + 1, 'min');
  await fundWallets(tdb.db, [...sideUsers, ...refUsers, ...minUsers], 10_000_000);
  const tokens = await tokensFor([...sideUsers, ...refUsers]);
  const minimal = onPool(pool, minimalUnlock(RAW_TABLES, PRICE_COINS));
  const spread = SPREAD_USERS;
  const next = { side: 0, ref: 0, min: 0 };
  // Pair k = (user k mod U, post k div U): every unlock is a first purchase, and users spread out.
  const pair = (users: number[], k: number) => ({ user: users[k % spread]!, post: posts[Math.floor(k / spread)]! });
  const overHttp = (client: HttpClient, user: number, post: number) =>
    client
      .call('POST', `/api/posts/${post}/unlock`, { Authorization: `Bearer ${tokens.get(user)}`, 'Content-Type': 'application/json' }, UNLOCK_BODY)
      .then((res) => {
        const ok = res.status === 200 && (JSON.parse(res.body) as { charged_coins: number }).charged_coins === PRICE_COINS;
        if (!ok) noteFailure(`${res.status} ${res.body.slice(0, 160)}`);
        return ok;
      });

  const sidecarCpu = { server: [sidecar.pid() ?? 0], mariadb: MARIADB_PIDS };
  const refCpu = { server: [ref.pid], mariadb: MARIADB_PIDS };
  const minCpu = { mariadb: MARIADB_PIDS };
  type Pick = (users: number[], key: keyof typeof next) => { user: number; post: number };
  /** The three systems' loads at concurrency c for ms each: sidecar, the node:http reference, the money writes in process. */
  const loads = (c: number, ms: number, side: HttpClient, refClient: HttpClient, pick: Pick) => [
    () => withCpu(sidecarCpu, () => runLoad(c, ms, () => {
      const { user, post } = pick(sideUsers, 'side');
      return overHttp(side, user, post);
    })),
    () => withCpu(refCpu, () => runLoad(c, ms, () => {
      const { user, post } = pick(refUsers, 'ref');
      return overHttp(refClient, user, post);
    })),
    () => withCpu(minCpu, () => runLoad(c, ms, () => {
      const { user, post } = pick(minUsers, 'min');
      return minimal(user, post);
    })),
  ];
  const spreadPick: Pick = (users, key) => pair(users, next[key]++);
  const three = (c: number, side: HttpClient, refClient: HttpClient, pick: Pick) => alternate(ROUNDS, loads(c, ROUND_MS, side, refClient, pick));

  // Unmeasured warm-up: a fresh process spends its first seconds compiling hot code on V8's background threads
  // (about a third of the sidecar's CPU in its first 6 s here, under 0.1 ms an unlock after), which would be
  // charged to whichever row ran first.
  {
    const side = CLIENT(sidecar.url, 8);
    const refClient = CLIENT(ref.url, 8);
    for (const run of loads(8, WARMUP_MS, side, refClient, spreadPick)) await run();
    side.close();
    refClient.close();
  }
  for (const c of [1, 8, 64]) {
    const side = CLIENT(sidecar.url, c);
    const refClient = CLIENT(ref.url, c);
    const [s, r, m] = await three(c, side, refClient, spreadPick);
    side.close();
    refClient.close();
    rows.push({ what: 'unlock, users spread out', c: String(c), sidecar: s!, reference: r!, minimal: m!, refName: REF_NAME });
    log(`unlock c=${c}: sidecar ${fmt(s!.perSecond)}/s, node:http reference ${fmt(r!.perSecond)}/s, money writes in process ${fmt(m!.perSecond)}/s; ` +
      `CPU µs/unlock ${cpuLine(s!)} | ${cpuLine(r!)} | ${cpuLine(m!)}`);
  }

  // One hot wallet: every request debits the same balance row, each for a different post.
  const hot = { side: sideUsers[spread]!, ref: refUsers[spread]!, min: minUsers[spread]! };
  const hotK = { side: 0, ref: 0, min: 0 };
  const side = CLIENT(sidecar.url, 64);
  const refClient = CLIENT(ref.url, 64);
  const [s, r, m] = await three(64, side, refClient, (_users, key) => ({ user: hot[key], post: posts[hotK[key]++ % POSTS]! }));
  side.close();
  refClient.close();
  rows.push({ what: 'unlock, one hot wallet', c: '64', sidecar: s!, reference: r!, minimal: m!, refName: REF_NAME });
  log(`hot wallet: sidecar ${fmt(s!.perSecond)}/s, node:http reference ${fmt(r!.perSecond)}/s, money writes in process ${fmt(m!.perSecond)}/s`);
  if (Math.max(...Object.values(hotK)) > POSTS) notes.push('The hot-wallet rounds ran out of distinct posts; later requests were repeats (no charge).');

  if (failures.size > 0) {
    notes.push(`Unlock answers that were not a charge: ${[...failures].map(([why, n]) => `${fmt(n)} × \`${why.replace(/\|/g, '/')}\``).join('; ')}.`);
  }
  const report = await checkInvariants(tdb.db);
  if (!report.ok) throw new Error(`invariants broken after the unlock runs: ${report.problems.slice(0, 5).join('; ')}`);
  notes.push(`After the unlock runs the invariants hold for ${fmt(report.usersChecked)} wallets (ledger sums to balance, chain of balance_after intact).`);
  return { sideUsers, tokens, posts };
}

/** The same unlock load on two instances (round-robin) against one, on the same database and machine. */
async function benchScaleOut(tdb: TestDatabase, one: SidecarProcess, instanceEnv: Record<string, string>, posts: number[]) {
  const two = await startSidecar({ env: instanceEnv, label: 'bench-2', built: true, nodeArgs: SIDECAR_NODE_FLAGS });
  try {
    const oneUsers = await seedUsers(tdb.db, SPREAD_USERS, 'one');
    const twoUsers = await seedUsers(tdb.db, SPREAD_USERS, 'two');
    await fundWallets(tdb.db, [...oneUsers, ...twoUsers], 10_000_000);
    const tokens = await tokensFor([...oneUsers, ...twoUsers]);
    const clients = [httpClient(one.url, 64), httpClient(two.url, 64)];
    const next = { one: 0, two: 0 };
    const unlock = (client: HttpClient, users: number[], k: number) => {
      const user = users[k % SPREAD_USERS]!;
      const post = posts[Math.floor(k / SPREAD_USERS)]!;
      const headers = { Authorization: `Bearer ${tokens.get(user)}`, 'Content-Type': 'application/json' };
      return client.call('POST', `/api/posts/${post}/unlock`, headers, UNLOCK_BODY).then((r) => r.status === 200);
    };
    const [s2, s1] = await compare(
      ROUNDS,
      () => runLoad(64, ROUND_MS, () => {
        const k = next.two++;
        return unlock(clients[k % 2]!, twoUsers, k);
      }),
      () => runLoad(64, ROUND_MS, () => unlock(clients[0]!, oneUsers, next.one++)),
    );
    for (const c of clients) c.close();
    rows.push({ what: 'unlock, users spread out, 2 instances round-robin', c: '64', sidecar: s2, reference: s1, refName: 'the same load on 1 instance' });
    log(`scale-out: 2 instances ${fmt(s2.perSecond)}/s, 1 instance ${fmt(s1.perSecond)}/s`);
  } finally {
    await two.stop();
  }
}

async function benchWalletReads(sidecar: SidecarProcess, sideUsers: number[], tokens: Map<number, string>, refEnv: Record<string, string>) {
  const bare = await startReference('bare-hono.ts', refEnv);
  try {
    for (const c of [8, 64]) {
      const side = CLIENT(sidecar.url, c);
      const ref = CLIENT(bare.url, c);
      let k = 0;
      let j = 0;
      const read = (client: HttpClient, user: number) =>
        client.call('GET', '/api/wallet', { Authorization: `Bearer ${tokens.get(user)}` }).then((r) => r.status === 200);
      // The same users' wallets for both: the same rows behind the same SQL.
      const [s, r] = await compare(
        ROUNDS,
        () => runLoad(c, ROUND_MS, () => read(side, sideUsers[k++ % SPREAD_USERS]!)),
        () => runLoad(c, ROUND_MS, () => read(ref, sideUsers[j++ % SPREAD_USERS]!)),
      );
      side.close();
      ref.close();
      rows.push({ what: 'GET /api/wallet', c: String(c), sidecar: s, reference: r, refName: 'bare Hono + HS256, same SQL' });
      log(`wallet c=${c}: sidecar ${fmt(s.perSecond)}/s, bare Hono same SQL ${fmt(r.perSecond)}/s`);
    }
  } finally {
    bare.stop();
  }
}

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function benchIpnStorm(
  tdb: TestDatabase,
  sidecar: SidecarProcess,
  sim: Awaited<ReturnType<typeof startSimulator>>,
  streamsEnv: Record<string, string>,
) {
  const buyers = await seedUsers(tdb.db, Math.ceil(IPN_PAYMENTS / RECHARGES_PER_USER), 'buyer');
  const tokens = await tokensFor(buyers);
  const client = httpClient(sidecar.url, CREATE_CONCURRENCY);
  const txnIds: string[] = [];
  const recharges: Array<{ id: number; user: number }> = [];
  const createFailures = new Map<string, number>();
  const created = await runLoad(
    CREATE_CONCURRENCY,
    600_000,
    async (i) => {
      const user = buyers[i % buyers.length]!;
      // A refused creation is retried with the same Idempotency-Key, as the widget would.
      for (let attempt = 1; attempt <= CREATE_MAX_ATTEMPTS; attempt++) {
        const res = await client.call(
          'POST',
          '/api/recharges',
          { Authorization: `Bearer ${tokens.get(user)}`, 'Content-Type': 'application/json', 'Idempotency-Key': `bench-recharge-${i}` },
          JSON.stringify({ package_id: 'p22', method: 'USDT', network: 'USDT.TRC20' }),
        );
        if (res.status === 201) {
          const created = JSON.parse(res.body) as { id: number; payment: { txn_id: string } };
          txnIds.push(created.payment.txn_id);
          recharges.push({ id: created.id, user });
          return true;
        }
        const why = `${res.status} ${res.body.slice(0, 160)}`;
        createFailures.set(why, (createFailures.get(why) ?? 0) + 1);
      }
      return false;
    },
    IPN_PAYMENTS,
  );
  if (createFailures.size > 0) {
    notes.push(
      `Creating recharges ${CREATE_CONCURRENCY} at a time, some attempts were refused and retried: ` +
        [...createFailures].map(([why, n]) => `${fmt(n)} × \`${why.replace(/\|/g, '/')}\``).join('; '),
    );
  }
  if (txnIds.length !== IPN_PAYMENTS) throw new Error(`created ${txnIds.length} of ${IPN_PAYMENTS} recharges (${created.errors} failed)`);
  const creation = summarize([created]);
  log(`created ${txnIds.length} recharges at ${fmt(creation.perSecond)}/s`);

  await benchEventStreams(streamsEnv, recharges, tokens);

  // Paid at the simulator with delivery held back; then every IPN goes out IPN_COPIES times, shuffled, concurrently.
  for (const id of txnIds) await sim.pay(id, { drop: true });
  const messages = txnIds.map((id) => sim.buildIpn(id));
  const deliveries = shuffle(messages.flatMap((m) => Array.from({ length: IPN_COPIES }, () => m)));
  const ipnClient = httpClient(sidecar.url, IPN_CONCURRENCY);
  let next = 0;
  let refusals = 0;
  const storm = await runLoad(
    IPN_CONCURRENCY,
    600_000,
    async () => {
      const m = deliveries[next++]!;
      // CoinPayments retries any non-2xx; so do we, boundedly.
      for (let attempt = 1; attempt <= IPN_MAX_ATTEMPTS; attempt++) {
        const res = await ipnClient.call('POST', '/ipn/coinpayments', m.headers, m.body);
        if (res.status === 200) return true;
        refusals++;
      }
      return false;
    },
    deliveries.length,
  );
  ipnClient.close();
  client.close();
  const s = summarize([storm]);

  const credited = await sql<{ n: number; coins: number }>`SELECT COUNT(*) AS n, COALESCE(SUM(delta_coins), 0) AS coins
    FROM ${sql.table('coin_ledger')} WHERE kind = 'recharge'`.execute(tdb.db);
  const completed = await tdb.db
    .selectFrom('recharge_transactions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'completed')
    .executeTakeFirstOrThrow();
  const report = await checkInvariants(tdb.db);
  const n = Number(credited.rows[0]!.n);
  const exactlyOnce = n === IPN_PAYMENTS && Number(completed.n) === IPN_PAYMENTS && Number(credited.rows[0]!.coins) === 22 * IPN_PAYMENTS && report.ok;
  rows.push({
    what: `IPN storm: ${fmt(IPN_PAYMENTS)} payments × ${IPN_COPIES} deliveries, shuffled`,
    c: String(IPN_CONCURRENCY),
    sidecar: s,
    reference: { ops: 0, errors: 0, perSecond: 0, p50Ms: 0, p99Ms: 0 },
    refName: '',
  });
  notes.push(
    `IPN storm: ${fmt(deliveries.length)} signed deliveries (${fmt(refusals)} non-2xx answers retried); ${fmt(n)} recharge ledger rows for ` +
      `${fmt(IPN_PAYMENTS)} payments, ${fmt(Number(completed.n))} completed, ${fmt(Number(credited.rows[0]!.coins))} coins credited ` +
      `(expected ${fmt(22 * IPN_PAYMENTS)}); invariants ${report.ok ? 'hold' : 'BROKEN'}: ${exactlyOnce ? 'exactly once' : 'NOT exactly once'}. ` +
      `Creating the ${fmt(IPN_PAYMENTS)} recharges through POST /api/recharges (each a create_transaction call to the simulator) ran at ${fmt(creation.perSecond)}/s.`,
  );
  if (!exactlyOnce) throw new Error(notes.at(-1));
}

async function scrapeMetrics(sidecar: SidecarProcess): Promise<string> {
  return (await fetch(`${sidecar.url}/metrics`, { headers: { Authorization: `Bearer ${TEST_METRICS_TOKEN}` } })).text();
}

/** An unlabelled sample of a Prometheus text scrape; NaN when absent. */
const metricValue = (text: string, name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? 'NaN');

async function eventPolls(sidecar: SidecarProcess): Promise<{ polls: number; streams: number }> {
  const text = await scrapeMetrics(sidecar);
  return { polls: metricValue(text, 'goldcoin_recharge_event_polls_total'), streams: metricValue(text, 'goldcoin_recharge_event_poll_streams') };
}

/**
 * One event stream per pending recharge, all open on one instance at once, each from its own connection: how many
 * database queries the instance makes for them per poll interval (its metric of the poller's queries).
 */
async function benchEventStreams(env: Record<string, string>, recharges: Array<{ id: number; user: number }>, tokens: Map<number, string>) {
  // An instance of their own, so the memory the streams hold is reported apart from the other rows' (process table).
  const sidecar = await startSidecar({ env, label: 'bench-streams', built: true, nodeArgs: SIDECAR_NODE_FLAGS });
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  let closing = false;
  const opened = recharges.map(
    (r) =>
      new Promise<void>((resolve, reject) => {
        const req = request(
          `${sidecar.url}/api/recharges/${r.id}/events`,
          { headers: { Authorization: `Bearer ${tokens.get(r.user)}` }, agent },
          (res) => {
            if (res.statusCode !== 200) {
              res.resume();
              reject(new Error(`event stream answered ${res.statusCode}`));
              return;
            }
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              if (chunk.includes('event: status')) resolve();
            });
            res.on('error', () => undefined);
          },
        );
        req.on('error', (err) => (closing ? undefined : reject(err)));
        req.end();
      }),
  );
  try {
    const t0 = performance.now();
    await Promise.all(opened);
    const openMs = performance.now() - t0;
    const before = await eventPolls(sidecar);
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, STREAMS_WATCH_MS));
    const after = await eventPolls(sidecar);
    const intervals = (performance.now() - w0) / STREAMS_POLL_MS;
    const queries = after.polls - before.polls;
    processRows.push(
      `| SSE: ${fmt(recharges.length)} payment event streams open on one instance (RECHARGE_EVENTS_POLL_MS=${STREAMS_POLL_MS}) | ` +
        `**${fmt(queries / intervals, 2)} database queries per poll interval** (${fmt(queries)} in ${fmt(intervals, 1)} intervals; the last poll served ${fmt(after.streams)} streams); ` +
        `all ${fmt(recharges.length)} open with their first event in ${fmt(openMs)} ms |`,
    );
    log(`event streams: ${recharges.length} open, ${queries} queries in ${intervals.toFixed(1)} poll intervals, last poll ${after.streams} streams`);
  } finally {
    const rss = sidecar.peakRssKb();
    if (rss !== null) processRows.push(`| peak RSS (VmHWM) of the instance that held the ${fmt(recharges.length)} open event streams | ${fmt(rss / 1024, 1)} MiB |`);
    closing = true;
    agent.destroy();
    await sidecar.stop();
  }
}

/** The visitor bundle as built from the current source (into a temporary directory, like the tests build it). */
async function widgetSize(): Promise<string> {
  const dir = await buildWidget();
  try {
    const raw = readFileSync(join(dir, 'goldcoin.js'));
    return `${fmt(raw.length / 1024, 1)} KiB raw, ${fmt(gzipSync(raw, { level: 9 }).length / 1024, 1)} KiB gzip`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadAtStart = loadavg();

async function machine(tdb: TestDatabase): Promise<string> {
  const version = await sql<{ v: string }>`SELECT VERSION() AS v`.execute(tdb.db);
  const flush = await sql<{ v: string }>`SELECT @@innodb_flush_log_at_trx_commit AS v`.execute(tdb.db);
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPU: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'} (nproc ${cpus().length}), shared by the load driver, the sidecar and MariaDB`,
    `- Memory: ${fmt(totalmem() / 2 ** 30, 1)} GiB`,
    `- MariaDB ${version.rows[0]!.v} on this machine, reached ${process.env['BENCH_DATABASE_SOCKET'] ? 'through its unix socket' : 'over loopback TCP (127.0.0.1)'} by every system; innodb_flush_log_at_trx_commit=${flush.rows[0]!.v}; Node ${process.version}`,
    `- Sidecar: one process, DATABASE_POOL_SIZE=${POOL_SIZE}, rate limits on (RATE_LIMIT_UNLOCK high enough never to refuse); the bare mysql2 reference uses a pool of the same size`,
    `- Rounds: ${ROUNDS} × ${ROUND_MS / 1000} s per system and row, the systems alternating round by round, after ${WARMUP_MS / 1000} s of unmeasured load on each`,
    `- Load average (1 min) at start ${fmt(loadAtStart[0]!, 1)}, at end ${fmt(loadavg()[0]!, 1)}: other work on the machine shares the same 2 cores`,
  ].join('\n');
}

const cpuTotal = (x: Summary) => Object.values(x.cpuUsPerOp ?? {}).reduce((a, b) => a + b, 0);
const cpuLine = (x: Summary) =>
  x.cpuUsPerOp ? `${Object.entries(x.cpuUsPerOp).map(([k, us]) => `${k} ${fmt(us)}`).join(' + ')} = ${fmt(cpuTotal(x))}` : 'n/a';

/** CPU per unlock by party: on a machine the three share, this is what throughput is made of. */
function unlockCpuTable(): string {
  const lines = [
    '| workload | c | system | driver µs | server process µs | MariaDB µs | **total CPU µs per unlock** | reference / this |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows.filter((x) => x.minimal)) {
    const ref = cpuTotal(r.reference);
    const systems = [['sidecar', r.sidecar], [REF_NAME, r.reference], ['bare mysql2, money writes alone, in process', r.minimal!]] as const;
    for (const [name, x] of systems) {
      const u = x.cpuUsPerOp ?? {};
      const server = u['server'] === undefined ? '—' : fmt(u['server']);
      lines.push(`| ${r.what} | ${r.c} | ${name} | ${fmt(u['driver'] ?? 0)} | ${server} | ${fmt(u['mariadb'] ?? 0)} | **${fmt(cpuTotal(x))}** | ${fmt(ref / cpuTotal(x), 2)} |`);
    }
  }
  return lines.join('\n');
}

function unlockTable(): string {
  const lines = [
    `| workload | c | sidecar /s | p50 ms | p99 ms | ${REF_NAME} /s | p50 ms | p99 ms | bare mysql2, money writes alone, in process /s | **sidecar / ${REF_NAME}** (target ≥ 0.8) | sidecar / in process |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows.filter((x) => x.minimal)) {
    const m = r.minimal!;
    const errs = (x: Summary) => (x.errors > 0 ? ` (${fmt(x.errors)} failed)` : '');
    lines.push(
      `| ${r.what} | ${r.c} | ${fmt(r.sidecar.perSecond)}${errs(r.sidecar)} | ${fmt(r.sidecar.p50Ms, 1)} | ${fmt(r.sidecar.p99Ms, 1)} | ` +
        `${fmt(r.reference.perSecond)}${errs(r.reference)} | ${fmt(r.reference.p50Ms, 1)} | ${fmt(r.reference.p99Ms, 1)} | ${fmt(m.perSecond)}${errs(m)} | ` +
        `**${fmt(r.sidecar.perSecond / r.reference.perSecond, 2)}** | ${fmt(r.sidecar.perSecond / m.perSecond, 2)} |`,
    );
  }
  return lines.join('\n');
}

function table(): string {
  const lines = [
    '| workload | c | sidecar /s | sidecar p50 ms | sidecar p99 ms | reference | reference /s | reference p99 ms | ratio sidecar/reference |',
    '|---|---:|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const r of rows.filter((x) => !x.minimal)) {
    const ref = r.refName
      ? `${r.refName} | ${fmt(r.reference.perSecond)} | ${fmt(r.reference.p99Ms, 1)} | **${fmt(r.sidecar.perSecond / r.reference.perSecond, 2)}**`
      : '— | — | — | —';
    const errs = r.sidecar.errors > 0 ? ` (${fmt(r.sidecar.errors)} failed)` : '';
    lines.push(`| ${r.what} | ${r.c} | ${fmt(r.sidecar.perSecond)}${errs} | ${fmt(r.sidecar.p50Ms, 1)} | ${fmt(r.sidecar.p99Ms, 1)} | ${ref} |`);
  }
  return lines.join('\n');
}

async function main() {
  const t0 = performance.now();
  const tdb = await createTestDatabase('bench', { poolSize: 8 });
  // BENCH_DATABASE_SOCKET=path: every system reaches MariaDB through its unix socket instead of loopback TCP.
  const socket = process.env['BENCH_DATABASE_SOCKET'];
  const dbUrl = socket ? `${tdb.url.replace('@127.0.0.1:', '@localhost:')}?socket=${encodeURIComponent(socket)}` : tdb.url;
  const env = testEnv(dbUrl);
  const sim = await startSimulator(SIM_KEYS);
  const pool = createPool({ ...parseDatabaseUrl(dbUrl), connectionLimit: POOL_SIZE, timezone: 'Z' });
  let sidecar: SidecarProcess | null = null;
  try {
    const instanceEnv = {
      ...env,
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      COINPAYMENTS_API_URL: sim.apiUrl,
      RECONCILE_INTERVAL_S: '3600',
      RATE_LIMIT_UNLOCK: '1000000',
      RATE_LIMIT_RECHARGE: '1000000',
      RECHARGE_EVENTS_POLL_MS: String(STREAMS_POLL_MS),
      RECHARGE_EVENTS_MAX_STREAMS: String(IPN_PAYMENTS),
      RECHARGE_EVENTS_MAX_STREAMS_PER_USER: String(RECHARGES_PER_USER),
      LOG_LEVEL: 'error',
    };
    // The compiled sidecar, as `npm start` runs it in production: the TypeScript loader the tests run it under
    // holds some 40 MiB of its own (bench/PROFILE.md, memory).
    log('compiling the sidecar (npm run build:sidecar)');
    execFileSync('npm', ['run', '--silent', 'build:sidecar'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    sidecar = await startSidecar({
      env: instanceEnv,
      label: 'bench',
      built: true,
      // BENCH_PROFILE=dir writes a V8 CPU profile of the sidecar there (summarise it with bench/profile-summary.ts).
      nodeArgs: [...SIDECAR_NODE_FLAGS, ...(process.env['BENCH_PROFILE'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_PROFILE']}`] : [])],
    });
    const firstStartMs = sidecar.startupMs();
    const memory = watchMemory(sidecar);
    log(`sidecar ready in ${fmt(firstStartMs)} ms`);

    const refEnv = {
      BARE_DATABASE_URL: dbUrl,
      BARE_POOL_SIZE: String(POOL_SIZE),
      BARE_TABLE_PREFIX: TABLE_PREFIX,
      BARE_PRICE_COINS: String(PRICE_COINS),
      BARE_JWT_SECRET: env['GOLDCOIN_JWT_SECRET']!,
      BARE_WP_HOME: env['WP_HOME']!,
    };
    const ref = await startReference('bare-node.ts', refEnv);
    let unlock;
    try {
      unlock = await benchUnlock(tdb, sidecar, pool, ref);
    } finally {
      ref.stop();
    }
    if (ONLY_UNLOCK) {
      const rssKb = sidecar.peakRssKb();
      notes.push(`sidecar node flags: ${SIDECAR_NODE_FLAGS.join(' ') || 'none'}; peak RSS after the unlock rows ${rssKb === null ? 'n/a' : `${fmt(rssKb / 1024, 1)} MiB`}`);
      process.stdout.write(`${await machine(tdb)}\n\n${unlockTable()}\n\n${unlockCpuTable()}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
      return;
    }
    const { sideUsers, tokens, posts } = unlock;
    // Where the peak is reached: VmHWM after each part (it only grows), and VmRSS then.
    const s = sidecar;
    const memoryAfter: string[] = [];
    const noteMemory = (part: string) => {
      const m = s.memoryKb();
      if (m) memoryAfter.push(`${part} ${fmt(m.peak / 1024, 0)} / ${fmt(m.now / 1024, 0)}`);
    };
    noteMemory('unlock rows');
    await benchScaleOut(tdb, sidecar, instanceEnv, posts);
    noteMemory('scale-out');
    await benchWalletReads(sidecar, sideUsers, tokens, refEnv);
    noteMemory('wallet reads');
    await benchIpnStorm(tdb, sidecar, sim, instanceEnv);
    noteMemory('IPN storm');

    const peakRssKb = sidecar.peakRssKb();
    memory.stop();
    await sidecar.stop();
    await sidecar.restart();
    const restartMs = sidecar.startupMs();
    await sidecar.stop();

    log('widget first load in Chromium');
    const widget = await benchWidget(log);

    const c8 = rows.find((r) => r.what.startsWith('unlock, users') && r.c === '8')!;
    const c64 = rows.find((r) => r.what.startsWith('unlock, users') && r.c === '64')!;
    const ratio8 = c8.sidecar.perSecond / c8.reference.perSecond;
    const out = [
      '# Benchmarks',
      '',
      'Written by `npm run bench` (bench/run.ts). Every sidecar figure is measured in the same run as its reference, and',
      'compared as a ratio: absolute figures drift between runs and machines, ratios much less.',
      '',
      '## Machine',
      await machine(tdb),
      '',
      '## Results',
      '',
      '### Unlock (POST /api/posts/:postId/unlock with a JWT, real MariaDB, prices in wp_postmeta)',
      unlockTable(),
      '',
      '### Reads and IPNs',
      table(),
      '',
      `| process | value |`,
      `|---|---|`,
      `| sidecar start-up to first 200 from /readyz (migrations already applied) | ${fmt(firstStartMs)} ms first start, ${fmt(restartMs)} ms restart |`,
      `| sidecar peak RSS (VmHWM) after all of the above (the unlock rows, scale-out, wallet reads, the IPN storm; the event streams ran on an instance of their own) | ${peakRssKb === null ? 'n/a' : `**${fmt(peakRssKb / 1024, 1)} MiB**`} (target ≤ 150) |`,
      `| sidecar peak / resident MiB after each part, in order | ${memoryAfter.join('; ')} |`,
      `| sidecar memory at its highest sampled RSS | ${memory.describe()} |`,
      `| widget entry (goldcoin.js alone; the first load of each view is below) | ${await widgetSize()} |`,
      ...processRows,
      '',
      '### Widget (visitor script, first load)',
      widget,
      '',
      `Unlock at c=8: the sidecar reaches **${fmt(ratio8, 2)}** of a bare node:http server that checks the same HS256 token and ` +
        `runs only the money writes (target ≥ 0.8), and ${fmt(c64.sidecar.perSecond / c64.reference.perSecond, 2)} at c=64; ` +
        `the same money writes in this process, without HTTP, run ${fmt(c8.minimal!.perSecond / c8.reference.perSecond, 2)}× the reference at c=8.`,
      '',
      '### CPU per unlock, by party',
      'Each process\'s user + system time (all threads, from /proc) over the same rounds, divided by the unlocks done. On a machine',
      'the three share this is what the throughput is made of, and it drifts less than throughput when other work runs.',
      '',
      unlockCpuTable(),
      '',
      '## Notes',
      ...notes.map((n) => `- ${n}`),
      '- The unlock reference (bench/bare-node.ts) is a bare node:http server in its own process: it reads the request body,',
      '  checks the same HS256 token with jose, and runs the money writes alone over a mysql2 pool of the same size',
      '  (bench/raw-unlock.ts minimalUnlock: a conditional UPDATE of the balance, the ledger row, the entitlement; 5 statements',
      '  with BEGIN and COMMIT, no price read). The sidecar sends as many for a first purchase at the price the widget showed',
      '  (the entitlement inserted from wp_posts/wp_postmeta, the ledger row from the locked wallet, the balance), after its',
      '  attempt count in memory. "In process" runs those money writes from this process, without HTTP or a token. The wallet',
      '  reference (bench/bare-hono.ts) runs the sidecar\'s wallet statements (with the unread count) by hand behind the same token check. The',
      '  HTTP rows use a keep-alive raw-socket client (bench/load.ts) that costs the machine about a tenth of what the server',
      '  spends per request. Where the time goes: bench/PROFILE.md.',
      `- Whole run: ${fmt((performance.now() - t0) / 1000)} s.`,
      '',
    ].join('\n');
    writeFileSync(join(ROOT, 'bench', 'RESULTS.md'), out);
    process.stdout.write(out);
  } finally {
    await sidecar?.stop();
    await pool.end();
    await sim.close();
    await tdb.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});

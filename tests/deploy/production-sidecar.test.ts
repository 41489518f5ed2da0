// The compiled sidecar under the systemd unit's own command line, on a least-privilege database login: it refuses
// pending migrations, starts once the owner login has migrated, and a SIGTERM during an unlock storm cuts nothing.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../sidecar/src/db/database.js';
import { migrate } from '../../sidecar/src/db/migrator.js';
import { runtimeGrantStatements } from '../../sidecar/src/db/privileges.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { mintToken, SIM_KEYS, testEnv } from '../support/app.js';
import { createEmptyDatabase, createWpUser, dropDatabase, installWordPressTables, TABLE_PREFIX, WP_PREFIX } from '../support/db.js';
import { freePort } from '../support/sidecar-process.js';
import { insertPricedPost } from '../fault/storm.js';
import { startSimulator, type Simulator } from '../../simulators/coinpayments-legacy/simulator.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const UNIT = readFileSync(join(ROOT, 'deploy', 'goldcoin-sidecar.service'), 'utf8');
/** Where the unit expects the release; the test runs this checkout in its place. */
const RELEASE_DIR = '/opt/goldcoin';
const ROOT_URL = process.env['TEST_DATABASE_ROOT_URL'] ?? 'mysql://root@127.0.0.1:3306';
const BUILD_BOUND_MS = 180_000;
const READY_BOUND_MS = 30_000;
const EXIT_BOUND_MS = 25_000;
const USERS = 8;
const POSTS_PER_USER = 40;
const PRICE = 3;
/** Requests answered before the signal is sent, so the storm is running at full width when it comes. */
const ANSWERS_BEFORE_SIGNAL = 60;

function unitValue(key: string): string {
  const m = new RegExp(`^${key}=(.+)$`, 'm').exec(UNIT);
  if (!m) throw new Error(`the unit has no ${key}=`);
  return m[1]!.trim();
}

/** The unit's ExecStart with the release directory mapped to this checkout: the same binary, file and working directory. */
function unitCommand(): { command: string; args: string[]; cwd: string } {
  const [command, ...args] = unitValue('ExecStart').split(/\s+/).map((w) => w.replace(RELEASE_DIR, ROOT));
  const node = command === '/usr/bin/node' ? process.execPath : command!;
  return { command: node, args, cwd: unitValue('WorkingDirectory').replace(RELEASE_DIR, ROOT) };
}

/** Reads an EnvironmentFile as systemd does for the lines we write: KEY=VALUE, comments and blanks skipped. */
function readEnvironmentFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

interface Started {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: string | null }>;
  output: () => string;
}

function startUnit(envFile: string): Started {
  const { command, args, cwd } = unitCommand();
  const child = spawn(command, args, { cwd, env: { PATH: process.env['PATH'] ?? '', ...readEnvironmentFile(envFile) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exit, output: () => out };
}

async function waitReady(url: string, started: Started): Promise<void> {
  const deadline = Date.now() + READY_BOUND_MS;
  let gone = false;
  void started.exit.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the sidecar exited during start-up:\n${started.output()}`);
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`not ready within ${READY_BOUND_MS} ms:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

type Outcome = { kind: 'answered'; status: number; afterSignal: boolean } | { kind: 'refused' } | { kind: 'no answer'; error: string };

/** One unlock on its own connection, so every outcome is either an answer or a connection that never carried one. */
function unlock(port: number, token: string, post: number, signalled: () => boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: `/api/posts/${post}/unlock`, agent: false, headers: { Authorization: `Bearer ${token}`, 'Content-Length': 0 } },
      (res) => {
        res.resume();
        res.once('end', () => resolve({ kind: 'answered', status: res.statusCode ?? 0, afterSignal: signalled() }));
        res.once('error', (err) => resolve({ kind: 'no answer', error: `body cut: ${err.message}` }));
      },
    );
    req.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'no answer', error: err.code ?? err.message }));
    req.end();
  });
}

let dbName: string;
let ownerUrl: string;
let appUrl: string;
let login: string;
let db: Db;
let dir: string;
let sim: Simulator;

beforeAll(async () => {
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit', timeout: BUILD_BOUND_MS });
  dbName = `gct_prod_sidecar_${randomBytes(3).toString('hex')}`;
  ownerUrl = await createEmptyDatabase(dbName);
  await installWordPressTables(ownerUrl, WP_PREFIX);
  const password = randomBytes(12).toString('hex');
  const user = `gc_rt_${randomBytes(3).toString('hex')}`;
  login = `'${user}'@'127.0.0.1'`;
  appUrl = `mysql://${user}:${password}@127.0.0.1:3306/${dbName}`;
  const root = await createConnection({ uri: ROOT_URL });
  await root.query(`CREATE USER ${login} IDENTIFIED BY '${password}'`);
  await root.end();
  dir = mkdtempSync(join(tmpdir(), 'goldcoin-unit-'));
  sim = await startSimulator(SIM_KEYS);
}, BUILD_BOUND_MS + 30_000);

afterAll(async () => {
  await db?.destroy();
  await sim?.close();
  const root = await createConnection({ uri: ROOT_URL });
  await root.query(`DROP USER IF EXISTS ${login}`);
  await root.end();
  await dropDatabase(dbName);
});

/** The runtime grants exactly as the README lists them, for the tables the migrations created. */
async function grantRuntime(): Promise<void> {
  const owner = await createConnection({ uri: ownerUrl });
  const [rows] = await owner.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE ?', [`${TABLE_PREFIX}%`]);
  await owner.end();
  const root = await createConnection({ uri: ROOT_URL });
  for (const s of runtimeGrantStatements(dbName, (rows as Array<{ t: string }>).map((r) => r.t), TABLE_PREFIX, WP_PREFIX, login)) await root.query(s);
  await root.end();
}

describe('the compiled sidecar under the systemd unit', () => {
  it('runs on the least-privilege login: refuses a pending migration naming the command, starts once the owner login migrated, and cannot ALTER', async () => {
    const port = await freePort();
    const envFile = join(dir, 'sidecar.env');
    const env = testEnv(appUrl, { PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'info', RATE_LIMIT_UNLOCK: '0', RECONCILE_INTERVAL_S: '1', COINPAYMENTS_API_URL: sim.apiUrl });
    writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    expect(unitValue('EnvironmentFile')).toBe('/etc/goldcoin/sidecar.env');
    expect(unitValue('User')).toBe('goldcoin');
    expect(unitValue('Restart')).toBe('on-failure');

    // An upgrade: the database is one migration behind the release, the login holds the runtime grants of its tables.
    const all = readdirSync(join(ROOT, 'sql')).filter((n) => /^\d{3}_.+\.sql$/.test(n)).sort();
    const latest = all.at(-1)!;
    const older = join(dir, 'sql-before');
    mkdirSync(older);
    for (const n of all.slice(0, -1)) copyFileSync(join(ROOT, 'sql', n), join(older, n));
    await migrate({ url: ownerUrl, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX, dir: older });
    await grantRuntime();
    const refused = startUnit(envFile);
    const first = await refused.exit;
    expect(first.code, refused.output()).toBe(3);
    expect(refused.output()).toContain(`1 migration(s) pending (${latest}) and this database login cannot apply them`);
    expect(refused.output()).toContain('npm run migrate');
    const owner = await createConnection({ uri: ownerUrl });
    const [applied] = await owner.query(`SELECT COUNT(*) AS n FROM \`${TABLE_PREFIX}migrations\` WHERE name = ?`, [latest]);
    expect(Number((applied as Array<{ n: number }>)[0]!.n)).toBe(0);
    await owner.end();

    const migrateOut = execFileSync(process.execPath, [join(ROOT, 'sidecar', 'dist', 'migrate.js')], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', DATABASE_URL: appUrl, MIGRATE_DATABASE_URL: ownerUrl },
      encoding: 'utf8',
    });
    expect(migrateOut).toContain(`migrated: ${latest}`);
    await grantRuntime();
    const app = await createConnection({ uri: appUrl });
    await expect(app.query(`ALTER TABLE \`${TABLE_PREFIX}user_wallet\` ADD COLUMN x INT`)).rejects.toMatchObject({ errno: 1142 });
    await expect(app.query(`CREATE TABLE \`${TABLE_PREFIX}x\` (id INT)`)).rejects.toMatchObject({ errno: 1142 });
    await app.end();

    const started = startUnit(envFile);
    await waitReady(`http://127.0.0.1:${port}`, started);
    started.child.kill('SIGTERM');
    expect((await started.exit).code).toBe(0);
  }, 120_000);

  it('a SIGTERM during an unlock storm: every request answered 2xx/4xx before exit or refused at connect, the ledger matching the answers', async () => {
    db = createDb({ url: ownerUrl, poolSize: 4, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX });
    const author = await createWpUser(db);
    const posts: number[] = [];
    for (let i = 0; i < POSTS_PER_USER; i++) posts.push(await insertPricedPost(db, author, PRICE));
    const users: Array<{ id: number; token: string }> = [];
    for (let i = 0; i < USERS; i++) {
      const id = await createWpUser(db);
      await applyMovement(db, { userId: id, deltaCoins: POSTS_PER_USER * PRICE, kind: 'adjustment', idempotencyRef: `seed:${id}`, actor: 'test' });
      users.push({ id, token: await mintToken(id) });
    }
    const port = Number(readEnvironmentFile(join(dir, 'sidecar.env'))['PORT']);
    const started = startUnit(join(dir, 'sidecar.env'));
    await waitReady(`http://127.0.0.1:${port}`, started);

    // A payment's event stream stays open until the payment settles: the shutdown must end it, not wait on it.
    const recharge = await fetch(`http://127.0.0.1:${port}/api/recharges`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${users[0]!.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'sigterm-stream' },
      body: JSON.stringify({ package_id: 'p22', method: 'USDT', network: 'USDT.TRC20' }),
    });
    expect(recharge.status).toBe(201);
    const { id: rechargeId } = (await recharge.json()) as { id: number };
    const stream = await fetch(`http://127.0.0.1:${port}/api/recharges/${rechargeId}/events`, { headers: { Authorization: `Bearer ${users[0]!.token}` } });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = stream.body!.getReader();
    expect(new TextDecoder().decode((await events.read()).value)).toContain('event: status');
    const streamEnded = (async () => {
      try {
        while (!(await events.read()).done);
      } catch {
        // ended by the server closing the connection
      }
      return true;
    })();

    let signalled = false;
    let answered = 0;
    let signalSent!: () => void;
    const signalNow = new Promise<void>((resolve) => (signalSent = resolve));
    const outcomes = new Map<string, Outcome>();
    const storm = Promise.all(
      users.map(async (u) => {
        for (const post of posts) {
          const o = await unlock(port, u.token, post, () => signalled);
          outcomes.set(`${u.id}:${post}`, o);
          if (o.kind === 'answered' && ++answered === ANSWERS_BEFORE_SIGNAL) signalSent();
          if (o.kind === 'refused') return;
        }
      }),
    );
    await Promise.race([signalNow, storm]);
    signalled = true;
    started.child.kill('SIGTERM');
    const exit = await Promise.race([started.exit, new Promise<null>((r) => setTimeout(() => r(null), EXIT_BOUND_MS))]);
    await storm;
    expect(exit, `no exit within ${EXIT_BOUND_MS} ms:\n${started.output().slice(-3000)}`).not.toBeNull();
    expect(exit!.code, started.output().slice(-3000)).toBe(0);
    expect(await streamEnded).toBe(true);

    const all = [...outcomes.values()];
    const statuses = new Map<number, number>();
    for (const o of all) if (o.kind === 'answered') statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
    const afterSignal = all.filter((o) => o.kind === 'answered' && o.afterSignal).length;
    const refused = all.filter((o) => o.kind === 'refused').length;
    const unanswered = [...outcomes.entries()].filter(([, o]) => o.kind === 'no answer');
    const inFlightAtSignal = Number(/"inFlightAtSignal":(\d+)/.exec(started.output())?.[1] ?? -1);
    console.log(`SIGTERM storm: answered ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}, ${afterSignal} of them after the signal; ` +
      `${inFlightAtSignal} in flight at the signal; ${refused} refused at connect; ${unanswered.length} with no answer (${unanswered.map(([, o]) => (o as { error: string }).error).join(', ')})`);

    for (const status of statuses.keys()) expect(status === 200 || (status >= 400 && status < 500), `status ${status}`).toBe(true);
    expect(statuses.get(200) ?? 0).toBeGreaterThanOrEqual(ANSWERS_BEFORE_SIGNAL);
    expect(refused, 'the storm outlived the server').toBeGreaterThan(0);
    expect(inFlightAtSignal).toBeGreaterThan(0);

    // The books against the answers: a 200 is an entitlement and a debit; anything else, including a connection
    // reset before any answer (a connection still queued in the listener when it closed), moved nothing.
    const rows = await db.selectFrom('entitlements').select(['user_id', 'post_id']).execute();
    const owned = new Set(rows.map((r) => `${r.user_id}:${r.post_id}`));
    const answered200 = new Set([...outcomes.entries()].filter(([, o]) => o.kind === 'answered' && o.status === 200).map(([k]) => k));
    expect([...owned].sort()).toEqual([...answered200].sort());
    for (const u of users) {
      const mine = [...answered200].filter((k) => k.startsWith(`${u.id}:`)).length;
      const wallet = await db.selectFrom('user_wallet').select('total_coins').where('user_id', '=', u.id).executeTakeFirstOrThrow();
      expect(Number(wallet.total_coins)).toBe(POSTS_PER_USER * PRICE - mine * PRICE);
    }
    const report = await checkInvariants(db, users.map((u) => u.id));
    expect(report.problems).toEqual([]);
  }, 180_000);
});

// Database outage under load: a real sidecar behind a TCP proxy we cut; 503 database_unavailable during
// the outage, recovery without a restart, nothing half-written, retried money requests applied once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { mintToken, testEnv } from '../support/app.js';
import { ADMIN_URL, createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startSidecar, type SidecarProcess } from '../support/sidecar-process.js';
import { userWithCoins } from '../support/seeded.js';
import { insertPricedPost } from './storm.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { DB_OUTAGE } from './sizing.js';

const { USERS, WORKERS, RECOVERY_BOUND_MS, PHASE_MIN_REQUESTS, OUTAGES, POSTS } = DB_OUTAGE;

let tdb: TestDatabase;
let proxy: TcpProxy;
let sidecar: SidecarProcess;
let users: number[];
const posts: number[] = [];
let adminToken: string;
const tokens = new Map<number, string>();

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  users = [];
  for (let i = 0; i < USERS; i++) {
    const { id, token } = await userWithCoins(tdb.db, 1_000);
    users.push(id);
    tokens.set(id, token);
  }
  const admin = await createWpUser(tdb.db);
  for (let i = 0; i < POSTS; i++) posts.push(await insertPricedPost(tdb.db, admin, 1));
  adminToken = await mintToken(admin, { caps: ['read', 'manage_options'] });
  const server = new URL(ADMIN_URL);
  proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 3306) });
  const viaProxy = new URL(tdb.url);
  viaProxy.port = String(proxy.port);
  sidecar = await startSidecar({ env: testEnv(viaProxy.toString(), { DATABASE_POOL_SIZE: '4', RATE_LIMIT_UNLOCK: '0' }), label: 'outage' });
});
afterAll(async () => {
  await sidecar?.stop();
  await proxy?.close();
  await tdb?.drop();
});

type Phase = 'up' | 'down' | 'recovering';
type Outcome = { status: number; code: string | null; key: string | null; startedIn: Phase; endedIn: Phase };

let phase: Phase = 'up';

async function adjust(user: number, delta: number, key: string): Promise<{ status: number; code: string | null }> {
  const res = await fetch(`${sidecar.url}/api/admin/adjustments`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ user_id: user, delta_coins: delta, reason: `outage test ${key}` }),
  });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code ?? null };
}

const userOf = (n: number) => users[n % users.length]!;
const deltaOf = (n: number) => (n % 6 === 1 ? 1 : -1);

/** One request of the mixed load: a wallet read, an unlock, or a ±1 coin adjustment with its own Idempotency-Key. */
async function oneRequest(n: number): Promise<Outcome> {
  const startedIn = phase;
  if (n % 2 === 0 || n % 6 === 5) {
    const res =
      n % 2 === 0
        ? await fetch(`${sidecar.url}/api/wallet`, { headers: { Authorization: `Bearer ${tokens.get(userOf(n))}` } })
        : await fetch(`${sidecar.url}/api/posts/${posts[Math.floor(n / 6) % POSTS]}/unlock`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${tokens.get(userOf(n))}` },
          });
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, code: body.error?.code ?? null, key: null, startedIn, endedIn: phase };
  }
  const key = `outage-${n}-${Math.random().toString(36).slice(2, 10)}`;
  const res = await adjust(userOf(n), deltaOf(n), key);
  return { ...res, key, startedIn, endedIn: phase };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + RECOVERY_BOUND_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('database outage', () => {
  it('answers 503 database_unavailable while the database is cut, recovers without a restart, and writes nothing by halves', async () => {
    const pid = sidecar.pid();
    const seen: Outcome[] = [];
    let next = 0;
    let running = true;
    const workers = Array.from({ length: WORKERS }, async () => {
      while (running) seen.push(await oneRequest(next++));
    });

    for (let cycle = 0; cycle < OUTAGES; cycle++) {
      const base = seen.length;
      await waitFor('load before the cut', () => seen.length >= base + PHASE_MIN_REQUESTS);
      phase = 'down';
      proxy.cut();
      const cutAt = seen.length;
      await waitFor('refusals during the outage', () => seen.slice(cutAt).filter((o) => o.startedIn === 'down').length >= PHASE_MIN_REQUESTS);
      expect((await fetch(`${sidecar.url}/readyz`)).status).toBe(503);
      phase = 'recovering';
      proxy.restore();
      await waitFor('readiness after the outage', async () => (await fetch(`${sidecar.url}/readyz`)).status === 200);
      phase = 'up';
    }
    const base = seen.length;
    await waitFor('load after the last outage', () => seen.length >= base + PHASE_MIN_REQUESTS);
    running = false;
    await Promise.all(workers);
    expect(sidecar.pid()).toBe(pid);

    // Never a 500: requests caught by the cut finish either way; those wholly inside an outage are 503s.
    expect(seen.filter((o) => ![200, 201, 503].includes(o.status))).toEqual([]);
    expect(seen.filter((o) => o.status === 503 && o.code !== 'database_unavailable')).toEqual([]);
    const inside = seen.filter((o) => o.startedIn === 'down' && o.endedIn === 'down');
    expect(inside.filter((o) => o.status !== 503)).toEqual([]);
    const healthy = seen.filter((o) => o.startedIn === 'up' && o.endedIn === 'up');
    expect(healthy.filter((o) => o.status >= 300)).toEqual([]);

    // Retrying each refused adjustment with its key applies it at most once: 201, or 409 while a claim left by
    // a request the cut interrupted is still fresh. A key never has more than one ledger row (unique reference).
    const refused = seen.filter((o) => o.key !== null && o.status === 503);
    let applied = 0;
    let inProgress = 0;
    for (const o of refused) {
      const i = Number(o.key!.split('-')[1]);
      const again = await adjust(userOf(i), deltaOf(i), o.key!);
      expect([201, 409]).toContain(again.status);
      if (again.status === 201) applied++;
      else inProgress++;
    }
    const rows = await tdb.db.selectFrom('coin_ledger').select('idempotency_ref').where('actor', 'like', 'admin:%').execute();
    const keysWithRows = new Set(rows.map((r) => r.idempotency_ref.split(':').pop()));
    expect(keysWithRows.size).toBe(rows.length);
    for (const o of seen.filter((x) => x.key !== null && x.status === 201)) expect(keysWithRows.has(o.key!)).toBe(true);

    // An unlock is all or nothing: every entitlement has its debit and every debit its entitlement.
    const entitlements = await tdb.db.selectFrom('entitlements').select('ledger_ref').execute();
    const debits = await tdb.db.selectFrom('coin_ledger').select('idempotency_ref').where('kind', '=', 'unlock').execute();
    expect(new Set(debits.map((d) => d.idempotency_ref))).toEqual(new Set(entitlements.map((e) => e.ledger_ref)));
    const report = await checkInvariants(tdb.db);
    expect(report.problems).toEqual([]);
    console.log(
      `fault: ${OUTAGES} database outages under ${WORKERS} workers: ${seen.length} requests, ${inside.length} wholly inside an outage (all 503), ` +
        `${seen.filter((o) => o.startedIn !== o.endedIn).length} caught by a cut or restore; ${refused.length} refused adjustments retried ` +
        `(${applied} applied once, ${inProgress} still claimed: 409); ${rows.length} adjustment rows, one per key; ${entitlements.length} unlocks, each with its one debit; ` +
        `${proxy.connections()} database connections; invariants hold for ${report.usersChecked} wallets`,
    );
  });
});

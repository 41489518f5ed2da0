// A stalled database (a partition: no reset, no answer) under load: requests answer 503 database_unavailable
// within the request deadline instead of hanging, /readyz answers 503 quickly, and once the database answers
// again the same process serves requests, with every unlock and adjustment whole or absent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { mintToken, testEnv } from '../support/app.js';
import { ADMIN_URL, createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startSidecar, type SidecarProcess } from '../support/sidecar-process.js';
import { userWithCoins } from '../support/seeded.js';
import { eventually, insertPricedPost } from './storm.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { DB_STALL } from './sizing.js';

const { REQUEST_TIMEOUT_MS, ANSWER_BOUND_MS, READY_BOUND_MS, USERS, POSTS } = DB_STALL;

let tdb: TestDatabase;
let proxy: TcpProxy;
let sidecar: SidecarProcess;
const users: number[] = [];
const posts: number[] = [];
const tokens = new Map<number, string>();
let adminToken: string;

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  for (let i = 0; i < USERS; i++) {
    const { id, token } = await userWithCoins(tdb.db, 100);
    users.push(id);
    tokens.set(id, token);
  }
  const admin = await createWpUser(tdb.db);
  adminToken = await mintToken(admin, { caps: ['read', 'manage_options'] });
  for (let i = 0; i < POSTS; i++) posts.push(await insertPricedPost(tdb.db, admin, 1));
  const server = new URL(ADMIN_URL);
  proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 3306) });
  const viaProxy = new URL(tdb.url);
  viaProxy.port = String(proxy.port);
  sidecar = await startSidecar({
    env: testEnv(viaProxy.toString(), { DATABASE_POOL_SIZE: '4', RATE_LIMIT_UNLOCK: '0', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }),
    label: 'stall',
  });
});
afterAll(async () => {
  await sidecar?.stop(2_000);
  await proxy?.close();
  await tdb?.drop();
});

interface Answer {
  what: string;
  status: number;
  code: string | null;
  ms: number;
}

async function timed(what: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${sidecar.url}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  const code = res.status >= 400 && text.startsWith('{') ? ((JSON.parse(text) as { error?: { code: string } }).error?.code ?? null) : null;
  return { what, status: res.status, code, ms: Date.now() - started };
}

/** A wallet read, an unlock and an adjustment per user: the mixed load the stall catches. */
function mixedLoad(round: string) {
  return users.flatMap((user, i) => [
    timed('wallet', '/api/wallet', { headers: { Authorization: `Bearer ${tokens.get(user)}` } }),
    timed('unlock', `/api/posts/${posts[i % POSTS]}/unlock`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(user)}` } }),
    timed('adjustment', '/api/admin/adjustments', {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json', 'Idempotency-Key': `stall-${round}-${user}` },
      body: JSON.stringify({ user_id: user, delta_coins: 1, reason: `stall test ${round}` }),
    }),
  ]);
}

describe('database stall', () => {
  it('answers 503 within the request deadline while the database stalls, and recovers without a restart when it answers again', async () => {
    const before = await Promise.all(mixedLoad('before'));
    expect(before.filter((a) => a.status >= 300)).toEqual([]);
    const pid = sidecar.pid();

    proxy.stall();
    const [during, ready, health] = await Promise.all([
      Promise.all(mixedLoad('during')),
      timed('readyz', '/readyz'),
      timed('healthz', '/healthz'),
    ]);
    for (const a of during) {
      expect(a.status, a.what).toBe(503);
      expect(a.code, a.what).toBe('database_unavailable');
      expect(a.ms, a.what).toBeLessThan(ANSWER_BOUND_MS);
    }
    expect(ready.status).toBe(503);
    expect(ready.ms).toBeLessThan(READY_BOUND_MS);
    expect(health.status).toBe(200);

    proxy.restore();
    expect(await eventually(20_000, async () => (await timed('readyz', '/readyz')).status === 200)).toBe(true);
    // The handlers caught by the stall finish once the bytes flow again; then everything answers normally.
    const after = await Promise.all(mixedLoad('after'));
    expect(after.filter((a) => a.status >= 300)).toEqual([]);
    expect(sidecar.pid()).toBe(pid);

    const entitlements = await tdb.db.selectFrom('entitlements').select('ledger_ref').execute();
    const debits = await tdb.db.selectFrom('coin_ledger').select('idempotency_ref').where('kind', '=', 'unlock').execute();
    expect(new Set(debits.map((d) => d.idempotency_ref))).toEqual(new Set(entitlements.map((e) => e.ledger_ref)));
    const adjustments = await tdb.db.selectFrom('coin_ledger').select('idempotency_ref').where('actor', 'like', 'admin:%').execute();
    expect(new Set(adjustments.map((a) => a.idempotency_ref)).size).toBe(adjustments.length);
    const report = await checkInvariants(tdb.db);
    expect(report.problems).toEqual([]);
    const slowest = Math.max(...during.map((a) => a.ms));
    console.log(
      `fault: database stalled under ${during.length} concurrent requests: all answered 503 database_unavailable within ${slowest} ms ` +
        `(deadline ${REQUEST_TIMEOUT_MS} ms), /readyz 503 in ${ready.ms} ms; after the stall ${after.length} requests answered 200/201 ` +
        `by the same process; ${entitlements.length} unlocks each with its one debit, ${adjustments.length} adjustments one per key; invariants hold`,
    );
  });
});

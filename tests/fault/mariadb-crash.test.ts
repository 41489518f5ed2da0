// MariaDB itself crashes (SIGKILL, InnoDB crash recovery on restart) under unlock and adjustment load: 503
// database_unavailable during the outage, the same sidecar process recovers, every acknowledged write survived,
// nothing is half-written, and retried requests land exactly once.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { mintToken, testEnv } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startPrivateMariaDb, type PrivateMariaDb } from '../support/private-mariadb.js';
import { startSidecar, type SidecarProcess } from '../support/sidecar-process.js';
import { userWithCoins } from '../support/seeded.js';
import { insertPricedPost } from './storm.js';
import { MARIADB_CRASH } from './sizing.js';

const {
  USERS,
  WORKERS,
  POSTS,
  PRICE_COINS,
  SEED_COINS,
  CRASHES,
  PHASE_MIN_REQUESTS,
  OUTAGE_MIN_REFUSALS,
  REQUEST_TIMEOUT_MS,
  ANSWER_BOUND_MS,
  CLIENT_TIMEOUT_MS,
  RECOVERY_BOUND_MS,
  REFUSED_BACKOFF_MS,
  CLAIM_AGE_S,
  SETUP_TIMEOUT_MS,
  TEST_TIMEOUT_MS,
} = MARIADB_CRASH;

let mariadb: PrivateMariaDb;
let tdb: TestDatabase;
let sidecar: SidecarProcess;
let adminId: number;
let adminToken: string;
const users: number[] = [];
const posts: number[] = [];
const tokens = new Map<number, string>();

beforeAll(async () => {
  mariadb = await startPrivateMariaDb();
  tdb = await createTestDatabase(import.meta.filename, { adminUrl: mariadb.adminUrl, poolSize: 8 });
  for (let i = 0; i < USERS; i++) {
    const { id, token } = await userWithCoins(tdb.db, SEED_COINS);
    users.push(id);
    tokens.set(id, token);
  }
  adminId = await createWpUser(tdb.db);
  adminToken = await mintToken(adminId, { caps: ['read', 'manage_options'] });
  for (let i = 0; i < POSTS; i++) posts.push(await insertPricedPost(tdb.db, adminId, PRICE_COINS));
  sidecar = await startSidecar({
    env: testEnv(tdb.url, { DATABASE_POOL_SIZE: '6', RATE_LIMIT_UNLOCK: '0', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) }),
    label: 'mariadb-crash',
  });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  // Each step runs even when an earlier one fails, so no server or directory is left behind.
  try {
    await sidecar?.stop(2_000);
  } finally {
    try {
      await tdb?.db.destroy();
    } finally {
      await mariadb?.destroy();
    }
  }
});

type Phase = 'up' | 'crashing' | 'down' | 'recovering';
let phase: Phase = 'up';

interface Answer {
  status: number;
  code: string | null;
  ms: number;
  startedIn: Phase;
  endedIn: Phase;
}
interface UnlockAnswer extends Answer {
  kind: 'unlock';
  user: number;
  post: number;
  /** What a 200 promised: coins charged and the balance right after. */
  charged: number | null;
  balance: number | null;
}
interface AdjustmentAnswer extends Answer {
  kind: 'adjustment';
  user: number;
  delta: number;
  key: string;
  /** What a 201 promised: the ledger entry and the balance after it. */
  entryId: number | null;
  balanceAfter: number | null;
}
type Outcome = UnlockAnswer | AdjustmentAnswer;

/** One request; a hang past CLIENT_TIMEOUT_MS or a dropped connection is recorded as status 0, never thrown. */
async function send(path: string, init: RequestInit): Promise<{ status: number; body: Record<string, unknown>; ms: number; startedIn: Phase; endedIn: Phase }> {
  const startedIn = phase;
  const started = Date.now();
  try {
    const res = await fetch(`${sidecar.url}${path}`, { ...init, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
    const text = await res.text();
    const body = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { raw: text };
    return { status: res.status, body, ms: Date.now() - started, startedIn, endedIn: phase };
  } catch (err) {
    return { status: 0, body: { raw: (err as Error).message }, ms: Date.now() - started, startedIn, endedIn: phase };
  }
}

const errorCode = (body: Record<string, unknown>) => (body['error'] as { code?: string } | undefined)?.code ?? null;

async function unlock(user: number, post: number): Promise<UnlockAnswer> {
  const r = await send(`/api/posts/${post}/unlock`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(user)}` } });
  const ok = r.status === 200;
  return {
    kind: 'unlock',
    user,
    post,
    status: r.status,
    code: errorCode(r.body),
    ms: r.ms,
    startedIn: r.startedIn,
    endedIn: r.endedIn,
    charged: ok ? (r.body['charged_coins'] as number) : null,
    balance: ok ? (r.body['balance'] as number) : null,
  };
}

async function adjust(user: number, delta: number, key: string): Promise<AdjustmentAnswer> {
  const r = await send('/api/admin/adjustments', {
    method: 'POST',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify({ user_id: user, delta_coins: delta, reason: `crash test ${key}` }),
  });
  const ok = r.status === 201;
  const entry = r.body['entry'] as { id: number; balance_after: number } | undefined;
  return {
    kind: 'adjustment',
    user,
    delta,
    key,
    status: r.status,
    code: errorCode(r.body),
    ms: r.ms,
    startedIn: r.startedIn,
    endedIn: r.endedIn,
    entryId: ok ? entry!.id : null,
    balanceAfter: ok ? entry!.balance_after : null,
  };
}

const runId = Math.random().toString(36).slice(2, 8);
let nextRequest = 0;
let nextUnlock = 0;

/** Every unlock is of a (user, post) pair not asked for before, so each 200 that charged is a new purchase. */
async function oneRequest(): Promise<Outcome> {
  const n = nextRequest++;
  if (n % 2 === 0 && nextUnlock < USERS * POSTS) {
    const u = nextUnlock++;
    return unlock(users[u % USERS]!, posts[Math.floor(u / USERS)]!);
  }
  return adjust(users[n % USERS]!, n % 3 === 0 ? 1 : -1, `crash-${runId}-${n}`);
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > RECOVERY_BOUND_MS) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

/** Runs fn over items from WORKERS concurrent clients; answers in the order of items. */
async function eachAtOnce<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const readyStatus = async () => (await send('/readyz', {})).status;

describe('MariaDB crash under load', () => {
  it('answers 503 database_unavailable while MariaDB is down, recovers in the same process, and keeps every acknowledged write whole', async () => {
    const pid = sidecar.pid();
    const seen: Outcome[] = [];
    let running = true;
    const workers = Array.from({ length: WORKERS }, async () => {
      while (running) {
        const o = await oneRequest();
        seen.push(o);
        if (o.status === 503) await new Promise((r) => setTimeout(r, REFUSED_BACKOFF_MS));
      }
    });

    const recoveries: { serverMs: number; sidecarMs: number }[] = [];
    const readyDuringOutage: number[] = [];
    for (let cycle = 0; cycle < CRASHES; cycle++) {
      const base = seen.length;
      await waitFor('load before the crash', () => seen.length >= base + PHASE_MIN_REQUESTS);
      phase = 'crashing';
      await mariadb.crash();
      phase = 'down';
      const downAt = seen.length;
      await waitFor('refusals during the outage', () => seen.slice(downAt).filter((o) => o.startedIn === 'down').length >= OUTAGE_MIN_REFUSALS);
      readyDuringOutage.push(await readyStatus());
      phase = 'recovering';
      const serverMs = await mariadb.start();
      const sidecarMs = await waitFor('the sidecar ready again', async () => (await readyStatus()) === 200);
      recoveries.push({ serverMs, sidecarMs });
      phase = 'up';
      const upAt = seen.length;
      await waitFor('answers after the restart', () => seen.slice(upAt).filter((o) => o.startedIn === 'up' && o.status < 300).length >= WORKERS);
    }
    const base = seen.length;
    await waitFor('load after the last crash', () => seen.length >= base + PHASE_MIN_REQUESTS);
    running = false;
    await Promise.all(workers);
    expect(sidecar.pid()).toBe(pid);
    expect(await readyStatus()).toBe(200);

    // Never a 500 or a hang: a request caught by the crash finishes either way, within the deadline.
    expect(seen.filter((o) => ![200, 201, 503].includes(o.status))).toEqual([]);
    expect(seen.filter((o) => o.status === 503 && o.code !== 'database_unavailable')).toEqual([]);
    expect(seen.filter((o) => o.ms > ANSWER_BOUND_MS)).toEqual([]);
    const inside = seen.filter((o) => o.startedIn === 'down' && o.endedIn === 'down');
    expect(inside.filter((o) => o.status !== 503)).toEqual([]);
    const healthy = seen.filter((o) => o.startedIn === 'up' && o.endedIn === 'up');
    expect(healthy.filter((o) => o.status >= 300)).toEqual([]);
    expect(readyDuringOutage).toEqual(Array.from({ length: CRASHES }, () => 503));
    // A real crash: every restart found redo past the last checkpoint and replayed it.
    expect(mariadb.logs().match(/Starting crash recovery/g) ?? []).toHaveLength(CRASHES);

    // Clients retry what was refused. An unlock is retried as is: the entitlement makes a repeat charge nothing.
    // A retry refused says why in the sidecar's own error lines.
    const errorLog = () => sidecar.logs().split('\n').filter((l) => l.includes('"level":"error"')).slice(0, 5).join('\n');
    const unlocks = seen.filter((o): o is UnlockAnswer => o.kind === 'unlock');
    const unlockRetries = await eachAtOnce(unlocks.filter((x) => x.status !== 200), (o) => unlock(o.user, o.post));
    expect(unlockRetries.filter((o) => o.status !== 200), errorLog()).toEqual([]);

    // An adjustment is retried with its key. A request the crash cut between claiming its key and storing the
    // answer leaves the claim behind (the database was gone, so it could not be released): the retry gets 409
    // until the claim is stale. Ageing those claims stands in for the client retrying after that window.
    const adjustments = seen.filter((o): o is AdjustmentAnswer => o.kind === 'adjustment');
    const refusedKeys = adjustments.filter((x) => x.status !== 201);
    let strandedClaims = 0;
    const adjustmentRetries = await eachAtOnce(refusedKeys, async (o) => {
      const again = await adjust(o.user, o.delta, o.key);
      if (again.status !== 409 || again.code !== 'request_in_progress') return again;
      strandedClaims++;
      await sql`UPDATE ${sql.table('idempotency_keys')} SET created_at = created_at - INTERVAL ${sql.lit(CLAIM_AGE_S)} SECOND
        WHERE idem_key = ${o.key} AND status_code IS NULL`.execute(tdb.db);
      return adjust(o.user, o.delta, o.key);
    });
    expect(adjustmentRetries.filter((o) => o.status !== 201), errorLog()).toEqual([]);

    // Acknowledged means durable: each promised entry survived crash recovery as promised.
    const ledger = await tdb.db.selectFrom('coin_ledger').select(['id', 'user_id', 'delta_coins', 'balance_after', 'kind', 'idempotency_ref']).execute();
    const byRef = new Map<string, (typeof ledger)[number][]>();
    for (const row of ledger) byRef.set(row.idempotency_ref, [...(byRef.get(row.idempotency_ref) ?? []), row]);
    const wrong: string[] = [];
    for (const o of [...adjustments.filter((x) => x.status === 201), ...adjustmentRetries]) {
      const rows = byRef.get(`adjustment:${adminId}:${o.key}`) ?? [];
      if (rows.length !== 1) wrong.push(`${o.key}: ${rows.length} ledger rows`);
      else if (rows[0]!.id !== o.entryId || rows[0]!.balance_after !== o.balanceAfter || rows[0]!.delta_coins !== o.delta || rows[0]!.user_id !== o.user)
        wrong.push(`${o.key}: answered entry ${o.entryId} (balance ${o.balanceAfter}), stored ${JSON.stringify(rows[0])}`);
    }
    // Every unlock asked for is now held once and paid once, whether its first answer was a 200 or a 503.
    const entitlements = await tdb.db.selectFrom('entitlements').select(['user_id', 'post_id', 'ledger_ref', 'price_coins']).execute();
    const held = new Map(entitlements.map((e) => [`${e.user_id}:${e.post_id}`, e]));
    for (const o of [...unlocks.filter((x) => x.status === 200), ...unlockRetries]) {
      const ref = `unlock:${o.user}:${o.post}`;
      const rows = byRef.get(ref) ?? [];
      const e = held.get(`${o.user}:${o.post}`);
      if (rows.length !== 1 || rows[0]!.delta_coins !== -PRICE_COINS || !e || e.ledger_ref !== ref) wrong.push(`${ref}: ${rows.length} debits, entitlement ${JSON.stringify(e)}`);
      else if (o.charged === PRICE_COINS && rows[0]!.balance_after !== o.balance) wrong.push(`${ref}: answered balance ${o.balance}, stored ${rows[0]!.balance_after}`);
      else if (o.charged !== PRICE_COINS && o.charged !== 0) wrong.push(`${ref}: charged ${o.charged}`);
    }
    const chargedPerPair = [...unlocks, ...unlockRetries].reduce((m, o) => m.set(`${o.user}:${o.post}`, (m.get(`${o.user}:${o.post}`) ?? 0) + (o.charged ?? 0)), new Map<string, number>());
    for (const [pair, coins] of chargedPerPair) if (coins > PRICE_COINS) wrong.push(`${pair}: charged ${coins} in all`);
    expect(wrong.slice(0, 20)).toEqual([]);

    // Nothing half-written and nothing extra: debits and entitlements pair up one to one, there is one adjustment
    // row per key asked for, and each balance is its seed, its adjustments and its unlocks.
    const debits = ledger.filter((r) => r.kind === 'unlock');
    expect(new Set(debits.map((d) => d.idempotency_ref))).toEqual(new Set(entitlements.map((e) => e.ledger_ref)));
    expect(debits).toHaveLength(entitlements.length);
    expect(entitlements).toHaveLength(unlocks.length);
    const adjustmentRows = ledger.filter((r) => r.idempotency_ref.startsWith(`adjustment:${adminId}:`));
    expect(adjustmentRows).toHaveLength(adjustments.length);
    const wallets = await tdb.db.selectFrom('user_wallet').select(['user_id', 'total_coins']).where('user_id', 'in', users).execute();
    for (const w of wallets) {
      const adjusted = adjustments.filter((o) => o.user === w.user_id).reduce((s, o) => s + o.delta, 0);
      const spent = unlocks.filter((o) => o.user === w.user_id).length * PRICE_COINS;
      expect(w.total_coins, `user ${w.user_id}`).toBe(SEED_COINS + adjusted - spent);
    }
    const report = await checkInvariants(tdb.db);
    expect(report.problems).toEqual([]);
    // An outage is expected weather, not a bug: each refusal is a warning, so real errors stay visible.
    const logLines = sidecar.logs().split('\n');
    expect(logLines.filter((l) => l.includes('"level":"error"')).slice(0, 5)).toEqual([]);
    expect(logLines.some((l) => l.includes('"level":"warn"') && l.includes('"msg":"request refused"'))).toBe(true);

    const refusedInOutage = seen.filter((o) => o.startedIn === 'down' && o.status === 503).length;
    const caught = seen.filter((o) => o.startedIn !== o.endedIn || o.startedIn === 'crashing' || o.startedIn === 'recovering');
    const slowest = Math.max(...seen.map((o) => o.ms));
    console.log(
      `fault: ${CRASHES} MariaDB crashes (SIGKILL + crash recovery) under ${WORKERS} workers: ${seen.length} requests ` +
        `(${unlocks.length} unlocks, ${adjustments.length} adjustments), ${refusedInOutage} answered 503 during the outages, ` +
        `${caught.length} caught by a crash or restart (${caught.filter((o) => o.status === 503).length} of them 503), slowest answer ${slowest} ms, never a 500; ` +
        `recovery: MariaDB up in ${recoveries.map((r) => Math.round(r.serverMs)).join('/')} ms, the same sidecar ready ${recoveries.map((r) => r.sidecarMs).join('/')} ms later; ` +
        `retried ${unlockRetries.length} unlocks (${unlockRetries.filter((o) => o.charged === 0).length} had committed before the crash) and ` +
        `${adjustmentRetries.length} adjustment keys (${strandedClaims} stranded claims), each applied once; ` +
        `${entitlements.length} entitlements each with its one debit, ${adjustmentRows.length} adjustment rows one per key, ${ledger.length} ledger rows checked; ` +
        `invariants hold for ${report.usersChecked} wallets`,
    );
  }, TEST_TIMEOUT_MS);
});

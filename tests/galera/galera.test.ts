// Money safety on a real 3-node MariaDB Galera cluster, a sidecar process on each node: start-up, unlock races, the referral
// reward cap, IPN storms.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../sidecar/src/db/database.js';
import { loadMigrations } from '../../sidecar/src/db/migrator.js';
import { hitWindow } from '../../sidecar/src/db/rate-counters.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { startSimulator, type Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { mintToken, SIM_KEYS, testEnv } from '../support/app.js';
import {
  createEmptyDatabase,
  createTestDatabase,
  createWpUser,
  dropDatabase,
  installWordPressTables,
  TABLE_PREFIX,
  WP_PREFIX,
  type TestDatabase,
} from '../support/db.js';
import { certificationFailures, galeraUnavailable, startGaleraCluster, synced, waitForNodes, type GaleraCluster } from '../support/galera.js';
import { startSidecar, type SidecarProcess } from '../support/sidecar-process.js';
import { createRecharges, creditReport, eventually, insertPricedPost, ipnStorm } from '../fault/storm.js';

const unavailable = galeraUnavailable();
if (unavailable) console.log(`galera: suite skipped: ${unavailable}`);

const ROUNDS = 20;
const RACERS = 20;
const PRICE_COINS = 7;
const STORM_USERS = 20;
const STORM_PAYMENTS = 60;
/** Payments whose IPNs are never sent: only one of the three reconcilers can credit them. */
const STORM_SILENT = 10;
const STORM_COPIES = 4;
const CATCH_UP_BOUND_MS = 60_000;
/** A 2-core machine running other test files beside this one: DDL and state transfers slow down a lot. */
const TEST_TIMEOUT_MS = 150_000;
const COUNTER_BURST = 60;
const COUNTER_ROUNDS = 10;
/** Referees of one referrer whose first recharges complete at once, and the referrer's reward cap. */
const REFEREES = 12;
const REFERRAL_CAP = 3;
const REFERRAL_REWARD = 50;

let cluster: GaleraCluster;
let sim: Simulator;

/** The sidecar's environment on one node; the rate limits stay at their defaults, so their counters are exercised. */
function nodeEnv(url: string): Record<string, string> {
  return testEnv(url, { COINPAYMENTS_API_URL: sim.apiUrl, RECONCILE_INTERVAL_S: '1', DATABASE_POOL_SIZE: '8' });
}

/** One sidecar per node, started together. */
async function startSidecars(database: string): Promise<PromiseSettledResult<SidecarProcess>[]> {
  return Promise.allSettled(
    cluster.nodes.map((n, i) => startSidecar({ env: nodeEnv(`${n.adminUrl}/${database}`), label: `sidecar-on-node${i + 1}`, readyTimeoutMs: 90_000 })),
  );
}

function errorLines(sidecars: SidecarProcess[]): string[] {
  return sidecars.flatMap((s) => s.logs().split('\n').filter((l) => l.includes('"level":"error"')));
}

describe.skipIf(unavailable !== null)('on a 3-node Galera cluster, one sidecar per node', () => {
  beforeAll(async () => {
    [cluster, sim] = await Promise.all([startGaleraCluster({ killOnExit: true }), startSimulator(SIM_KEYS)]);
    console.log(`galera: 3 nodes synced in ${(cluster.startupMs / 1000).toFixed(1)} s`);
  });
  afterAll(async () => {
    await sim?.close();
    await cluster?.stop();
  });

  it('three sidecars started at once on a fresh database all become ready, each migration applied once', { timeout: TEST_TIMEOUT_MS }, async () => {
    const name = `gct_galera_fresh_${Date.now() % 1_000_000}`;
    const adminUrl = cluster.nodes[0]!.adminUrl;
    await installWordPressTables(await createEmptyDatabase(name, adminUrl), WP_PREFIX);
    await waitForNodes(cluster, name);
    const started = await startSidecars(name);
    const sidecars = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    try {
      const failures = started.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message).slice(0, 1500)] : []));
      console.log(`galera: ${sidecars.length} of 3 sidecars ready on a fresh database (start-up ${sidecars.map((s) => Math.round(s.startupMs())).join(', ')} ms)`);
      expect(failures).toEqual([]);
      // A handle that does not migrate: the sidecars did.
      const db = createDb({ url: `${adminUrl}/${name}`, poolSize: 2, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX });
      try {
        const rows = await synced(db, (conn) => conn.selectFrom('migrations').select('name').orderBy('name').execute());
        expect(rows.map((r) => r.name)).toEqual((await loadMigrations()).map((m) => m.name));
        // Every node answers with the whole schema.
        for (const s of sidecars) expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
      } finally {
        await db.destroy();
      }
      expect(errorLines(sidecars)).toEqual([]);
    } finally {
      await Promise.all(sidecars.map((s) => s.stop()));
      await dropDatabase(name, adminUrl);
    }
  });

  describe('money, with the sidecars on a migrated database', () => {
    let tdb: TestDatabase;
    let sidecars: SidecarProcess[] = [];
    beforeAll(async () => {
      tdb = await createTestDatabase(import.meta.filename, { adminUrl: cluster.nodes[0]!.adminUrl });
      await waitForNodes(cluster, tdb.name);
      const started = await startSidecars(tdb.name);
      sidecars = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failed = started.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    });
    afterAll(async () => {
      await Promise.all(sidecars.map((s) => s.stop()));
      await tdb?.drop();
    });

    it(`${RACERS} concurrent unlocks of different posts on a balance for one, over the three nodes, ${ROUNDS} rounds: one success each, the rest 402, no 5xx`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const author = await createWpUser(tdb.db);
      const posts: number[] = [];
      for (let i = 0; i < RACERS; i++) posts.push(await insertPricedPost(tdb.db, author, PRICE_COINS));
      const statuses = new Map<number, number>();
      const winnersPerRound: number[] = [];
      const conflictsBefore = await certificationFailures(cluster);
      const users: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const user = await createWpUser(tdb.db);
        users.push(user);
        await applyMovement(tdb.db, { userId: user, deltaCoins: PRICE_COINS, kind: 'adjustment', idempotencyRef: `seed:${user}`, actor: 'test' });
        // The race is between the nodes' unlocks, not against the seed's replication.
        await waitForNodes(cluster, tdb.name);
        const token = await mintToken(user);
        const answers = await Promise.all(
          posts.map(async (post, i) => {
            const res = await fetch(`${sidecars[i % sidecars.length]!.url}/api/posts/${post}/unlock`, {
              method: 'POST',
              headers: { Authorization: `Bearer ${token}` },
            });
            const body = (await res.json()) as { charged_coins?: number };
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            return { status: res.status, charged: body.charged_coins ?? 0 };
          }),
        );
        winnersPerRound.push(answers.filter((a) => a.status === 200 && a.charged === PRICE_COINS).length);
      }
      const counts = Object.fromEntries([...statuses].sort(([a], [b]) => a - b));
      console.log(
        `galera unlock race: ${ROUNDS} rounds × ${RACERS} unlocks over 3 nodes; statuses ${JSON.stringify(counts)}; ` +
          `winners per round ${JSON.stringify(winnersPerRound)}; ${(await certificationFailures(cluster)) - conflictsBefore} certification failures retried`,
      );
      expect([...statuses.keys()].filter((s) => s >= 500)).toEqual([]);
      expect(winnersPerRound).toEqual(Array.from({ length: ROUNDS }, () => 1));
      expect(counts).toEqual({ 200: ROUNDS, 402: ROUNDS * (RACERS - 1) });
      const report = await synced(tdb.db, (db) => checkInvariants(db, users));
      expect(report.problems).toEqual([]);
      const balances = await synced(tdb.db, (db) => db.selectFrom('user_wallet').select('total_coins').where('user_id', 'in', users).execute());
      expect(balances.map((b) => b.total_coins)).toEqual(users.map(() => 0));
      expect(errorLines(sidecars)).toEqual([]);
    });

    it(`the rate-limit counter written from every node at once (${COUNTER_BURST} hits of one user, ${COUNTER_ROUNDS} rounds) counts every hit and never fails`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const perNode = COUNTER_BURST / cluster.nodes.length;
      const pools = cluster.nodes.map((n) => createDb({ url: `${n.adminUrl}/${tdb.name}`, poolSize: perNode, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX }));
      // Every connection open before the first burst, so the hits reach the nodes together rather than as connections come up.
      await Promise.all(Array.from({ length: COUNTER_BURST }, (_, i) => sql`SELECT SLEEP(0.05)`.execute(pools[i % pools.length]!)));
      const before = await certificationFailures(cluster);
      try {
        const outcomes = new Map<string, number>();
        const finalHits: number[] = [];
        for (let round = 0; round < COUNTER_ROUNDS; round++) {
          const userId = 900_000 + round;
          const now = new Date();
          const hits = await Promise.all(
            Array.from({ length: COUNTER_BURST }, (_, i) =>
              hitWindow(pools[i % pools.length]!, 'unlock', userId, 60, now).then(
                (h) => ({ outcome: 'counted', hits: h.hits }),
                (err: unknown) => ({ outcome: `errno ${(err as { errno?: number }).errno ?? (err as Error).message}`, hits: 0 }),
              ),
            ),
          );
          for (const h of hits) outcomes.set(h.outcome, (outcomes.get(h.outcome) ?? 0) + 1);
          finalHits.push(Math.max(...hits.map((h) => h.hits)));
        }
        const conflicts = (await certificationFailures(cluster)) - before;
        console.log(
          `galera counter: ${COUNTER_ROUNDS} rounds × ${COUNTER_BURST} concurrent hits over 3 nodes: ${JSON.stringify(Object.fromEntries(outcomes))}; ` +
            `highest count per round ${JSON.stringify(finalHits)}; ${conflicts} certification failures retried`,
        );
        expect(Object.fromEntries(outcomes)).toEqual({ counted: COUNTER_ROUNDS * COUNTER_BURST });
        expect(finalHits).toEqual(Array.from({ length: COUNTER_ROUNDS }, () => COUNTER_BURST));
      } finally {
        await Promise.all(pools.map((p) => p.destroy()));
      }
    });

    it(`${REFEREES} referees' first recharges credited at once via different nodes, for one referrer with a cap of ${REFERRAL_CAP}: exactly ${REFERRAL_CAP} rewarded`, { timeout: TEST_TIMEOUT_MS }, async () => {
      const urls = sidecars.map((s) => s.url);
      const referrer = await createWpUser(tdb.db);
      const referees: number[] = [];
      const tokens = new Map<number, string>();
      for (let i = 0; i < REFEREES; i++) {
        const id = await createWpUser(tdb.db);
        referees.push(id);
        tokens.set(id, await mintToken(id));
      }
      // Bound under the terms a binding keeps: the cap is the binding's, whatever the catalog says.
      await tdb.db
        .insertInto('referral_bindings')
        .values(referees.map((id) => ({ referee_user_id: id, referrer_user_id: referrer, reward_coins: REFERRAL_REWARD, min_recharge_coins: 1, max_rewards_per_period: REFERRAL_CAP, period_days: 30 })))
        .execute();
      await waitForNodes(cluster, tdb.name);
      const { recharges } = await createRecharges({ urls, users: referees, tokens, count: REFEREES, concurrency: REFEREES });
      for (const r of recharges) await sim.pay(r.txnId, { drop: true });
      const conflictsBefore = await certificationFailures(cluster);
      // Two copies of each recharge's IPN, shuffled, each delivery to the next node in turn, all of them at once.
      const messages = recharges.map((r) => sim.buildIpn(r.txnId));
      const storm = await ipnStorm({ messages, copies: 2, concurrency: REFEREES * 2, attempts: 3, retryDelayMs: 100, pickUrl: (i) => urls[i % urls.length]! });
      const decided = () => tdb.db.selectFrom('referral_bindings').select('outcome').where('referrer_user_id', '=', referrer).where('outcome', 'is not', null).execute();
      const caughtUp = await eventually(CATCH_UP_BOUND_MS, async () => (await decided()).length === REFEREES);
      const outcomes = await synced(tdb.db, async (db) => {
        const rows = await db.selectFrom('referral_bindings').select('outcome').where('referrer_user_id', '=', referrer).execute();
        const counts: Record<string, number> = {};
        for (const r of rows) counts[String(r.outcome)] = (counts[String(r.outcome)] ?? 0) + 1;
        return counts;
      });
      const rewards = await synced(tdb.db, (db) => db.selectFrom('coin_ledger').select('delta_coins').where('user_id', '=', referrer).where('kind', '=', 'referral').execute());
      const notices = await synced(tdb.db, (db) =>
        db.selectFrom('notifications').select('kind').where('user_id', '=', referrer).where('kind', 'in', ['referral_earned', 'referral_not_counted']).execute(),
      );
      console.log(
        `galera referral cap: ${REFEREES} first recharges over 3 nodes (${storm.deliveries} IPN deliveries, ${storm.accepted} answered 200), cap ${REFERRAL_CAP}: ` +
          `${JSON.stringify(outcomes)}; ${rewards.length} reward rows; ${notices.length} notifications; ` +
          `${(await certificationFailures(cluster)) - conflictsBefore} certification failures retried`,
      );
      expect(caughtUp).toBe(true);
      expect(outcomes).toEqual({ rewarded: REFERRAL_CAP, cap_reached: REFEREES - REFERRAL_CAP });
      expect(rewards.map((r) => r.delta_coins)).toEqual(Array.from({ length: REFERRAL_CAP }, () => REFERRAL_REWARD));
      expect(notices).toHaveLength(REFEREES);
      expect(storm.refused).toBe(0);
      const report = await synced(tdb.db, (db) => checkInvariants(db, [referrer, ...referees]));
      expect(report.problems).toEqual([]);
      expect(errorLines(sidecars)).toEqual([]);
    });

    it('an IPN storm with duplicates delivered to different nodes credits each payment exactly once', { timeout: TEST_TIMEOUT_MS }, async () => {
      const urls = sidecars.map((s) => s.url);
      const conflictsBefore = await certificationFailures(cluster);
      const users: number[] = [];
      const tokens = new Map<number, string>();
      for (let i = 0; i < STORM_USERS; i++) {
        const id = await createWpUser(tdb.db);
        users.push(id);
        tokens.set(id, await mintToken(id));
      }
      await waitForNodes(cluster, tdb.name);
      const { recharges, refusals } = await createRecharges({ urls, users, tokens, count: STORM_PAYMENTS, concurrency: 6 });
      for (const r of recharges) await sim.pay(r.txnId, { drop: true });
      const messages = recharges.slice(STORM_SILENT).map((r) => sim.buildIpn(r.txnId));
      // Each delivery (and each retry) goes to a node picked at random: a payment's copies meet on different nodes.
      const storm = await ipnStorm({
        messages,
        copies: STORM_COPIES,
        concurrency: 24,
        attempts: 3,
        retryDelayMs: 100,
        pickUrl: () => urls[Math.floor(Math.random() * urls.length)]!,
      });
      const caughtUp = await eventually(CATCH_UP_BOUND_MS, async () => (await creditReport(tdb.db, recharges)).completed === STORM_PAYMENTS);
      const credits = await synced(tdb.db, (db) => creditReport(db, recharges));
      console.log(
        `galera IPN storm: ${STORM_PAYMENTS} payments (${STORM_SILENT} without IPN), ${storm.deliveries} deliveries over 3 nodes ` +
          `(${storm.accepted} answered 200, ${storm.refused} refused, ${storm.unanswered} unanswered); ${credits.completed} completed, ` +
          `${credits.rechargeRows} recharge ledger rows, ${credits.bonusRows} bonus rows; recharge creation refusals ${JSON.stringify([...refusals])}; ` +
          `${(await certificationFailures(cluster)) - conflictsBefore} certification failures retried`,
      );
      expect(caughtUp, credits.wrong.join('; ')).toBe(true);
      expect(credits.wrong).toEqual([]);
      expect(credits.rechargeRows).toBe(STORM_PAYMENTS);
      expect(storm.refused).toBe(0);
      expect([...refusals.keys()].filter((k) => k.startsWith('5'))).toEqual([]);
      const report = await synced(tdb.db, (db) => checkInvariants(db, users));
      expect(report.problems).toEqual([]);
      expect(errorLines(sidecars)).toEqual([]);
    });
  });
});

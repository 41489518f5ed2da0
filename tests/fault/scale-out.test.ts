// Three sidecar instances on one database: recharges, unlocks and an IPN storm spread across them, all three
// reconcilers running → every payment credited exactly once, every post charged once, invariants hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { startSimulator, type Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { SIM_KEYS, testEnv } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startSidecar, type SidecarProcess } from '../support/sidecar-process.js';
import { userWithCoins } from '../support/seeded.js';
import { createRecharges, creditReport, eventually, insertPricedPost, ipnStorm } from './storm.js';
import { SCALE_OUT } from './sizing.js';

const {
  INSTANCES,
  USERS,
  POSTS,
  PRICE_COINS,
  SEED_COINS,
  PAYMENTS,
  SILENT_PAYMENTS,
  COPIES,
  CATCH_UP_BOUND_MS,
} = SCALE_OUT;

let tdb: TestDatabase;
let sim: Simulator;
let instances: SidecarProcess[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  const env = testEnv(tdb.url);
  sim = await startSimulator(SIM_KEYS);
  const instanceEnv = { ...env, COINPAYMENTS_API_URL: sim.apiUrl, RECONCILE_INTERVAL_S: '1', RATE_LIMIT_RECHARGE: '0', RATE_LIMIT_UNLOCK: '1000', DATABASE_POOL_SIZE: '8' };
  instances = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => startSidecar({ env: instanceEnv, label: `instance-${i + 1}` })));
});
afterAll(async () => {
  await Promise.all(instances.map((s) => s.stop()));
  await sim?.close();
  await tdb?.drop();
});

describe('three instances on one database', () => {
  it('credit every payment exactly once and charge every unlock once while load, IPNs and reconcilers spread over them', async () => {
    const urls = instances.map((s) => s.url);
    const users: number[] = [];
    const tokens = new Map<number, string>();
    for (let i = 0; i < USERS; i++) {
      const { id, token } = await userWithCoins(tdb.db, SEED_COINS);
      users.push(id);
      tokens.set(id, token);
    }
    const author = await createWpUser(tdb.db);
    const posts: number[] = [];
    for (let i = 0; i < POSTS; i++) posts.push(await insertPricedPost(tdb.db, author, PRICE_COINS));

    const { recharges, refusals } = await createRecharges({ urls, users, tokens, count: PAYMENTS, concurrency: 6 });
    expect(recharges).toHaveLength(PAYMENTS);
    for (const r of recharges) await sim.pay(r.txnId, { drop: true });
    const messages = recharges.slice(SILENT_PAYMENTS).map((r) => sim.buildIpn(r.txnId));

    // Every unlock is sent to all three instances at once: the same (user, post) must be charged once.
    const unlockStatuses = new Map<number, number>();
    let charged = 0;
    const unlocks = (async () => {
      for (const post of posts) {
        await Promise.all(
          users.map(async (user) => {
            const answers = await Promise.all(
              urls.map(async (url) => {
                const res = await fetch(`${url}/api/posts/${post}/unlock`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(user)}` } });
                const body = (await res.json()) as { charged_coins?: number };
                unlockStatuses.set(res.status, (unlockStatuses.get(res.status) ?? 0) + 1);
                return body.charged_coins ?? 0;
              }),
            );
            charged += answers.filter((c) => c > 0).length;
          }),
        );
      }
    })();
    const storm = ipnStorm({ messages, copies: COPIES, concurrency: 24, attempts: 3, retryDelayMs: 100, pickUrl: () => urls[Math.floor(Math.random() * urls.length)]! });
    const [stormReport] = await Promise.all([storm, unlocks]);

    expect([...unlockStatuses.keys()]).toEqual([200]);
    expect(charged).toBe(USERS * POSTS);
    const caughtUp = await eventually(CATCH_UP_BOUND_MS, async () => (await creditReport(tdb.db, recharges)).completed === PAYMENTS);
    const credits = await creditReport(tdb.db, recharges);
    expect(caughtUp, `completed ${credits.completed} of ${PAYMENTS}: ${credits.wrong.join('; ')}`).toBe(true);
    expect(credits.wrong).toEqual([]);
    expect(credits.rechargeRows).toBe(PAYMENTS);

    const entitlements = await tdb.db.selectFrom('entitlements').select(['user_id', 'post_id']).execute();
    expect(entitlements).toHaveLength(USERS * POSTS);
    const bought = new Map<number, number>();
    for (const r of recharges) bought.set(r.userId, (bought.get(r.userId) ?? 0) + r.coins + r.bonusCoins);
    const wallets = await tdb.db.selectFrom('user_wallet').select(['user_id', 'total_coins']).where('user_id', 'in', users).execute();
    for (const w of wallets) expect(w.total_coins).toBe(SEED_COINS + (bought.get(w.user_id) ?? 0) - POSTS * PRICE_COINS);
    const report = await checkInvariants(tdb.db);
    expect(report.problems).toEqual([]);
    const logLines = instances.flatMap((s) => s.logs().split('\n').filter((l) => l.includes('"level"')));
    // A 502 is the provider refusing a call (answered, retried by the client with its key); anything else is a bug.
    const providerRefusals = logLines.filter((l) => l.includes('"status":502'));
    expect(logLines.filter((l) => l.includes('"level":"error"') && !providerRefusals.includes(l))).toEqual([]);
    const warnings = logLines.filter((l) => l.includes('"level":"warn"'));
    console.log(
      `scale-out: ${INSTANCES} instances; ${USERS * POSTS * INSTANCES} unlock requests (each sent to all ${INSTANCES} at once), ${charged} charged; ` +
        `${PAYMENTS} payments (${SILENT_PAYMENTS} without any IPN), ${stormReport.deliveries} IPN deliveries spread at random ` +
        `(${stormReport.accepted} answered 200, ${stormReport.refused} refused); ${credits.completed} credited exactly once; ` +
        `recharge creation refusals retried: ${JSON.stringify([...refusals])}; invariants hold for ${report.usersChecked} wallets; ` +
        `${providerRefusals.length} creations answered 502 by a provider refusal; ` +
        `${warnings.length} warnings logged${warnings[0] ? ` (first: ${warnings[0].slice(0, 300)})` : ''}`,
    );
  });
});

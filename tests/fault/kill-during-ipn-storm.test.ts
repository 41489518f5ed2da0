// SIGKILL the sidecar again and again during an IPN storm, restart it, let the reconciler catch up:
// every paid transaction is credited exactly once and the ledger invariants hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { startSimulator, type Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { mintToken, SIM_KEYS, testEnv } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startSidecar, type SidecarProcess } from '../support/sidecar-process.js';
import { createRecharges, creditReport, eventually, insertPricedPost, ipnStorm } from './storm.js';
import { KILL_DURING_IPN_STORM } from './sizing.js';

const { PAYMENTS, COPIES, USERS, KILLS, KILL_EVERY_MS, CATCH_UP_BOUND_MS, POSTS, PRICE_COINS } = KILL_DURING_IPN_STORM;

let tdb: TestDatabase;
let sim: Simulator;
let sidecar: SidecarProcess;

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  const env = testEnv(tdb.url);
  sim = await startSimulator(SIM_KEYS);
  sidecar = await startSidecar({
    env: { ...env, COINPAYMENTS_API_URL: sim.apiUrl, RECONCILE_INTERVAL_S: '1', RATE_LIMIT_RECHARGE: '0' },
    label: 'kill-target',
  });
});
afterAll(async () => {
  await sidecar?.stop();
  await sim?.close();
  await tdb?.drop();
});

describe('SIGKILL during an IPN storm', () => {
  it('credits every paid transaction exactly once after repeated kills and restarts, with the reconciler catching up', async () => {
    const users: number[] = [];
    const tokens = new Map<number, string>();
    for (let i = 0; i < USERS; i++) {
      const id = await createWpUser(tdb.db);
      users.push(id);
      tokens.set(id, await mintToken(id));
    }
    const author = await createWpUser(tdb.db);
    const posts: number[] = [];
    for (let i = 0; i < POSTS; i++) posts.push(await insertPricedPost(tdb.db, author, PRICE_COINS));
    for (const id of users) await applyMovement(tdb.db, { userId: id, deltaCoins: POSTS * PRICE_COINS, kind: 'adjustment', idempotencyRef: `seed:${id}`, actor: 'test' });
    const { recharges, refusals } = await createRecharges({ urls: [sidecar.url], users, tokens, count: PAYMENTS, concurrency: 4 });
    expect(recharges).toHaveLength(PAYMENTS);

    // Paid at the provider; the IPNs go out from here so that deliveries into a dead process are really lost.
    for (const r of recharges) await sim.pay(r.txnId, { drop: true });
    const messages = recharges.map((r) => sim.buildIpn(r.txnId));

    let kills = 0;
    let stormDone = false;
    const killer = (async () => {
      while (kills < KILLS && !stormDone) {
        await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
        await sidecar.kill();
        kills++;
        await sidecar.restart();
      }
    })();
    // Unlocks run through the kills too: each is either wholly done (entitlement + debit) or not at all.
    const unlockAnswers = new Map<string, number>();
    const unlocks = Promise.all(
      users.map(async (user) => {
        for (const post of posts) {
          try {
            const res = await fetch(`${sidecar.url}/api/posts/${post}/unlock`, { method: 'POST', headers: { Authorization: `Bearer ${tokens.get(user)}` } });
            await res.arrayBuffer();
            unlockAnswers.set(String(res.status), (unlockAnswers.get(String(res.status)) ?? 0) + 1);
          } catch {
            unlockAnswers.set('no answer', (unlockAnswers.get('no answer') ?? 0) + 1);
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }),
    );
    const storm = await ipnStorm({ messages, copies: COPIES, concurrency: 16, attempts: 3, retryDelayMs: 300, pickUrl: () => sidecar.url });
    await unlocks;
    stormDone = true;
    await killer;
    // With a fast storm the killer may not have finished its rounds: kill the rest now, after the storm.
    while (kills < KILLS) {
      await sidecar.kill();
      kills++;
      await sidecar.restart();
    }

    const caughtUp = await eventually(CATCH_UP_BOUND_MS, async () => (await creditReport(tdb.db, recharges)).completed === PAYMENTS);
    const credits = await creditReport(tdb.db, recharges);
    expect(caughtUp, `completed ${credits.completed} of ${PAYMENTS}: ${credits.wrong.join('; ')}`).toBe(true);
    expect(credits.wrong).toEqual([]);
    expect(credits.rechargeRows).toBe(PAYMENTS);
    // Nothing half-written: every entitlement has its debit and every debit its entitlement.
    const entitlements = await tdb.db.selectFrom('entitlements').select(['user_id', 'post_id', 'ledger_ref']).execute();
    const debits = await tdb.db.selectFrom('coin_ledger').select(['idempotency_ref', 'delta_coins']).where('kind', '=', 'unlock').execute();
    expect(new Set(debits.map((d) => d.idempotency_ref))).toEqual(new Set(entitlements.map((e) => e.ledger_ref)));
    expect(debits.every((d) => d.delta_coins === -PRICE_COINS)).toBe(true);
    const report = await checkInvariants(tdb.db);
    expect(report.problems).toEqual([]);
    console.log(
      `fault: ${kills} kills, ${storm.deliveries} IPN deliveries (${storm.accepted} answered 200, ${storm.refused} refused, ${storm.unanswered} attempts unanswered, ${storm.lost} given up: left to the reconciler), ` +
        `${credits.completed} of ${PAYMENTS} payments credited exactly once (${credits.rechargeRows} recharge rows, ${credits.bonusRows} bonus rows); ` +
        `recharge creation refusals retried: ${JSON.stringify([...refusals])}; ${USERS * POSTS} unlock requests through the kills (${JSON.stringify(Object.fromEntries(unlockAnswers))}) → ` +
        `${entitlements.length} entitlements, each with its one debit; invariants hold for ${report.usersChecked} wallets`,
    );
  });
});

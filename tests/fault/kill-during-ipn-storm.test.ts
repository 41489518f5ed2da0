// SIGKILL the sidecar again and again during an IPN storm, restart it, let the reconciler catch up:
// every paid transaction is credited exactly once and the ledger invariants hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { startSimulator, type Simulator } from '../../sidecar/src/payments/coinpayments/simulator.js';
import { mintToken, testEnv } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startSidecar, type SidecarProcess } from '../support/sidecar-process.js';
import { createRecharges, creditReport, eventually, ipnStorm } from './storm.js';

const PAYMENTS = 200;
const COPIES = 5;
const USERS = 40;
const KILLS = 4;
const KILL_EVERY_MS = 400;
const CATCH_UP_BOUND_MS = 60_000;

let tdb: TestDatabase;
let sim: Simulator;
let sidecar: SidecarProcess;

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  const env = testEnv(tdb.url);
  sim = await startSimulator({
    publicKey: env['COINPAYMENTS_PUBLIC_KEY']!,
    privateKey: env['COINPAYMENTS_PRIVATE_KEY']!,
    merchantId: env['COINPAYMENTS_MERCHANT_ID']!,
    ipnSecret: env['COINPAYMENTS_IPN_SECRET']!,
  });
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
    const storm = await ipnStorm({ messages, copies: COPIES, concurrency: 16, attempts: 3, retryDelayMs: 300, pickUrl: () => sidecar.url });
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
    const report = await checkInvariants(tdb.db);
    expect(report.problems).toEqual([]);
    console.log(
      `fault: ${kills} kills, ${storm.deliveries} IPN deliveries (${storm.accepted} answered 200, ${storm.refused} refused, ${storm.unanswered} attempts unanswered, ${storm.lost} given up: left to the reconciler), ` +
        `${credits.completed} of ${PAYMENTS} payments credited exactly once (${credits.rechargeRows} recharge rows, ${credits.bonusRows} bonus rows); ` +
        `recharge creation refusals retried: ${JSON.stringify([...refusals])}; invariants hold for ${report.usersChecked} wallets`,
    );
  });
});

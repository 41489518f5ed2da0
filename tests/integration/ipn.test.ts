// The IPN endpoint against MariaDB and the simulator: every refusal stored with its reason and nothing
// credited, duplicates and shuffles credited once, late IPNs never move a payment backwards.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../sidecar/src/clock.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { hmacSha512Hex } from '../../sidecar/src/payments/coinpayments/signing.js';
import { applyPaymentEvent, type PaymentEvent } from '../../sidecar/src/payments/transition.js';
import { buildTestApp, mintToken, TEST_METRICS_TOKEN } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { movableClock, startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';

let tdb: TestDatabase;
let h: PaymentsHarness;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename, { poolSize: 30 });
  h = await startPaymentsHarness(tdb);
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

let keySeq = 0;
async function newRecharge(body: Record<string, unknown> = { coins: 1000, method: 'USDT' }, harness = h) {
  const user = await createWpUser(tdb.db);
  const res = await harness.call('POST', '/api/recharges', {
    token: await mintToken(user),
    body,
    headers: { 'Idempotency-Key': `ipn-test-${Date.now()}-${keySeq++}` },
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { id: number; payment: { txn_id: string } };
  return { user, id: json.id, txnId: json.payment.txn_id };
}

const ipnUrl = () => `${h.url}/ipn/coinpayments`;
const rechargeRow = (id: number) => tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const ledgerCount = async (user: number) => (await tdb.db.selectFrom('coin_ledger').select('id').where('user_id', '=', user).execute()).length;
const logFor = (txnId: string) => tdb.db.selectFrom('ipn_log').selectAll().where('txn_id', '=', txnId).orderBy('id').execute();

describe('POST /ipn/coinpayments', () => {
  it('credits exactly once for 51 duplicate and shuffled IPNs sent concurrently', async () => {
    const r = await newRecharge();
    // Status 0, 1 and 100, each 17 times, all at once in random order.
    const results = await h.sim.pay(r.txnId, { pendingFirst: true, duplicate: 17, shuffle: true });
    expect(results).toHaveLength(51);
    for (const d of results) expect([d.httpStatus, d.answer]).toEqual([200, 'IPN OK']);
    expect(await readBalance(tdb.db, r.user)).toBe(1100);
    expect(await ledgerCount(r.user)).toBe(2);
    expect((await rechargeRow(r.id)).status).toBe('completed');
    const log = await logFor(r.txnId);
    expect(log).toHaveLength(51);
    expect(log.filter((l) => l.reason === 'complete')).toHaveLength(1);
    expect(log.every((l) => l.verdict === 'processed' || l.verdict === 'duplicate')).toBe(true);
    const notes = await tdb.db.selectFrom('notifications').select('kind').where('user_id', '=', r.user).execute();
    expect(notes).toEqual([{ kind: 'recharge_completed' }]);
    expect((await checkInvariants(tdb.db, [r.user])).problems).toEqual([]);
  });

  it('credits half of a 1,000-coin quote as 500 coins and no bonus: the bonus follows the coins credited against the frozen tiers', async () => {
    const r = await newRecharge({ coins: 1000, method: 'USDT' });
    expect((await rechargeRow(r.id)).bonus_tiers).toBe('1000:10');
    await h.sim.pay(r.txnId, { underpayPercent: 50 });
    const row = await rechargeRow(r.id);
    expect([row.status, row.coins_credited, row.bonus_credited]).toEqual(['completed', 500, 0]);
    expect(await readBalance(tdb.db, r.user)).toBe(500);
    const kinds = await tdb.db.selectFrom('coin_ledger').select('kind').where('user_id', '=', r.user).execute();
    expect(kinds).toEqual([{ kind: 'recharge' }]);
    expect((await checkInvariants(tdb.db, [r.user])).problems).toEqual([]);
  });

  it('stores every IPN raw with headers of interest, and never the secret', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId);
    const [entry] = await logFor(r.txnId);
    expect(entry).toMatchObject({ provider: 'coinpayments', ipn_type: 'api', ipn_status: 100, recharge_id: r.id, verdict: 'processed', reason: 'complete' });
    expect(entry!.user_agent).toBe('CoinPayments.net IPN Generator');
    expect(entry!.content_type).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(entry!.hmac_header).toBe(hmacSha512Hex('test_ipn_secret', entry!.raw_body));
    expect(entry!.raw_body).toContain(`txn_id=${r.txnId}`);
    expect(entry!.raw_body).not.toContain('test_ipn_secret');
  });

  describe('refuses, stores the reason and credits nothing', () => {
    const cases: Array<[string, number, (txnId: string) => { fields?: Record<string, string | undefined>; secret?: string; dropHmac?: boolean }]> = [
      ['bad_hmac', 401, () => ({ secret: 'a-wrong-ipn-secret' })],
      ['missing_hmac', 401, () => ({ dropHmac: true })],
      ['wrong_merchant', 403, () => ({ fields: { merchant: 'someone_else' } })],
      ['ipn_mode_not_hmac', 401, () => ({ fields: { ipn_mode: 'httpauth' } })],
      ['currency1_mismatch', 400, () => ({ fields: { currency1: 'USD' } })],
      ['amount1_too_low', 400, () => ({ fields: { amount1: '999.99' } })],
      ['currency2_not_allowed', 400, () => ({ fields: { currency2: 'LTCT' } })],
      ['currency2_mismatch', 400, () => ({ fields: { currency2: 'BTC' } })],
      ['unknown_txn', 400, () => ({ fields: { txn_id: 'CPNOTOURS000000000000000000' } })],
      ['ipn_type_not_api', 400, () => ({ fields: { ipn_type: 'button' } })],
      ['invalid_status', 400, () => ({ fields: { status: 'paid' } })],
    ];
    for (const [reason, httpStatus, forge] of cases) {
      it(reason, async () => {
        const r = await newRecharge();
        // The money really arrived, but the IPN is not one to trust; the reconciler is not running here.
        await h.sim.pay(r.txnId, { drop: true });
        const f = forge(r.txnId);
        const msg = h.sim.buildIpn(r.txnId, { status: 100, fields: f.fields, secret: f.secret });
        if (f.dropHmac) delete msg.headers['HMAC'];
        const res = await h.sim.post(ipnUrl(), msg);
        expect(res.httpStatus).toBe(httpStatus);
        expect(res.answer).toBe(`IPN rejected: ${reason}`);
        const logged = await tdb.db.selectFrom('ipn_log').selectAll().where('raw_body', '=', msg.body).execute();
        expect(logged.map((l) => [l.verdict, l.reason])).toEqual([['rejected', reason]]);
        expect(await readBalance(tdb.db, r.user)).toBe(0);
        expect(await ledgerCount(r.user)).toBe(0);
        expect((await rechargeRow(r.id)).status).toBe('pending');
      });
    }

    it('empty_body', async () => {
      const res = await fetch(ipnUrl(), { method: 'POST', headers: { HMAC: hmacSha512Hex('test_ipn_secret', '') }, body: '' });
      expect([res.status, await res.text()]).toEqual([400, 'IPN rejected: empty_body']);
    });

    it('a body re-encoded after signing (the bytes differ, so the HMAC does)', async () => {
      const r = await newRecharge();
      await h.sim.pay(r.txnId, { drop: true });
      const msg = h.sim.buildIpn(r.txnId, { status: 100 });
      const reencoded = new URLSearchParams(msg.body).toString().replace(/\+/g, '%20');
      expect(reencoded).not.toBe(msg.body);
      const res = await h.sim.post(ipnUrl(), { ...msg, body: reencoded });
      expect(res.answer).toBe('IPN rejected: bad_hmac');
      expect(await readBalance(tdb.db, r.user)).toBe(0);
    });
  });

  it('keeps only a short prefix of a body whose HMAC does not match, so strangers cannot fill the log', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { drop: true });
    const msg = h.sim.buildIpn(r.txnId, { status: 100, secret: 'a-wrong-ipn-secret' });
    const padded = `${msg.body}&junk=${'x'.repeat(20_000)}`;
    const res = await h.sim.post(ipnUrl(), { ...msg, body: padded });
    expect(res.answer).toBe('IPN rejected: bad_hmac');
    const [row] = (await logFor(r.txnId)).filter((l) => l.reason === 'bad_hmac');
    expect(row!.raw_body.length).toBe(1_024);
    expect(padded.startsWith(row!.raw_body)).toBe(true);
  });

  it("verifies the sheet's IPN test vector through the endpoint, then refuses it as not an api IPN", async () => {
    const vector = await startPaymentsHarness(tdb, {
      env: { COINPAYMENTS_MERCHANT_ID: '898d6ead05235f6081e97a58a6699289', COINPAYMENTS_IPN_SECRET: 'U1BC9v1s3l0zxdH3' },
    });
    try {
      const body =
        'address=0x77c7d48ea9b5bf57256745b3b9aef7e403e1a22b&amount=0.01271186&amounti=1271186&confirms=6&currency=ETH&fee=0.00006356&feei=6356&fiat_amount=1.47483322&fiat_amounti=147483322&fiat_coin=USD&fiat_fee=0.00737425&fiat_feei=737425&ipn_id=6239290766d3d78c7054031dc4192019&ipn_mode=hmac&ipn_type=deposit&ipn_version=1.0&merchant=898d6ead05235f6081e97a58a6699289&status=100&status_text=Deposit+confirmed&txn_id=0x42995a06b0b11bd6ca9b20fa5af858971354be1b194ac1689740b767f57a4ba2';
      const hmac =
        'dd12aab950be3b459bb70e1b9c24f39cd81597496cfe779efd82023c71e38cb3ae83b8f7cef203a01c8aa885e1219ba1a1ef5c8be72d6a5cff2e5e9c7bdf5842';
      const headers = { 'Content-Type': 'application/x-www-form-urlencoded', HMAC: hmac };
      // The HMAC check comes before the type check: reaching ipn_type_not_api proves the signature matched.
      const ok = await vector.sim.post(`${vector.url}/ipn/coinpayments`, { status: 100, body, headers });
      expect(ok).toEqual({ httpStatus: 400, answer: 'IPN rejected: ipn_type_not_api' });
      const tampered = await vector.sim.post(`${vector.url}/ipn/coinpayments`, { status: 100, body: body.replace('amount=0.01271186', 'amount=0.01271187'), headers });
      expect(tampered).toEqual({ httpStatus: 401, answer: 'IPN rejected: bad_hmac' });
    } finally {
      await vector.close();
    }
  });

  it('answers IPN OK to a late pending IPN after completion and changes nothing', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId);
    const before = await rechargeRow(r.id);
    const late = [h.sim.buildIpn(r.txnId, { status: 0 }), h.sim.buildIpn(r.txnId, { status: 1 }), h.sim.buildIpn(r.txnId, { status: -1 })];
    const results = await h.sim.deliver(r.txnId, late);
    expect(results.map((d) => [d.httpStatus, d.answer])).toEqual(Array(3).fill([200, 'IPN OK']));
    const after = await rechargeRow(r.id);
    expect([after.status, after.provider_status, after.coins_credited]).toEqual(['completed', 100, 1000]);
    expect(after.updated_at.getTime()).toBe(before.updated_at.getTime());
    expect(await ledgerCount(r.user)).toBe(2);
    const log = await logFor(r.txnId);
    expect(log.slice(1).map((l) => [l.verdict, l.reason])).toEqual(Array(3).fill(['duplicate', 'already_completed']));
  });

  it('marks an expired payment failed, then credits a genuine late completion (documented rule)', async () => {
    const r = await newRecharge({ package_id: 'p200', method: 'USDT' });
    await h.sim.expire(r.txnId);
    const failed = await rechargeRow(r.id);
    expect([failed.status, failed.failed_reason]).toEqual(['failed', 'expired']);
    await h.sim.pay(r.txnId, { late: true });
    const done = await rechargeRow(r.id);
    expect([done.status, done.coins_credited, done.failed_reason]).toEqual(['completed', 200, 'expired']);
    expect(await readBalance(tdb.db, r.user)).toBe(200);
    const kinds = await tdb.db.selectFrom('notifications').select('kind').where('user_id', '=', r.user).orderBy('id').execute();
    expect(kinds.map((k) => k.kind)).toEqual(['recharge_expired', 'recharge_completed']);
  });

  it('holds a late completion for review under RECHARGE_LATE_PAYMENT=hold', async () => {
    const held = await startPaymentsHarness(tdb, { env: { RECHARGE_LATE_PAYMENT: 'hold' } });
    try {
      const r = await newRecharge({ package_id: 'p22', method: 'USDT' }, held);
      await held.sim.pay(r.txnId, { late: true });
      const row = await rechargeRow(r.id);
      expect([row.status, row.hold_reason, row.coins_credited]).toEqual(['failed', 'late_payment', 0]);
      expect(await readBalance(tdb.db, r.user)).toBe(0);
    } finally {
      await held.close();
    }
  });

  it('treats status 2 (queued for payout) as paid and a reversal (-2) on a pending payment as failed', async () => {
    const a = await newRecharge({ package_id: 'p22', method: 'USDT' });
    await h.sim.pay(a.txnId, { status: 2 });
    expect((await rechargeRow(a.id)).status).toBe('completed');
    const b = await newRecharge({ package_id: 'p22', method: 'USDT' });
    await h.sim.deliver(b.txnId, [h.sim.buildIpn(b.txnId, { status: -2 })]);
    expect([(await rechargeRow(b.id)).status, (await rechargeRow(b.id)).failed_reason]).toEqual(['failed', 'provider_failed']);
  });
});

describe('the IPN log under a flood of unauthenticated posts', () => {
  it('stores at most IPN_UNVERIFIED_LOG_PER_MIN bad-HMAC bodies a minute, counts the rest, and answers every one 401', async () => {
    const clock = movableClock();
    const capped = await startPaymentsHarness(tdb, { env: { IPN_UNVERIFIED_LOG_PER_MIN: '20' }, clock });
    try {
      const url = `${capped.url}/ipn/coinpayments`;
      const r = await newRecharge();
      await h.sim.pay(r.txnId, { drop: true });
      const forged = h.sim.buildIpn(r.txnId, { status: 100, secret: 'a-wrong-ipn-secret' });
      const answers = await Promise.all(Array.from({ length: 200 }, () => h.sim.post(url, forged)));
      expect(answers.every((a) => a.httpStatus === 401 && a.answer === 'IPN rejected: bad_hmac')).toBe(true);
      expect((await logFor(r.txnId)).filter((l) => l.reason === 'bad_hmac')).toHaveLength(20);
      const metrics = await (await capped.call('GET', '/metrics', { token: TEST_METRICS_TOKEN })).text();
      expect(metrics).toMatch(/^goldcoin_ipn_unlogged_total 180$/m);
      // Genuine IPNs are always stored and processed, whatever strangers spent.
      expect((await h.sim.post(url, h.sim.buildIpn(r.txnId))).answer).toBe('IPN OK');
      expect((await logFor(r.txnId)).filter((l) => l.verdict === 'processed')).toHaveLength(1);
      expect(await readBalance(tdb.db, r.user)).toBe(1100);
      // The next minute stores again.
      clock.advance(60_000);
      expect((await h.sim.post(url, forged)).httpStatus).toBe(401);
      expect((await logFor(r.txnId)).filter((l) => l.reason === 'bad_hmac')).toHaveLength(21);
    } finally {
      await capped.close();
    }
  });
});

describe('payment metrics', () => {
  /** A sample's value from the Prometheus text, 0 when the series does not exist yet. */
  async function sample(harness: PaymentsHarness, series: string): Promise<number> {
    const res = await harness.call('GET', '/metrics', { token: TEST_METRICS_TOKEN });
    expect(res.status).toBe(200);
    const line = (await res.text()).split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }
  const series = {
    processed: 'goldcoin_ipn_total{verdict="processed"}',
    duplicate: 'goldcoin_ipn_total{verdict="duplicate"}',
    rejected: 'goldcoin_ipn_total{verdict="rejected"}',
    created: 'goldcoin_recharges_total{status="pending"}',
    completed: 'goldcoin_recharges_total{status="completed"}',
    pending: 'goldcoin_pending_payments',
  };
  const snapshot = async (harness: PaymentsHarness) => {
    const values = await Promise.all(Object.values(series).map((name) => sample(harness, name)));
    const keys = Object.keys(series) as Array<keyof typeof series>;
    return Object.fromEntries(keys.map((k, i) => [k, values[i]!])) as Record<keyof typeof series, number>;
  };

  it('shows IPNs by verdict, recharge outcomes and the pending count on /metrics after an IPN', async () => {
    const clock = movableClock();
    const m = await startPaymentsHarness(tdb, { clock });
    const sinceCache = () => clock.advance(15_000);
    try {
      const before = await snapshot(m);
      const r = await newRecharge({ package_id: 'p22', method: 'USDT' }, m);
      sinceCache();
      expect((await snapshot(m)).pending).toBe(before.pending + 1);
      await m.sim.pay(r.txnId, { duplicate: 3 });
      await m.sim.post(`${m.url}/ipn/coinpayments`, m.sim.buildIpn(r.txnId, { secret: 'not-the-secret' }));
      sinceCache();
      const after = await snapshot(m);
      expect(after).toEqual({
        processed: before.processed + 1,
        duplicate: before.duplicate + 2,
        rejected: before.rejected + 1,
        created: before.created + 1,
        completed: before.completed + 1,
        pending: before.pending,
      });
    } finally {
      await m.close();
    }
  });

  it('reads the database gauges at most once per METRICS_CACHE_S, however often it is scraped', async () => {
    const clock = movableClock();
    const m = await startPaymentsHarness(tdb, { clock, env: { METRICS_CACHE_S: '15' } });
    try {
      const pending = () => sample(m, series.pending);
      const first = await pending();
      await newRecharge({ package_id: 'p22', method: 'USDT' }, m);
      // Scraped again inside the interval: the cached value, no query.
      expect(await Promise.all([pending(), pending(), pending()])).toEqual([first, first, first]);
      clock.advance(14_000);
      expect(await pending()).toBe(first);
      clock.advance(1_000);
      expect(await pending()).toBe(first + 1);
    } finally {
      await m.close();
    }
  });

  it('answers 401 without the bearer METRICS_TOKEN, with a wrong one, and when no token is set', async () => {
    const attempts: Array<Record<string, string>> = [{}, { Authorization: `Bearer ${TEST_METRICS_TOKEN}x` }, { Authorization: 'Bearer short' }, { Authorization: TEST_METRICS_TOKEN }];
    for (const headers of attempts) {
      const res = await h.call('GET', '/metrics', { headers });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    }
    const open = buildTestApp(tdb, { env: { METRICS_TOKEN: '' } });
    const res = await open.call('GET', '/metrics', { token: TEST_METRICS_TOKEN });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('goldcoin_');
  });
});

describe('the shared state machine on the database', () => {
  it('credits at most once and keeps the invariants for random concurrent event mixes', async () => {
    const event = fc.oneof(
      fc.constant<PaymentEvent>({ type: 'expired' }),
      fc.record({
        type: fc.constant('provider' as const),
        kind: fc.constantFrom('pending', 'paid', 'failed', 'expired'),
        progress: fc.integer({ min: 0, max: 40 }),
        statusText: fc.constant('x'),
        receivedAmount: fc.constantFrom(null, '0.00000000', '3.00000000', '7.28000000', '9.00000000'),
      }),
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 12 }), async (events) => {
        const user = await createWpUser(tdb.db);
        const txnId = `CPPROP${Date.now()}${run++}`;
        const ins = await tdb.db
          .insertInto('recharge_transactions')
          .values({ user_id: user, coins: 1000, bonus_coins: 100, payment_method: 'USDT', price_amount: '1000.00', price_currency: 'CNY', status: 'pending', provider: 'coinpayments', txn_id: txnId, crypto_currency: 'USDT.TRC20', crypto_amount: '7.28000000', provider_status: 0 })
          .executeTakeFirstOrThrow();
        const deps = { db: tdb.db, clock: systemClock, policies: { underpayment: 'proportional', latePayment: 'credit' } as const };
        const results = await Promise.all(events.map((e) => applyPaymentEvent(deps, 'coinpayments', txnId, e)));
        const completions = results.filter((r) => r.decision?.action === 'complete');
        expect(completions.length).toBeLessThanOrEqual(1);
        const row = await rechargeRow(Number(ins.insertId));
        const credited = await readBalance(tdb.db, user);
        expect(credited).toBe(row.coins_credited + row.bonus_credited);
        expect(row.status === 'completed').toBe(completions.length === 1);
        expect(credited).toBeLessThanOrEqual(1100);
        expect((await checkInvariants(tdb.db, [user])).problems).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });
});

// CoinPayments' new platform wired in, against MariaDB and its simulator: recharges open invoices, signed webhooks
// are verified and re-read before any credit, every delivery is logged with its verdict, forged or foreign ones
// change nothing but the audit row, the reconciler catches up on lost ones, and a legacy payment opened before
// the switch is credited beside a new-platform one, each exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { silentLogger } from '../../sidecar/src/log.js';
import { CoinPaymentsV2Provider } from '../../sidecar/src/payments/coinpayments-v2/provider.js';
import { reconcileOnce } from '../../sidecar/src/payments/reconciler.js';
import type { PaymentProvider } from '../../sidecar/src/payments/provider.js';
import { buildTestApp, mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startSimulatorV2 } from '../../simulators/coinpayments-v2/server.js';
import { SIM_V2_KEYS, SIM_V2_PREFIX, startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';

let tdb: TestDatabase;
let h: PaymentsHarness;
let completedOnly: PaymentsHarness;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename, { poolSize: 30 });
  h = await startPaymentsHarness(tdb, { platform: 'v2' });
  completedOnly = await startPaymentsHarness(tdb, { platform: 'v2', env: { COINPAYMENTS_CREDIT_ON: 'invoiceCompleted' } });
});
afterAll(async () => {
  await h?.close();
  await completedOnly?.close();
  await tdb?.drop();
});

type Caller = Pick<PaymentsHarness, 'call'>;
let keySeq = 0;
async function newRecharge(body: Record<string, unknown> = { coins: 1000, method: 'USDT' }, harness: Caller = h) {
  const user = await createWpUser(tdb.db);
  const res = await harness.call('POST', '/api/recharges', {
    token: await mintToken(user),
    body,
    headers: { 'Idempotency-Key': `v2-test-${Date.now()}-${keySeq++}` },
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { id: number; payment: { txn_id: string; address: string; amount: string; checkout_url: string; currency: string } };
  return { user, id: json.id, txnId: json.payment.txn_id, payment: json.payment };
}

const rechargeRow = (id: number) => tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const ledgerRows = (user: number) => tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', user).orderBy('id').execute();
const logFor = (txnId: string) =>
  tdb.db.selectFrom('ipn_log').selectAll().where('provider', '=', 'coinpayments-v2').where('txn_id', '=', txnId).orderBy('id').execute();
const webhookUrl = (harness = h) => `${harness.url}/webhooks/coinpayments`;
const logCount = async () => (await tdb.db.selectFrom('ipn_log').select('id').where('provider', '=', 'coinpayments-v2').execute()).length;

/** The harness's configuration with new recharges on `platform`: the same site, before or after a switch. */
const harnessEnv = (platform: 'legacy' | 'v2') => ({
  PUBLIC_URL: h.url,
  COINPAYMENTS_API_URL: h.sim.apiUrl,
  COINPAYMENTS_PLATFORM: platform,
  COINPAYMENTS_CLIENT_ID: SIM_V2_KEYS.clientId,
  COINPAYMENTS_CLIENT_SECRET: SIM_V2_KEYS.clientSecret,
  COINPAYMENTS_API_BASE: h.simV2.apiBase,
  COINPAYMENTS_INVOICE_PREFIX: SIM_V2_PREFIX,
});

/** A signed delivery as CoinPayments would post it, with the body and signing options a test chooses. */
async function post(body: string, sign: Parameters<PaymentsHarness['simV2']['signWebhook']>[2] = {}, harness: Caller = h) {
  const headers = h.simV2.signWebhook(webhookUrl(), body, sign);
  const res = await harness.call('POST', '/webhooks/coinpayments', { body, headers });
  return { status: res.status, json: (await res.json()) as { received?: true; verdict?: string; error?: { code: string } } };
}

/** A webhook body for one of our invoices, of the given event type (as the simulator would build it). */
function eventBody(txnId: string, invoiceId: string, type: string) {
  return JSON.stringify({ id: `evt-${keySeq++}`, type, invoice: { id: txnId, invoiceId, state: 'paid', amount: { total: '1000.00' }, payments: [] } });
}

describe('recharges on the new platform', () => {
  it('open an invoice with our per-site invoice id and record the provider, the account and the reference', async () => {
    const r = await newRecharge();
    const inv = h.simV2.invoice(r.txnId)!;
    expect(inv.invoiceId).toBe(`${SIM_V2_PREFIX}-${r.id}`);
    expect(inv.webhooks).toEqual([{ notificationsUrl: webhookUrl(), notifications: expect.arrayContaining(['invoicePaid', 'invoiceCompleted', 'invoiceCancelled', 'invoiceTimedOut']) }]);
    expect(r.payment).toMatchObject({ currency: 'USDT.TRC20', address: inv.address, amount: '140', checkout_url: expect.stringMatching(/^http/) });
    const row = await rechargeRow(r.id);
    expect(row).toMatchObject({
      provider: 'coinpayments-v2',
      provider_account: `${SIM_V2_KEYS.clientId}@${new URL(h.simV2.apiBase).host}`,
      provider_reference: `${SIM_V2_PREFIX}-${r.id}`,
      crypto_amount: '140.0000000000',
      provider_status: 0,
    });
    expect(row.expires_at!.getTime()).toBeGreaterThan(Date.now());
  });
});

describe('POST /webhooks/coinpayments', () => {
  it('credits exactly once for duplicated, shuffled pending and paid deliveries, and logs each with its verdict', async () => {
    const r = await newRecharge();
    const deliveries = await h.simV2.pay(r.txnId, { pendingEvents: 3, complete: true, duplicate: 6, order: 'shuffle' });
    expect(deliveries).toHaveLength(30);
    for (const d of deliveries) expect(d.httpStatus).toBe(200);
    expect(await readBalance(tdb.db, r.user)).toBe(1100);
    const ledger = await ledgerRows(r.user);
    expect(ledger.map((l) => [l.kind, l.delta_coins, l.idempotency_ref])).toEqual([
      ['recharge', 1000, `recharge:coinpayments-v2:${r.txnId}`],
      ['bonus', 100, `bonus:coinpayments-v2:${r.txnId}`],
    ]);
    const row = await rechargeRow(r.id);
    expect([row.status, row.coins_credited, row.bonus_credited, row.received_amount]).toEqual(['completed', 1000, 100, '140.0000000000']);
    const log = await logFor(r.txnId);
    expect(log).toHaveLength(30);
    expect(log.filter((l) => l.reason === 'complete')).toHaveLength(1);
    expect(log.every((l) => l.verdict === 'processed' || l.verdict === 'duplicate')).toBe(true);
    expect(log[0]).toMatchObject({ recharge_id: r.id, user_agent: 'CoinPayments Webhooks' });
    expect(log.every((l) => !l.raw_body.includes(SIM_V2_KEYS.clientSecret))).toBe(true);
    expect((await checkInvariants(tdb.db, [r.user])).problems).toEqual([]);
  });

  it('a replayed delivery (same body, fresh signature) changes nothing', async () => {
    const r = await newRecharge();
    await h.simV2.pay(r.txnId);
    const before = await ledgerRows(r.user);
    const again = await h.simV2.redeliver(r.txnId, { duplicate: 3 });
    expect(again.length).toBeGreaterThan(0);
    for (const d of again) expect(d.httpStatus).toBe(200);
    expect(await ledgerRows(r.user)).toEqual(before);
    expect((await logFor(r.txnId)).slice(-again.length).every((l) => l.verdict === 'duplicate')).toBe(true);
  });

  it('credits an underpayment CoinPayments accepted in proportion, rounded down, with the bonus of the coins credited', async () => {
    const r = await newRecharge();
    await h.simV2.pay(r.txnId, { amount: '70', acceptShort: true });
    const row = await rechargeRow(r.id);
    expect([row.status, row.coins_credited, row.bonus_credited, row.received_amount]).toEqual(['completed', 500, 0, '70.0000000000']);
    // 500 coins are below the quote's frozen 1000:10 tier: no bonus, as a direct 500-coin quote would get.
    expect(await readBalance(tdb.db, r.user)).toBe(500);
  });

  it('credits the quote once for an overpayment', async () => {
    const r = await newRecharge();
    await h.simV2.pay(r.txnId, { amount: '150' });
    const row = await rechargeRow(r.id);
    expect([row.status, row.coins_credited, row.received_amount]).toEqual(['completed', 1000, '150.0000000000']);
  });

  it('fails a cancelled and a timed-out invoice, and holds one that timed out after part of the funds arrived', async () => {
    const cancelled = await newRecharge();
    await h.simV2.cancel(cancelled.txnId);
    expect(await rechargeRow(cancelled.id)).toMatchObject({ status: 'failed', failed_reason: 'provider_failed' });
    const timedOut = await newRecharge();
    await h.simV2.timeOut(timedOut.txnId);
    expect(await rechargeRow(timedOut.id)).toMatchObject({ status: 'failed', failed_reason: 'expired' });
    const partial = await newRecharge();
    await h.simV2.pay(partial.txnId, { amount: '20' });
    await h.simV2.timeOut(partial.txnId);
    expect(await rechargeRow(partial.id)).toMatchObject({ status: 'pending', hold_reason: 'underpaid', received_amount: '20.0000000000', coins_credited: 0 });
    for (const r of [cancelled, timedOut, partial]) expect(await readBalance(tdb.db, r.user)).toBe(0);
  });

  it('with COINPAYMENTS_CREDIT_ON=invoiceCompleted, credits only once the funds reach the merchant balance', async () => {
    const r = await newRecharge({ coins: 1000, method: 'USDT' }, completedOnly);
    await completedOnly.simV2.pay(r.txnId);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'pending', provider_status: 20 });
    await completedOnly.simV2.complete(r.txnId);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'completed', coins_credited: 1000, provider_status: 30 });
  });
});

describe('forged, foreign and misleading deliveries: refused with a stable code, only the audit row written', () => {
  const cases: Array<[string, number, string, (txnId: string, invoiceId: string) => { body: string; sign?: Parameters<PaymentsHarness['simV2']['signWebhook']>[2] }]> = [
    ['a bad signature', 401, 'bad_signature', (t, i) => ({ body: eventBody(t, i, 'invoicePaid'), sign: { secret: 'not-the-client-secret-0123456789ab' } })],
    ['a foreign client id', 401, 'foreign_client', (t, i) => ({ body: eventBody(t, i, 'invoicePaid'), sign: { clientId: 'someone-elses-client' } })],
    ['a stale timestamp', 401, 'stale_timestamp', (t, i) => ({ body: eventBody(t, i, 'invoicePaid'), sign: { timestampMs: Date.now() - 301_000 } })],
    ['a future timestamp', 401, 'stale_timestamp', (t, i) => ({ body: eventBody(t, i, 'invoicePaid'), sign: { timestampMs: Date.now() + 301_000 } })],
    ['the invoice id of another site', 422, 'not_ours', (t, i) => ({ body: eventBody(t, i.replace(SIM_V2_PREFIX, 'gc-other-site'), 'invoicePaid') })],
    ['our prefix on another invoice', 422, 'unknown_invoice', (_t, i) => ({ body: eventBody('NOTOURINVOICE123', i, 'invoicePaid') })],
    ['not JSON', 400, 'malformed', () => ({ body: 'invoicePaid=1' })],
  ];
  it.each(cases)('%s', async (_name, status, code, make) => {
    const r = await newRecharge();
    const before = await rechargeRow(r.id);
    const logsBefore = await logCount();
    const { body, sign } = make(r.txnId, `${SIM_V2_PREFIX}-${r.id}`);
    const res = await post(body, sign);
    expect([res.status, res.json.error?.code]).toEqual([status, code]);
    expect(await rechargeRow(r.id)).toEqual(before);
    expect(await ledgerRows(r.user)).toEqual([]);
    expect(await logCount()).toBe(logsBefore + 1);
    const [entry] = await tdb.db.selectFrom('ipn_log').selectAll().where('provider', '=', 'coinpayments-v2').orderBy('id', 'desc').limit(1).execute();
    expect([entry!.verdict, entry!.reason]).toEqual(['rejected', code]);
  });

  it('a genuine paid event for an invoice the API says is unpaid credits nothing, and is logged as not confirmed', async () => {
    const r = await newRecharge();
    const res = await post(eventBody(r.txnId, `${SIM_V2_PREFIX}-${r.id}`, 'invoicePaid'));
    expect([res.status, res.json.verdict]).toEqual([200, 'duplicate']);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'pending', coins_credited: 0, provider_status: 0 });
    expect(await ledgerRows(r.user)).toEqual([]);
    const [entry] = await logFor(r.txnId);
    expect(entry).toMatchObject({ verdict: 'duplicate', reason: 'paid_not_confirmed:not_newer', recharge_id: r.id });
  });

  it('answers 502 lookup_failed, decides nothing and logs an error when the invoice cannot be re-read', async () => {
    const r = await newRecharge();
    // The same integration, its API away: the webhook verifies, the re-read fails.
    const real = h.providers.v2!;
    const unreachable: CoinPaymentsV2Provider = Object.assign(Object.create(real) as CoinPaymentsV2Provider, {
      lookup: async () => ({ ok: false, code: 'provider_unavailable', message: 'GET /api/v2/merchant/invoices/x: no answer in 500 ms' }) as const,
    });
    const blind = buildTestApp(tdb, { env: harnessEnv('v2'), deps: { v2Provider: unreachable } });
    const res = await post(eventBody(r.txnId, `${SIM_V2_PREFIX}-${r.id}`, 'invoicePaid'), {}, blind);
    expect([res.status, res.json.error?.code]).toEqual([502, 'lookup_failed']);
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'pending', coins_credited: 0 });
    expect((await logFor(r.txnId)).map((l) => [l.verdict, l.reason])).toEqual([['error', 'lookup_failed']]);
  });
});

describe('the reconciler on the new platform', () => {
  const reconcile = (provider: PaymentProvider) =>
    reconcileOnce({ db: tdb.db, provider, log: silentLogger, clock: h.deps.clock, policies: h.config.recharge.policies, intervalMs: 60_000 });

  it('credits a payment whose webhooks were all lost, and fails one that timed out unseen', async () => {
    await tdb.db.updateTable('recharge_transactions').set({ next_reconcile_at: new Date('2999-01-01') }).execute();
    const paid = await newRecharge();
    await h.simV2.pay(paid.txnId, { drop: true });
    const lost = await newRecharge();
    await h.simV2.timeOut(lost.txnId, { drop: true });
    expect((await rechargeRow(paid.id)).status).toBe('pending');
    const report = await reconcile(h.providers.v2!);
    expect(report).toMatchObject({ claimed: 2, completed: 1, expired: 1, providerErrors: 0 });
    expect(await rechargeRow(paid.id)).toMatchObject({ status: 'completed', coins_credited: 1000 });
    expect(await rechargeRow(lost.id)).toMatchObject({ status: 'failed', failed_reason: 'expired' });
    // A late webhook for the credited payment changes nothing.
    await h.simV2.redeliver(paid.txnId);
    expect(await readBalance(tdb.db, paid.user)).toBe(1100);
  });

  it('credits nothing when the look-up reports funds in another coin or a lower total, and logs why', async () => {
    await tdb.db.updateTable('recharge_transactions').set({ next_reconcile_at: new Date('2999-01-01') }).execute();
    const otherCoin = await newRecharge();
    // CoinPayments' record of the invoice: paid in full, but in USDT on Ethereum where Tron was asked.
    const inv = h.simV2.invoice(otherCoin.txnId)!;
    inv.payCurrencyId = '4:0xdac17f958d2ee523a2206206994597c13d831ec7';
    await h.simV2.pay(otherCoin.txnId, { drop: true });
    const cheaper = await newRecharge();
    h.simV2.invoice(cheaper.txnId)!.total = '10.00';
    await h.simV2.pay(cheaper.txnId, { drop: true });
    const warnings: Array<Record<string, unknown>> = [];
    const log = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, ...fields }) };
    const report = await reconcileOnce({ db: tdb.db, provider: h.providers.v2!, log, clock: h.deps.clock, policies: h.config.recharge.policies, intervalMs: 60_000 });
    expect(report).toMatchObject({ claimed: 2, completed: 0, expired: 0, held: 0, mismatched: 2 });
    for (const r of [otherCoin, cheaper]) {
      expect(await rechargeRow(r.id)).toMatchObject({ status: 'pending', coins_credited: 0, provider_status: 0 });
      expect(await ledgerRows(r.user)).toEqual([]);
    }
    expect(warnings.map((w) => [w.recharge_id, w.code]).sort()).toEqual(
      [
        [otherCoin.id, 'currency_mismatch'],
        [cheaper.id, 'amount_mismatch'],
      ].sort(),
    );
    // The webhook of the same invoices is refused by the same rule.
    const res = await post(eventBody(otherCoin.txnId, `${SIM_V2_PREFIX}-${otherCoin.id}`, 'invoicePaid'));
    expect([res.status, res.json.error?.code]).toEqual([422, 'currency_mismatch']);
  });

  it('still credits a payment opened before the site changed its invoice prefix, by the reference stored with it', async () => {
    await tdb.db.updateTable('recharge_transactions').set({ next_reconcile_at: new Date('2999-01-01') }).execute();
    const r = await newRecharge();
    await h.simV2.pay(r.txnId, { drop: true });
    // The same integration after COINPAYMENTS_INVOICE_PREFIX (or the site's host) changed.
    const renamed = new CoinPaymentsV2Provider({ ...h.config.coinpayments.v2!, invoicePrefix: 'gc-renamed', methods: ['USDT.TRC20', 'USDT.ERC20', 'USDT.BEP20'] });
    expect(renamed.account).toBe(h.providers.v2!.account);
    expect(await reconcile(renamed)).toMatchObject({ claimed: 1, completed: 1, mismatched: 0 });
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'completed', coins_credited: 1000 });
  });

  it('credits an underpayment found by the look-up in proportion, as the webhook path does', async () => {
    await tdb.db.updateTable('recharge_transactions').set({ next_reconcile_at: new Date('2999-01-01') }).execute();
    const r = await newRecharge();
    // 70 of the 140 USDT asked, accepted as paid by CoinPayments; the webhooks lost.
    await h.simV2.pay(r.txnId, { amount: '70', acceptShort: true, drop: true });
    expect(await reconcile(h.providers.v2!)).toMatchObject({ claimed: 1, completed: 1, mismatched: 0 });
    expect(await rechargeRow(r.id)).toMatchObject({ status: 'completed', coins_credited: 500, received_amount: '70.0000000000' });
  });
});

describe('a legacy payment opened before the switch, and a new-platform one, open at the same time', () => {
  it('are both credited exactly once, through their own notifications and their own reconciler', async () => {
    // The same site before the switch: same database, same public URL, same legacy keys, new recharges on legacy.
    const before = buildTestApp(tdb, { env: harnessEnv('legacy') });
    const legacy = await newRecharge({ coins: 1000, method: 'USDT' }, before);
    const current = await newRecharge();
    expect((await rechargeRow(legacy.id)).provider).toBe('coinpayments');
    expect((await rechargeRow(current.id)).provider).toBe('coinpayments-v2');
    // Both paid at once, each notification duplicated; the legacy IPN reaches the switched sidecar.
    await Promise.all([
      h.sim.pay(legacy.txnId, { pendingFirst: true, duplicate: 4, shuffle: true }),
      h.simV2.pay(current.txnId, { pendingEvents: 2, duplicate: 4, order: 'shuffle' }),
    ]);
    for (const r of [legacy, current]) {
      expect(await rechargeRow(r.id)).toMatchObject({ status: 'completed', coins_credited: 1000, bonus_credited: 100 });
      expect(await readBalance(tdb.db, r.user)).toBe(1100);
      expect(await ledgerRows(r.user)).toHaveLength(2);
    }
    expect((await ledgerRows(legacy.user))[0]!.idempotency_ref).toBe(`recharge:coinpayments:${legacy.txnId}`);

    // And with every notification lost, each platform's reconciler finds its own payment.
    await tdb.db.updateTable('recharge_transactions').set({ next_reconcile_at: new Date('2999-01-01') }).execute();
    const legacyLost = await newRecharge({ coins: 52, method: 'USDT' }, before);
    const currentLost = await newRecharge({ coins: 52, method: 'USDT' });
    await Promise.all([h.sim.pay(legacyLost.txnId, { drop: true }), h.simV2.pay(currentLost.txnId, { drop: true })]);
    // One after the other, as the reconciler job runs them.
    const reports = [];
    for (const p of h.providers.all) reports.push(await reconcile(p));
    expect(reports.map((r) => [r.claimed, r.completed])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    for (const r of [legacyLost, currentLost]) expect(await readBalance(tdb.db, r.user)).toBe(52);
    expect((await checkInvariants(tdb.db, [legacy.user, current.user, legacyLost.user, currentLost.user])).problems).toEqual([]);
  });

  const reconcile = (provider: PaymentProvider) =>
    reconcileOnce({ db: tdb.db, provider, log: silentLogger, clock: h.deps.clock, policies: h.config.recharge.policies, intervalMs: 60_000 });
});

describe('checkCredentials: one authenticated read says what is wrong', () => {
  const provider = (o: Partial<ConstructorParameters<typeof CoinPaymentsV2Provider>[0]> = {}) =>
    new CoinPaymentsV2Provider({ ...h.config.coinpayments.v2!, methods: ['USDT.TRC20'], timeoutMs: 1_000, ...o });

  it('accepts the integration on its instance, and names a bad secret, an unreachable host and the wrong instance', async () => {
    expect(await provider().checkCredentials()).toEqual({ ok: true });
    expect(await provider({ clientSecret: 'not-the-secret-0123456789abcdefgh' }).checkCredentials()).toMatchObject({ ok: false, code: 'bad_credentials' });
    expect(await provider({ apiBase: 'http://127.0.0.1:9' }).checkCredentials()).toMatchObject({ ok: false, code: 'unreachable' });
    // Another instance, where this integration does not exist; the one it lives on is among those tried.
    const elsewhere = await startSimulatorV2({ clientId: 'another-integration', clientSecret: 'another-secret-0123456789abcdefgh' });
    try {
      const wrong = await provider({ apiBase: elsewhere.apiBase, instances: [elsewhere.apiBase, h.simV2.apiBase] }).checkCredentials();
      expect(wrong).toMatchObject({ ok: false, code: 'wrong_instance' });
      expect(wrong.ok || wrong.message).toContain(h.simV2.apiBase);
    } finally {
      await elsewhere.close();
    }
    // The legacy provider's read, for the same configuration check.
    expect(await h.providers.legacy!.checkCredentials()).toEqual({ ok: true });
  });
});

// The new-platform client against the new-platform simulator: signed requests (and their refusals), currency
// ids, invoices, look-ups, and signed webhooks received over HTTP and verified by webhook.ts: full and partial
// payments, time-outs, cancel, retries, duplicates, reordering, dropped deliveries. No database needed.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulatorV2, type SimulatorV2 } from '../../simulators/coinpayments-v2/server.js';
import { CoinPaymentsV2Client, type CoinPaymentsV2Options } from '../../sidecar/src/payments/coinpayments-v2/client.js';
import { verifyWebhook, type NotificationEvent } from '../../sidecar/src/payments/coinpayments-v2/webhook.js';

const CLIENT_ID = 'sim-client-0001';
const CLIENT_SECRET = 'sim-client-secret-0123456789abcdef';
const METHODS = ['USDT.TRC20', 'USDT.ERC20', 'USDT.BEP20', 'BTC', 'ETH'];

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

/** A webhook receiver that answers 503 to its first `failNext` deliveries. */
async function startReceiver() {
  const got: Received[] = [];
  const state = { failNext: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ method: req.method ?? '', headers: req.headers, raw: Buffer.concat(chunks) });
      if (state.failNext > 0) {
        state.failNext--;
        res.writeHead(503).end('busy');
      } else res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/coinpayments`;
  return { url, got, state, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let sim: SimulatorV2;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let client: CoinPaymentsV2Client;
let nextRecharge = 1;

function makeClient(o: Partial<CoinPaymentsV2Options> = {}) {
  return new CoinPaymentsV2Client({
    apiBase: sim.apiBase,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    timeoutMs: 3_000,
    invoicePrefix: 'gc-test',
    notificationsUrl: receiver.url,
    ...o,
  });
}

beforeAll(async () => {
  receiver = await startReceiver();
  sim = await startSimulatorV2({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, webhookMaxAttempts: 4, webhookRetryDelayMs: 10 });
  client = makeClient();
});
afterAll(async () => {
  await sim?.close();
  await receiver?.close();
});
beforeEach(() => {
  receiver.got.length = 0;
  receiver.state.failNext = 0;
  sim.dropDeliveries(false);
  sim.setClockSkew(0);
});

/** Every delivery received so far, verified as the webhook route will verify it. */
function verified(c: CoinPaymentsV2Client = client): NotificationEvent[] {
  return receiver.got.map((r) => {
    const v = verifyWebhook(c.webhookConfig(), { method: r.method, headers: r.headers, rawBody: r.raw }, Date.now(), c.decimalsOf);
    if (!v.ok) throw new Error(`delivery refused: ${v.code} ${v.message}`);
    return v.event;
  });
}

async function create(payCurrency = 'USDT.TRC20', priceAmount = '52.00', c = client) {
  const rechargeId = nextRecharge++;
  const r = await c.createInvoice({ rechargeId, priceAmount, priceCurrency: 'CNY', payCurrency, buyerEmail: 'buyer@example.test', buyerName: 'A Buyer', itemName: '52 gold coins' });
  if (!r.ok) throw new Error(r.message);
  return { rechargeId, ...r.value };
}

async function observe(id: string, c = client) {
  const r = await c.getInvoice(id, METHODS);
  if (!r.ok) throw new Error(r.message);
  if (!r.value) throw new Error(`no invoice ${id}`);
  return r.value;
}

describe('requests', () => {
  it('maps our methods and the price currency to CoinPayments currency ids', async () => {
    const ids = await Promise.all(['USDT.TRC20', 'USDT.ERC20', 'USDT.BEP20', 'BTC', 'CNY', 'USD'].map((m) => client.currencyIdFor(m)));
    expect(ids.map((r) => (r.ok ? r.value : r.message))).toEqual([
      '9:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t',
      '4:0xdac17f958d2ee523a2206206994597c13d831ec7',
      '35:0x55d398326f99059ff775485246999027b3197955',
      '1',
      '5012',
      '5057',
    ]);
    expect(await client.currencyIdFor('LTCT')).toMatchObject({ ok: false, code: 'provider_error' });
    expect(await makeClient({ allowTestCoin: true }).currencyIdFor('LTCT')).toEqual({ ok: true, value: '1002' });
  });

  it('creates an invoice with our id, a per-invoice webhook and the pinned coin, and shows where to pay', async () => {
    const inv = await create();
    expect(inv.invoiceId).toBe(`gc-test-${inv.rechargeId}`);
    expect(inv.checkoutUrl).toBe(`${sim.url}/checkout/?invoice-id=${inv.providerInvoiceId}`);
    // 52 CNY at 0.14 USD is 7.28 USDT, exactly.
    expect(inv.amount).toBe('7.28000000');
    expect(inv.address).toMatch(/^T[1-9A-HJ-NP-Za-km-z]{33}$/);
    expect(inv.qr).toContain(inv.address);
    expect(inv.expiresAtMs).toBeGreaterThan(Date.now());
    expect(inv.confirmsNeeded).toBe(20);
    const simInv = sim.invoice(inv.providerInvoiceId)!;
    expect(simInv.invoiceId).toBe(inv.invoiceId);
    expect(simInv.total).toBe('52.00');
    expect(simInv.webhooks).toEqual([{ notificationsUrl: receiver.url, notifications: ['invoicePending', 'invoicePaid', 'invoiceCompleted', 'invoiceCancelled', 'invoiceTimedOut'] }]);
    expect(await observe(inv.providerInvoiceId)).toMatchObject({ kind: 'pending', progress: 0, rechargeId: inv.rechargeId, priceAmount: '52.00', payCurrency: 'USDT.TRC20', expectedAmount: '7.28000000', receivedAmount: '0.00000000' });
  });

  it('refuses a price it cannot send exactly rather than rounding it', async () => {
    await expect(create('USDT.TRC20', '52.005')).rejects.toThrow(RangeError);
    await expect(create('USDT.TRC20', '0')).rejects.toThrow(RangeError);
    expect(sim.invoices().some((i) => i.total === '52.01' || i.total === '0.00')).toBe(false);
  });

  it('lets the buyer choose the coin at checkout when the coin is not pinned', async () => {
    const inv = await create('USDT.TRC20', '52.00', makeClient({ pinPayCurrency: false }));
    expect(inv.address).toBeNull();
    expect(inv.amount).toBeNull();
    expect(inv.checkoutUrl).toContain(inv.providerInvoiceId);
  });

  it('is refused with a wrong secret, a foreign client id or a skewed clock, and never says the secret', async () => {
    const wrong = await makeClient({ clientSecret: 'not-the-secret-at-all' }).checkCredentials();
    expect(wrong).toMatchObject({ ok: false, code: 'provider_error' });
    expect(!wrong.ok && wrong.message).toContain('401');
    expect(!wrong.ok && wrong.message).not.toContain('not-the-secret-at-all');
    expect(await makeClient({ clientId: 'someone-else' }).checkCredentials()).toMatchObject({ ok: false, code: 'provider_error' });
    expect(await client.checkCredentials()).toEqual({ ok: true, value: null });
    sim.setClockSkew(301_000);
    expect(await client.checkCredentials()).toMatchObject({ ok: false, code: 'provider_error' });
    // Behind by more than the window plus a second: the stamp is in whole seconds, so a request that takes a moment
    // to arrive, sent late in its second, must still be outside it.
    sim.setClockSkew(-302_000);
    expect(await client.checkCredentials()).toMatchObject({ ok: false, code: 'provider_error' });
    sim.setClockSkew(250_000);
    expect(await client.checkCredentials()).toEqual({ ok: true, value: null });
  });

  it('answers provider_unavailable when nothing listens, and a 404 look-up is null', async () => {
    const down = makeClient({ apiBase: 'http://127.0.0.1:9', timeoutMs: 1_000 });
    expect(await down.currencyIdFor('USDT.TRC20')).toMatchObject({ ok: false, code: 'provider_unavailable' });
    expect(await client.getInvoice('NoSuchInvoice123')).toEqual({ ok: true, value: null });
  });

  it('looks up many invoices at once, bounded, leaving unknown ids out', async () => {
    const made = await Promise.all(Array.from({ length: 9 }, () => create()));
    await sim.pay(made[0]!.providerInvoiceId);
    const r = await makeClient({ lookupConcurrency: 3 }).getInvoices([...made.map((m) => m.providerInvoiceId), 'NoSuchInvoice123'], METHODS);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.size).toBe(9);
    expect(r.value.get(made[0]!.providerInvoiceId)?.kind).toBe('paid');
    expect(r.value.get(made[1]!.providerInvoiceId)?.kind).toBe('pending');
    const down = await makeClient({ apiBase: 'http://127.0.0.1:9', timeoutMs: 1_000 }).getInvoices(['A1', 'B2']);
    expect(down).toMatchObject({ ok: false, code: 'provider_unavailable' });
  });
});

describe('webhooks', () => {
  it('signs invoicePending then invoicePaid over the registered URL; the look-up agrees, exactly', async () => {
    const inv = await create();
    await sim.pay(inv.providerInvoiceId);
    const events = verified();
    expect(events.map((e) => [e.kind, e.rechargeId, e.providerInvoiceId])).toEqual([
      ['pending', inv.rechargeId, inv.providerInvoiceId],
      ['paid', inv.rechargeId, inv.providerInvoiceId],
    ]);
    expect(events[1]!.receivedAmount).toBe('7.28000000');
    expect(events[1]!.priceAmount).toBe('52.00');
    expect(await observe(inv.providerInvoiceId)).toMatchObject({ kind: 'paid', receivedAmount: '7.28000000', payCurrency: 'USDT.TRC20' });
  });

  it('credits at invoiceCompleted when configured so: paid is still pending until then', async () => {
    const late = makeClient({ creditOn: 'invoiceCompleted' });
    const inv = await create('USDT.TRC20', '52.00', late);
    await sim.pay(inv.providerInvoiceId);
    expect(verified(late).map((e) => e.kind)).toEqual(['pending', 'pending']);
    expect((await observe(inv.providerInvoiceId, late)).kind).toBe('pending');
    await sim.complete(inv.providerInvoiceId);
    expect(verified(late).map((e) => e.kind)).toEqual(['pending', 'pending', 'paid']);
    expect((await observe(inv.providerInvoiceId, late)).kind).toBe('paid');
  });

  it('reports a partial payment as pending with what arrived, then a time-out as expired with the funds', async () => {
    const inv = await create();
    await sim.pay(inv.providerInvoiceId, { amount: '3.000001' });
    expect(verified().map((e) => e.kind)).toEqual(['pending']);
    expect(await observe(inv.providerInvoiceId)).toMatchObject({ kind: 'pending', receivedAmount: '3.00000100', expectedAmount: '7.28000000' });
    await sim.timeOut(inv.providerInvoiceId);
    expect(verified().map((e) => e.kind)).toEqual(['pending', 'expired']);
    expect(await observe(inv.providerInvoiceId)).toMatchObject({ kind: 'expired', receivedAmount: '3.00000100' });
  });

  it('completes a partial payment with the rest, and can accept a short one as paid', async () => {
    const inv = await create();
    await sim.pay(inv.providerInvoiceId, { amount: '7' });
    await sim.pay(inv.providerInvoiceId, { amount: '0.28' });
    expect(verified().map((e) => e.kind)).toEqual(['pending', 'pending', 'paid']);
    const short = await create();
    await sim.pay(short.providerInvoiceId, { amount: '7.00', acceptShort: true });
    expect(await observe(short.providerInvoiceId)).toMatchObject({ kind: 'paid', receivedAmount: '7.00000000', expectedAmount: '7.28000000' });
  });

  it('times an invoice out by itself once it expires, and sends invoiceTimedOut', async () => {
    let nowMs = Date.now();
    const own = await startSimulatorV2({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, invoiceTimeoutS: 60, now: () => nowMs, sweepIntervalMs: 20, webhookRetryDelayMs: 10 });
    try {
      const c = makeClient({ apiBase: own.apiBase, now: () => nowMs });
      const inv = await create('USDT.TRC20', '52.00', c);
      nowMs += 61_000;
      const c2 = makeClient({ apiBase: own.apiBase, now: () => nowMs });
      expect((await observe(inv.providerInvoiceId, c2)).kind).toBe('expired');
      const deadline = Date.now() + 5_000;
      while (receiver.got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const v = verifyWebhook(c2.webhookConfig(), { method: 'POST', headers: receiver.got[0]!.headers, rawBody: receiver.got[0]!.raw }, nowMs);
      expect(v.ok && v.event.kind).toBe('expired');
    } finally {
      await own.close();
    }
  });

  it('cancels through the API and notifies invoiceCancelled', async () => {
    const inv = await create();
    expect(await client.cancelInvoice(inv.providerInvoiceId)).toEqual({ ok: true, value: null });
    const deadline = Date.now() + 5_000;
    while (receiver.got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(verified().map((e) => e.kind)).toEqual(['failed']);
    expect((await observe(inv.providerInvoiceId)).kind).toBe('failed');
    expect(await client.cancelInvoice(inv.providerInvoiceId)).toMatchObject({ ok: false, code: 'provider_error' });
  });

  it('retries a failing receiver with backoff, the same body each time, re-signed', async () => {
    const inv = await create();
    receiver.state.failNext = 2;
    const records = await sim.pay(inv.providerInvoiceId, { pendingEvents: 1 });
    expect(records.map((r) => [r.type, r.attempt, r.httpStatus])).toEqual([
      ['invoicePending', 3, 200],
      ['invoicePaid', 1, 200],
    ]);
    expect(receiver.got).toHaveLength(4);
    expect(new Set(receiver.got.slice(0, 3).map((g) => g.raw.toString())).size).toBe(1);
    expect(verified().map((e) => e.kind)).toEqual(['pending', 'pending', 'pending', 'paid']);
  });

  it('delivers duplicates and out of order; every copy verifies and carries its event id', async () => {
    const inv = await create();
    await sim.pay(inv.providerInvoiceId, { duplicate: 3, order: 'reverse' });
    const events = verified();
    expect(events.map((e) => e.kind)).toEqual(['paid', 'paid', 'paid', 'pending', 'pending', 'pending']);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(2);
    expect(events[0]!.progress).toBeGreaterThan(events[3]!.progress);
  });

  it('drops deliveries on request (only a look-up sees the payment), and redelivers them later', async () => {
    const inv = await create();
    sim.dropDeliveries(true);
    await sim.pay(inv.providerInvoiceId);
    expect(receiver.got).toHaveLength(0);
    expect((await observe(inv.providerInvoiceId)).kind).toBe('paid');
    sim.dropDeliveries(false);
    await sim.redeliver(inv.providerInvoiceId, { count: 1 });
    expect(verified().map((e) => e.kind)).toEqual(['paid']);
  });

  it("signs webhooks with the simulator's clock: a skewed one is refused as stale", async () => {
    const inv = await create();
    sim.setClockSkew(-400_000);
    await sim.pay(inv.providerInvoiceId, { drop: true });
    sim.setClockSkew(0);
    const event = sim.invoice(inv.providerInvoiceId)!.events.at(-1)!;
    const stale = sim.signWebhook(receiver.url, event.body, { timestampMs: Date.now() - 400_000 });
    const v = verifyWebhook(client.webhookConfig(), { method: 'POST', headers: lower(stale), rawBody: event.body }, Date.now());
    expect(v).toMatchObject({ ok: false, code: 'stale_timestamp' });
    const foreign = sim.signWebhook(receiver.url, event.body, { clientId: 'other-client', secret: 'other-secret' });
    expect(verifyWebhook(client.webhookConfig(), { method: 'POST', headers: lower(foreign), rawBody: event.body }, Date.now())).toMatchObject({ ok: false, code: 'foreign_client' });
    const elsewhere = sim.signWebhook('https://other.example/webhooks/coinpayments', event.body);
    expect(verifyWebhook(client.webhookConfig(), { method: 'POST', headers: lower(elsewhere), rawBody: event.body }, Date.now())).toMatchObject({ ok: false, code: 'bad_signature' });
  });

  it('keeps 18-decimal amounts exact through the look-up, where the webhook cannot state them exactly', async () => {
    const inv = await create('USDT.BEP20');
    expect(inv.amount).toBe('7.28000000');
    await sim.pay(inv.providerInvoiceId, { amount: '7.280000000000000001' });
    const paid = verified().at(-1)!;
    expect(paid.kind).toBe('paid');
    expect(paid.receivedAmount).toBeNull();
    expect(await observe(inv.providerInvoiceId)).toMatchObject({ kind: 'paid', receivedAmount: '7.28000000', payCurrency: 'USDT.BEP20' });
  });
});

describe('test controls over HTTP', () => {
  it('pays through /_sim and refuses a control the invoice state does not allow', async () => {
    const inv = await create();
    const pay = await fetch(`${sim.url}/_sim/invoices/${inv.providerInvoiceId}/pay`, { method: 'POST', body: JSON.stringify({ amount: '1.5' }) });
    expect(pay.status).toBe(202);
    expect(((await pay.json()) as { invoice: { status: string } }).invoice.status).toBe('pending');
    const complete = await fetch(`${sim.url}/_sim/invoices/${inv.providerInvoiceId}/complete`, { method: 'POST' });
    expect(complete.status).toBe(409);
    const skew = await fetch(`${sim.url}/_sim/clock`, { method: 'POST', body: JSON.stringify({ skewMs: 301_000 }) });
    expect(skew.status).toBe(200);
    expect(await client.checkCredentials()).toMatchObject({ ok: false });
    sim.setClockSkew(0);
    const unknown = await fetch(`${sim.url}/_sim/invoices/NoSuchInvoice123/pay`, { method: 'POST' });
    expect(unknown.status).toBe(404);
  });
});

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

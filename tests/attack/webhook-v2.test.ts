// Attacks on the new platform's webhook route, as tests/attack/ipn.test.ts does for legacy IPNs: random unsigned or
// badly signed deliveries (property), genuinely signed ones with a guard field changed (property), cross-recharge
// references, and replays. None credits a coin the API does not confirm; none is a 5xx.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { SIM_V2_KEYS, SIM_V2_PREFIX, startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';

let tdb: TestDatabase;
let h: PaymentsHarness;
const tried: Record<string, number> = {};
const count = (what: string, n = 1) => (tried[what] = (tried[what] ?? 0) + n);

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  h = await startPaymentsHarness(tdb, { platform: 'v2', env: { RATE_LIMIT_RECHARGE: '0' } });
});
afterAll(async () => {
  console.log(`attack: webhook attempts ${JSON.stringify(tried)}`);
  await h?.close();
  await tdb?.drop();
});

let keySeq = 0;
async function newRecharge() {
  const user = await createWpUser(tdb.db);
  const res = await h.call('POST', '/api/recharges', {
    token: await mintToken(user),
    body: { coins: 100, method: 'USDT', network: 'USDT.TRC20' },
    headers: { 'Idempotency-Key': `webhook-attack-${keySeq++}` },
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { id: number; payment: { txn_id: string } };
  return { user, id: json.id, txnId: json.payment.txn_id, invoiceId: `${SIM_V2_PREFIX}-${json.id}` };
}

const webhookUrl = () => `${h.url}/webhooks/coinpayments`;

async function send(body: string, headers: Record<string, string>) {
  const res = await h.call('POST', '/webhooks/coinpayments', { body, headers });
  return { status: res.status, json: (await res.json()) as { verdict?: string; error?: { code: string } } };
}

/** The same body, signed as CoinPayments would sign it now (or with the options an attacker controls). */
const signedSend = (body: string, sign: Parameters<PaymentsHarness['simV2']['signWebhook']>[2] = {}) => send(body, h.simV2.signWebhook(webhookUrl(), body, sign));

async function credited(r: { user: number; id: number }) {
  const row = await tdb.db.selectFrom('recharge_transactions').select(['status', 'coins_credited']).where('id', '=', r.id).executeTakeFirstOrThrow();
  return { status: row.status, coins: row.coins_credited, balance: await readBalance(tdb.db, r.user) };
}
const NOTHING = { status: 'pending', coins: 0, balance: 0 };

/** A paid event as the simulator built it for this invoice, parsed, so a test can change one field and sign it again. */
function paidEvent(txnId: string): { id: string; type: string; invoice: Record<string, unknown> } {
  const events = h.simV2.invoice(txnId)!.events;
  const paid = events.find((e) => e.type === 'invoicePaid');
  return JSON.parse(paid?.body ?? events.at(-1)!.body) as { id: string; type: string; invoice: Record<string, unknown> };
}

describe('webhook signatures', () => {
  it('never credits or fails with a 5xx on random unsigned or badly signed deliveries (property)', async () => {
    // Paid at CoinPayments with every webhook lost: only a forged delivery could credit it now, and none may.
    const r = await newRecharge();
    await h.simV2.pay(r.txnId, { drop: true });
    const genuine = JSON.stringify(paidEvent(r.txnId));
    const body = fc.oneof(fc.constant(genuine), fc.string({ maxLength: 300 }), fc.json({ maxDepth: 3 }));
    const headerValue = fc.oneof(fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.base64String({ minLength: 44, maxLength: 44 }));
    const headers = fc.record(
      {
        'X-CoinPayments-Client': fc.oneof(fc.constant(SIM_V2_KEYS.clientId), headerValue),
        'X-CoinPayments-Timestamp': fc.oneof(fc.constant(new Date().toISOString().slice(0, 19)), headerValue),
        'X-CoinPayments-Signature': headerValue,
        'Content-Type': fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, headers, async (b, hs) => {
        const res = await send(b, hs);
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        expect(res.json.error?.code).toMatch(/^[a-z_]+$/);
        count('random unsigned');
      }),
      { numRuns: 200 },
    );
    expect(await credited(r)).toEqual(NOTHING);
  });

  it('refuses a delivery signed with a key near ours: the client id, a truncated secret, another URL, another method', async () => {
    const r = await newRecharge();
    await h.simV2.pay(r.txnId, { drop: true });
    const body = JSON.stringify(paidEvent(r.txnId));
    const near = [
      { secret: SIM_V2_KEYS.clientId },
      { secret: SIM_V2_KEYS.clientSecret.slice(0, -1) },
      { secret: `${SIM_V2_KEYS.clientSecret} ` },
      { secret: SIM_V2_KEYS.clientSecret.toUpperCase() },
    ];
    for (const sign of near) expect((await signedSend(body, sign)).json.error?.code).toBe('bad_signature');
    // Signed over another URL than the one registered on the invoice: the signature covers the URL too.
    const elsewhere = h.simV2.signWebhook(`${h.url}/webhooks/coinpayments/`, body);
    expect((await send(body, elsewhere)).json.error?.code).toBe('bad_signature');
    // The body changed by one byte after signing (a space the JSON parser would not mind).
    const headers = h.simV2.signWebhook(webhookUrl(), body);
    expect((await send(`${body} `, headers)).json.error?.code).toBe('bad_signature');
    count('near key', near.length + 2);
    expect(await credited(r)).toEqual(NOTHING);
  });
});

describe('genuinely signed deliveries that must still credit nothing', () => {
  it('never credits a recharge the API says is unpaid, whatever a signed delivery claims about it (property)', async () => {
    const r = await newRecharge();
    const other = await newRecharge();
    // Real events exist for `other` (paid, webhooks lost); `r` is unpaid at CoinPayments.
    await h.simV2.pay(other.txnId, { drop: true });
    const template = paidEvent(other.txnId);
    const invoiceField = fc.oneof(
      fc.record({ field: fc.constant('id'), value: fc.constantFrom(r.txnId, other.txnId, '', 'X'.repeat(129), `${r.txnId}'--`, r.txnId.toLowerCase()) }),
      fc.record({ field: fc.constant('invoiceId'), value: fc.constantFrom(r.invoiceId, other.invoiceId, `gc-other-site-${r.id}`, `${SIM_V2_PREFIX}-0`, `${SIM_V2_PREFIX}-${r.id}x`, `${SIM_V2_PREFIX}--${r.id}`, '', 42) }),
      fc.record({ field: fc.constant('state'), value: fc.constantFrom('paid', 'completed', 'PAID', 'unknown') }),
      fc.record({ field: fc.constant('payments'), value: fc.constantFrom([], [{ actualAmount: { value: '999999999', currencyId: '9:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' } }], 'all of it') }),
      fc.record({ field: fc.constant('amount'), value: fc.constantFrom({ total: '999999.00' }, { total: 1e9 }, null) }),
    );
    const type = fc.constantFrom('invoicePaid', 'invoiceCompleted', 'InvoicePaid', 'invoicePaid ', 'paymentCreated', '');
    await fc.assert(
      fc.asyncProperty(fc.array(invoiceField, { minLength: 1, maxLength: 3 }), type, async (changes, t) => {
        // Aimed at `r`: its invoice and its recharge named, plus whatever else the attacker changed.
        const invoice: Record<string, unknown> = { ...template.invoice, id: r.txnId, invoiceId: r.invoiceId };
        for (const c of changes) invoice[c.field] = c.value;
        const res = await signedSend(JSON.stringify({ ...template, id: `evt-attack-${keySeq++}`, type: t, invoice }));
        expect(res.status).toBeLessThan(500);
        count('signed, aimed at an unpaid invoice');
      }),
      { numRuns: 150 },
    );
    expect(await credited(r)).toEqual(NOTHING);
    // `other` is paid at CoinPayments: a signed delivery naming it may credit it, once, at its own price.
    const o = await credited(other);
    expect(o.status === 'pending' || (o.status === 'completed' && o.coins === 100)).toBe(true);
    expect((await checkInvariants(tdb.db, [r.user, other.user])).problems).toEqual([]);
  });

  it("credits only the recharge whose invoice CoinPayments confirms, whichever recharge the delivery names", async () => {
    const a = await newRecharge();
    const b = await newRecharge();
    await h.simV2.pay(a.txnId, { drop: true });
    // A's genuine event rewritten to name B's invoice id: B's row does not have A's invoice, so it is refused.
    const event = paidEvent(a.txnId);
    const res = await signedSend(JSON.stringify({ ...event, invoice: { ...event.invoice, invoiceId: b.invoiceId } }));
    expect([res.status, res.json.error?.code]).toEqual([422, 'unknown_invoice']);
    expect(await credited(a)).toEqual(NOTHING);
    expect(await credited(b)).toEqual(NOTHING);
    // The genuine event, unchanged, credits A alone.
    expect((await signedSend(JSON.stringify(event))).status).toBe(200);
    expect((await credited(a)).status).toBe('completed');
    expect(await credited(b)).toEqual(NOTHING);
    count('cross-recharge reference', 2);
  });

  it('credits once for replays: the same signed bytes 30 times at once, then 30 re-signed copies with fresh event ids', async () => {
    const r = await newRecharge();
    await h.simV2.pay(r.txnId, { drop: true });
    const body = JSON.stringify(paidEvent(r.txnId));
    const headers = h.simV2.signWebhook(webhookUrl(), body);
    const first = await Promise.all(Array.from({ length: 30 }, () => send(body, headers)));
    expect(first.every((x) => x.status === 200)).toBe(true);
    const after = await credited(r);
    expect(after).toMatchObject({ status: 'completed', coins: 100 });
    const event = paidEvent(r.txnId);
    for (let i = 0; i < 30; i++) expect((await signedSend(JSON.stringify({ ...event, id: `replay-${i}` }))).status).toBe(200);
    // Late pending, cancelled and timed-out events for the same invoice never move it back.
    for (const type of ['invoicePending', 'invoiceCancelled', 'invoiceTimedOut']) {
      expect((await signedSend(JSON.stringify({ ...event, id: `late-${type}`, type }))).status).toBe(200);
    }
    expect(await credited(r)).toEqual(after);
    const rows = await tdb.db.selectFrom('coin_ledger').select('id').where('user_id', '=', r.user).where('kind', '=', 'recharge').execute();
    expect(rows).toHaveLength(1);
    count('replay', 63);
  });
});

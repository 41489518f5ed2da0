// IPN attacks beyond tests/integration/ipn.test.ts: key confusion, guard fields corrupted in correctly signed
// IPNs (property), random unsigned bodies (property), replays with fresh ipn_ids, cross-recharge references,
// ambiguous duplicate fields and odd encodings. None credits a coin; none is a 5xx.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { hmacSha512Hex, phpFormBody } from '../../sidecar/src/payments/coinpayments/signing.js';
import type { IpnMessage } from '../../simulators/coinpayments-legacy/simulator.js';
import { mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { SIM_KEYS, startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';

let tdb: TestDatabase;
let h: PaymentsHarness;
const tried: Record<string, number> = {};
const count = (what: string, n = 1) => (tried[what] = (tried[what] ?? 0) + n);

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  h = await startPaymentsHarness(tdb, { env: { RATE_LIMIT_RECHARGE: '0' } });
});
afterAll(async () => {
  console.log(`attack: IPN attempts ${JSON.stringify(tried)}`);
  await h?.close();
  await tdb?.drop();
});

let keySeq = 0;
async function newRecharge() {
  const user = await createWpUser(tdb.db);
  const res = await h.call('POST', '/api/recharges', {
    token: await mintToken(user),
    body: { coins: 100, method: 'USDT', network: 'USDT.TRC20' },
    headers: { 'Idempotency-Key': `ipn-attack-${keySeq++}` },
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { id: number; payment: { txn_id: string } };
  return { user, id: json.id, txnId: json.payment.txn_id };
}

/** Fields of the IPN the simulator would send now for a paid transaction. */
function fieldsOf(m: IpnMessage): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(m.body));
}

function signed(fields: Record<string, string>, secret = SIM_KEYS.ipnSecret): IpnMessage {
  const body = phpFormBody(fields);
  return { status: Number(fields['status'] ?? 0), body, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', HMAC: hmacSha512Hex(secret, body) } };
}

async function send(m: { body: string | Uint8Array; headers: Record<string, string> }) {
  const body = typeof m.body === 'string' ? m.body : Buffer.from(m.body);
  const res = await h.app.request('/ipn/coinpayments', { method: 'POST', headers: m.headers, body });
  return { status: res.status, text: await res.text() };
}

async function credited(r: { user: number; id: number }) {
  const row = await tdb.db.selectFrom('recharge_transactions').select(['status', 'coins_credited']).where('id', '=', r.id).executeTakeFirstOrThrow();
  return { status: row.status, coins: row.coins_credited, balance: await readBalance(tdb.db, r.user) };
}

const NOTHING = { status: 'pending', coins: 0, balance: 0 };

describe('IPN signatures', () => {
  it('refuses IPNs signed with the wrong key or algorithm (private key, public key, merchant id, SHA-256, SHA-512 base64, truncated)', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { drop: true });
    const good = h.sim.buildIpn(r.txnId);
    const hmacs: Record<string, string> = {
      'API private key': hmacSha512Hex(SIM_KEYS.privateKey, good.body),
      'API public key': hmacSha512Hex(SIM_KEYS.publicKey, good.body),
      'merchant id as key': hmacSha512Hex(SIM_KEYS.merchantId, good.body),
      'HMAC-SHA256': createHmac('sha256', SIM_KEYS.ipnSecret).update(good.body).digest('hex'),
      'HMAC-SHA512 in base64': createHmac('sha512', SIM_KEYS.ipnSecret).update(good.body).digest('base64'),
      truncated: good.headers['HMAC']!.slice(0, 64),
      'with a trailing byte': `${good.headers['HMAC']}00`,
      'plain SHA-512 of the body': createHmac('sha512', '').update(good.body).digest('hex'),
      'of the body without its last field': hmacSha512Hex(SIM_KEYS.ipnSecret, good.body.split('&').slice(0, -1).join('&')),
    };
    for (const [name, hmac] of Object.entries(hmacs)) {
      const res = await send({ body: good.body, headers: { ...good.headers, HMAC: hmac } });
      expect(res.status, name).toBe(401);
      expect(res.text).toMatch(/^IPN rejected: bad_hmac$/);
      count('wrong key or algorithm');
    }
    expect(await credited(r)).toEqual(NOTHING);
    // The genuine one still works afterwards: refusals left no state behind.
    expect((await send(good)).status).toBe(200);
    expect((await credited(r)).status).toBe('completed');
  });

  it('never credits or fails with a 5xx on random unsigned or badly signed form bodies (property)', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { drop: true });
    const genuine = fieldsOf(h.sim.buildIpn(r.txnId));
    const key = fc.oneof(fc.constantFrom(...Object.keys(genuine)), fc.string({ maxLength: 12 }));
    const value = fc.oneof(fc.constantFrom(...Object.values(genuine), 'hmac', 'api', '100', '-1', '1e309', 'NaN', "' OR 1=1 --"), fc.string({ maxLength: 30 }));
    const body = fc.oneof(
      fc.dictionary(key, value, { maxKeys: 25 }).map((d) => phpFormBody({ ...genuine, ...d })),
      fc.dictionary(key, value, { maxKeys: 25 }).map((d) => new URLSearchParams(d).toString()),
      fc.string({ maxLength: 300 }),
    );
    const hmac = fc.oneof(fc.constant(undefined), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 128, maxLength: 128 }), fc.string({ maxLength: 140 }).filter((s) => /^[\x20-\x7e]*$/.test(s)));
    await fc.assert(
      fc.asyncProperty(body, hmac, async (b, sig) => {
        const res = await send({ body: b, headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(sig === undefined ? {} : { HMAC: sig }) } });
        expect([400, 401, 403]).toContain(res.status);
        expect(res.text).toMatch(/^IPN rejected: [a-z0-9_]+$/);
        count('random unsigned');
      }),
      { numRuns: 300 },
    );
    expect(await credited(r)).toEqual(NOTHING);
  });
});

describe('correctly signed IPNs that must still be refused (COINPAYMENTS.md §5 checklist)', () => {
  it('never completes a recharge when a guard field is wrong, whatever else the IPN says (property)', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { drop: true });
    const genuine = fieldsOf(h.sim.buildIpn(r.txnId));
    const amount1 = Number(genuine['amount1']);
    const corruption = fc.oneof(
      fc.record({ field: fc.constant('merchant'), value: fc.constantFrom('', 'another_merchant', `${SIM_KEYS.merchantId} `, SIM_KEYS.merchantId.toUpperCase()) }),
      fc.record({ field: fc.constant('ipn_mode'), value: fc.constantFrom('httpauth', 'HMAC', '', 'hmac ') }),
      fc.record({ field: fc.constant('ipn_type'), value: fc.constantFrom('button', 'simple', 'cart', 'donation', 'deposit', 'withdrawal', 'API', '') }),
      fc.record({ field: fc.constant('currency1'), value: fc.constantFrom('USD', 'LTCT', 'BTC', '', 'CNY2') }),
      fc.record({ field: fc.constant('amount1'), value: fc.constantFrom(String(amount1 - 0.01), '0', '-100', '1.0E-5', '', 'abc', String(amount1 / 10)) }),
      fc.record({ field: fc.constant('currency2'), value: fc.constantFrom('LTCT', 'USDT', 'USDT.ERC20', 'XRP', 'DOGE', '') }),
      fc.record({ field: fc.constant('txn_id'), value: fc.constantFrom('', `${r.txnId}x`, r.txnId.toLowerCase(), `${r.txnId};`, "' OR '1'='1", 'x'.repeat(129)) }),
      fc.record({ field: fc.constant('status'), value: fc.constantFrom('', 'abc', '100.0', '1e2', '99999', '0x64', ' 100') }),
    );
    const noise = fc.dictionary(fc.constantFrom('invoice', 'custom', 'item_number', 'status_text', 'ipn_id', 'email', 'received_amount', 'send_tx'), fc.string({ maxLength: 20 }), { maxKeys: 4 });
    await fc.assert(
      fc.asyncProperty(corruption, noise, fc.boolean(), async (c, extra, dropField) => {
        const fields: Record<string, string> = { ...genuine, ...extra, ipn_id: Math.random().toString(16).slice(2) };
        if (dropField) delete fields[c.field];
        else fields[c.field] = c.value;
        // A status that still parses as paid is the point of the txn/guard checks; statuses that do not parse must be refused.
        const res = await send(signed(fields));
        expect([400, 401, 403]).toContain(res.status);
        count('signed with a wrong guard field');
      }),
      { numRuns: 200 },
    );
    expect(await credited(r)).toEqual(NOTHING);
  });

  it('does not match a txn_id in another letter case (the column collation must not make it case-insensitive)', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { drop: true });
    const fields = { ...fieldsOf(h.sim.buildIpn(r.txnId)), txn_id: r.txnId.toLowerCase() };
    const res = await send(signed(fields));
    expect(res.text).toBe('IPN rejected: unknown_txn');
    expect(await credited(r)).toEqual(NOTHING);
    count('txn_id in another case');
  });

  it("completes only the recharge whose txn_id the IPN names, whatever invoice or custom claims", async () => {
    const a = await newRecharge();
    const b = await newRecharge();
    await h.sim.pay(a.txnId, { drop: true });
    const fields = { ...fieldsOf(h.sim.buildIpn(a.txnId)), invoice: String(b.id), custom: String(b.id), item_number: String(b.id) };
    expect((await send(signed(fields))).status).toBe(200);
    expect((await credited(a)).status).toBe('completed');
    expect(await credited(b)).toEqual(NOTHING);
    count('cross-recharge reference');
  });

  it('credits once for replays: the same bytes 30 times at once, and 30 re-signed copies with fresh ipn_ids afterwards', async () => {
    const r = await newRecharge();
    await h.sim.pay(r.txnId, { drop: true });
    const m = h.sim.buildIpn(r.txnId);
    const first = await Promise.all(Array.from({ length: 30 }, () => send(m)));
    expect(first.every((x) => x.status === 200)).toBe(true);
    const after = await credited(r);
    expect(after.status).toBe('completed');
    for (let i = 0; i < 30; i++) {
      const fields = { ...fieldsOf(m), ipn_id: `replay-${i}`, send_tx: `tx-${i}`, received_amount: String(Number(fieldsOf(m)['received_amount']) * 2) };
      expect((await send(signed(fields))).status).toBe(200);
    }
    // A late failure or pending status for the same txn never moves it back.
    for (const status of ['-1', '0', '1', '-2']) expect((await send(signed({ ...fieldsOf(m), ipn_id: `late-${status}`, status }))).status).toBe(200);
    expect(await credited(r)).toEqual(after);
    const rows = await tdb.db.selectFrom('coin_ledger').select('id').where('user_id', '=', r.user).where('kind', '=', 'recharge').execute();
    expect(rows).toHaveLength(1);
    count('replay', 64);
  });

  it('treats ambiguous bodies (a field given twice, odd encodings, invalid UTF-8, JSON) consistently and never credits a pending payment by them', async () => {
    const r = await newRecharge();
    const pending = fieldsOf(h.sim.buildIpn(r.txnId, { status: 0 }));
    const base = phpFormBody(pending);
    const bodies: Array<string | Uint8Array> = [
      // The first value is the one read: a "status=100" after it must not count.
      `${base}&status=100`,
      base.replace('status=0', 'status=0&status=100'),
      base.replace('status=0', 'status=100%00'),
      base.replace('status=0', 'status=+100'),
      new Uint8Array([...Buffer.from(base.replace('status=0', 'status=')), 0xff, 0xfe, 0x31, 0x30, 0x30]),
      JSON.stringify({ ...pending, status: '100' }),
    ];
    for (const b of bodies) {
      const hmac = hmacSha512Hex(SIM_KEYS.ipnSecret, typeof b === 'string' ? b : Buffer.from(b));
      const res = await send({ body: b, headers: { 'Content-Type': 'application/x-www-form-urlencoded', HMAC: hmac } });
      expect(res.status).toBeLessThan(500);
      count('ambiguous body');
    }
    expect(await credited(r)).toEqual(NOTHING);
    expect((await checkInvariants(tdb.db)).problems).toEqual([]);
  });
});

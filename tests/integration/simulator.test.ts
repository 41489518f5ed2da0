// The CoinPayments simulator speaks api.php faithfully (HMAC, nonces, envelopes, statuses, rates) and
// delivers signed IPNs with retries; the client handles its envelopes. No database needed.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoinPaymentsClient, CoinPaymentsError, encodeForm } from '../../sidecar/src/payments/coinpayments/client.js';
import { hmacSha512Hex, verifyHmac } from '../../sidecar/src/payments/coinpayments/signing.js';
import { startSimulator, type Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { SIM_KEYS } from '../support/payments.js';

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

/** A stand-in IPN receiver that fails its first `failFirst` deliveries. */
async function receiver(failFirst = 0) {
  const got: Received[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      if (failures > 0) {
        failures--;
        res.writeHead(503).end('busy');
      } else res.writeHead(200).end('IPN OK');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ipn`, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let sim: Simulator;
let client: CoinPaymentsClient;
/** The IPN URL is the client's: one client per receiver, each keeping its own increasing nonces. */
const clients = new Map<string, CoinPaymentsClient>();
function clientFor(ipnUrl: string): CoinPaymentsClient {
  let c = clients.get(ipnUrl);
  if (!c) {
    c = new CoinPaymentsClient({ apiUrl: sim.apiUrl, publicKey: SIM_KEYS.publicKey, privateKey: SIM_KEYS.privateKey, timeoutMs: 3_000, merchantId: SIM_KEYS.merchantId, ipnUrl });
    clients.set(ipnUrl, c);
  }
  return c;
}
beforeAll(async () => {
  sim = await startSimulator({ ...SIM_KEYS, ipnMaxAttempts: 4, ipnRetryDelayMs: 10 });
  client = clientFor('http://127.0.0.1:9/ipn');
});
afterAll(async () => sim?.close());

/** Hand-made calls use their own simulator: the nonces they burn would block the shared client's. */
let rawSim: Simulator;
beforeAll(async () => {
  rawSim = await startSimulator(SIM_KEYS);
});
afterAll(async () => rawSim?.close());

async function rawCall(fields: Record<string, string>, key = SIM_KEYS.privateKey, hmac?: string) {
  return rawCallTo(rawSim, fields, key, hmac);
}

async function rawCallTo(target: Simulator, fields: Record<string, string>, key = SIM_KEYS.privateKey, hmac?: string) {
  const body = encodeForm(fields);
  const res = await fetch(target.apiUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', HMAC: hmac ?? hmacSha512Hex(key, body) },
    body,
  });
  return (await res.json()) as { error: string; result: unknown };
}
const base = { version: '1', key: SIM_KEYS.publicKey, format: 'json' };

async function createTx(ipnUrl: string, amount = '52.00') {
  const r = await clientFor(ipnUrl).createPayment({
    rechargeId: 7,
    priceAmount: amount,
    priceCurrency: 'CNY',
    payCurrency: 'USDT.TRC20',
    buyerEmail: 'buyer@example.test',
    buyerName: 'A Buyer',
    itemName: '52 gold coins',
  });
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

describe('simulated api.php', () => {
  it('creates a transaction with the real result fields', async () => {
    const tx = await createTx('http://127.0.0.1:9/ipn');
    expect(tx).toMatchObject({ amount: '7.28000000', payCurrency: 'USDT.TRC20', destTag: null, confirmsNeeded: 20, timeoutS: 5400 });
    expect(tx.txnId).toMatch(/^CP[A-Z0-9]{24}$/);
    expect(sim.transaction(tx.txnId)).toMatchObject({ status: 0, invoice: '7', custom: '7', buyerEmail: 'buyer@example.test' });
    const info = (await client.fetchStatuses([tx.txnId, 'CPUNKNOWN']));
    expect(info.ok && [...info.value.values()]).toEqual([{ txnId: tx.txnId, kind: 'pending', progress: 0, statusText: 'Waiting for buyer funds...', receivedAmount: '0.00000000', payCurrency: 'USDT.TRC20' }]);
  });

  it('answers errors in the envelope with HTTP 200: bad HMAC, wrong key, no HMAC, bad version, unknown command', async () => {
    const fields = { ...base, cmd: 'get_basic_info', nonce: String(Date.now() * 10_000) };
    expect(await rawCall(fields, 'wrong-private-key')).toEqual({ error: 'HMAC signature does not match', result: [] });
    expect((await rawCall({ ...fields, key: 'other' })).error).toBe('Invalid API public key passed');
    expect((await rawCall(fields, undefined, '')).error).toBe('No HMAC signature sent.');
    expect((await rawCall({ ...fields, version: '2' })).error).toMatch(/version/);
    expect((await rawCall({ ...fields, cmd: 'nope', nonce: String(Date.now() * 10_000 + 1) })).error).toBe('Unknown command');
  });

  it('enforces strictly increasing nonces once one has been used', async () => {
    const n = BigInt(Date.now()) * 100_000n;
    expect((await rawCall({ ...base, cmd: 'get_basic_info', nonce: String(n) })).error).toBe('ok');
    expect((await rawCall({ ...base, cmd: 'get_basic_info', nonce: String(n) })).error).toMatch(/Nonce/);
    expect((await rawCall({ ...base, cmd: 'get_basic_info' })).error).toMatch(/Nonce required/);
    expect((await rawCall({ ...base, cmd: 'get_basic_info', nonce: String(n + 1n) })).error).toBe('ok');
  });

  it('retries create_transaction once when another instance sharing the key used a later nonce', async () => {
    const fresh = await startSimulator(SIM_KEYS);
    try {
      const opts = { apiUrl: fresh.apiUrl, publicKey: SIM_KEYS.publicKey, privateKey: SIM_KEYS.privateKey, timeoutMs: 3_000, merchantId: SIM_KEYS.merchantId, ipnUrl: '' };
      const mine = new CoinPaymentsClient(opts);
      // The other instance's clock runs 100 ms ahead of ours: our first nonce is refused.
      const other = new CoinPaymentsClient({ ...opts, now: () => Date.now() + 100 });
      await other.basicInfo();
      const refused = await rawCallTo(fresh, { ...base, cmd: 'get_basic_info', nonce: String(BigInt(Date.now()) * 1000n) });
      expect(refused.error).toMatch(/Nonce/);
      const r = await mine.createPayment({ rechargeId: 1, priceAmount: '22.00', priceCurrency: 'CNY', payCurrency: 'BTC', buyerEmail: 'b@example.test', buyerName: '', itemName: 'x' });
      expect(r.ok).toBe(true);
      expect(fresh.transactions()).toHaveLength(1);
    } finally {
      await fresh.close();
    }
  });

  it('limits get_tx_info_multi to 25 ids; the client refuses more up front', async () => {
    const ids = Array.from({ length: 26 }, (_, i) => `CP${i}`).join('|');
    const r = await rawCall({ ...base, cmd: 'get_tx_info_multi', txid: ids, nonce: String(BigInt(Date.now()) * 1_000_000n) });
    expect(r.error).toMatch(/25/);
    await expect(client.fetchStatuses(Array.from({ length: 26 }, (_, i) => `CP${i}`))).rejects.toThrow(RangeError);
  });

  it('serves rates (fiat flags, rate_btc strings) and get_basic_info', async () => {
    const rates = await client.rates();
    expect(rates['CNY']).toMatchObject({ is_fiat: 1, status: 'online' });
    expect(rates['USDT.TRC20']).toMatchObject({ is_fiat: 0, rate_btc: '0.00001', name: 'Tether USD (Tron/TRC20)' });
    expect(typeof rates['BTC']!.rate_btc).toBe('string');
    expect(await client.basicInfo()).toMatchObject({ merchant_id: SIM_KEYS.merchantId });
    expect(await client.usdRate('CNY')).toBe('0.14000000');
    expect(await client.usdRate('EUR')).toBe('1.08000000');
    expect(await client.usdRate('NOPE')).toBeNull();
    const down = new CoinPaymentsClient({ apiUrl: 'http://127.0.0.1:9/api.php', publicKey: 'k', privateKey: 'p', timeoutMs: 300, merchantId: 'm', ipnUrl: '' });
    expect(await down.usdRate('CNY')).toBeNull();
  });

  it('gives a tag coin a dest_tag and rejects fiat as currency2', async () => {
    const r = await client.createPayment({ rechargeId: 8, priceAmount: '10.00', priceCurrency: 'USD', payCurrency: 'XRP', buyerEmail: 'b@example.test', buyerName: '', itemName: 'x' });
    expect(r.ok && r.value.destTag).toMatch(/^\d+$/);
    const fiat = await client.createPayment({ rechargeId: 9, priceAmount: '10.00', priceCurrency: 'USD', payCurrency: 'EUR', buyerEmail: 'b@example.test', buyerName: '', itemName: 'x' });
    expect(fiat).toEqual({ ok: false, code: 'provider_error', message: 'create_transaction: Invalid currency2' });
  });

  it('maps an unreachable endpoint to provider_unavailable', async () => {
    const down = new CoinPaymentsClient({ apiUrl: 'http://127.0.0.1:9/api.php', publicKey: 'k', privateKey: 'p', timeoutMs: 500, merchantId: 'm', ipnUrl: '' });
    await expect(down.call('get_basic_info', {})).rejects.toMatchObject({ code: 'provider_unavailable' });
    await expect(down.call('get_basic_info', {})).rejects.toBeInstanceOf(CoinPaymentsError);
  });
});

describe('simulated IPN delivery', () => {
  it('sends PHP-encoded, alphabetically ordered, HMAC-signed IPNs with the IPN generator user agent', async () => {
    const rx = await receiver();
    try {
      const tx = await createTx(rx.url);
      await sim.pay(tx.txnId, { underpayPercent: 50 });
      expect(rx.got).toHaveLength(1);
      const { body, headers } = rx.got[0]!;
      expect(headers['user-agent']).toBe('CoinPayments.net IPN Generator');
      expect(headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
      expect(verifyHmac(SIM_KEYS.ipnSecret, body, headers['hmac'] as string)).toBe(true);
      const keys = body.split('&').map((kv) => kv.split('=')[0]!);
      expect(keys).toEqual([...keys].sort());
      const f = new URLSearchParams(body);
      expect(Object.fromEntries(['ipn_version', 'ipn_mode', 'ipn_type', 'merchant', 'status', 'status_text', 'currency1', 'currency2', 'amount1', 'amount2', 'received_amount', 'invoice', 'email'].map((k) => [k, f.get(k)]))).toEqual({
        ipn_version: '1.0',
        ipn_mode: 'hmac',
        ipn_type: 'api',
        merchant: SIM_KEYS.merchantId,
        status: '100',
        status_text: 'Complete',
        currency1: 'CNY',
        currency2: 'USDT.TRC20',
        amount1: '52',
        amount2: '7.28',
        received_amount: '3.64',
        invoice: '7',
        email: 'buyer@example.test',
      });
      expect(body).toContain('email=buyer%40example.test');
      expect(body).toContain('buyer_name=A+Buyer');
      expect(f.get('send_tx')).toMatch(/^[a-f0-9]{64}$/);
    } finally {
      await rx.close();
    }
  });

  it('retries a delivery answered non-2xx, with the same ipn_id and identical body', async () => {
    const rx = await receiver(2);
    try {
      const tx = await createTx(rx.url);
      const [d] = await sim.pay(tx.txnId);
      expect([d!.attempts, d!.httpStatus]).toEqual([3, 200]);
      expect(rx.got).toHaveLength(3);
      expect(new Set(rx.got.map((g) => g.body)).size).toBe(1);
    } finally {
      await rx.close();
    }
  });

  it('duplicates, drops and sends a status-0 IPN before payment when asked', async () => {
    const rx = await receiver();
    try {
      const tx = await createTx(rx.url);
      await sim.pay(tx.txnId, { pendingFirst: true, duplicate: 3 });
      const statuses = rx.got.map((g) => new URLSearchParams(g.body).get('status'));
      expect(statuses).toEqual(['0', '0', '0', '1', '1', '1', '100', '100', '100']);
      const dropped = await createTx(rx.url);
      expect(await sim.pay(dropped.txnId, { drop: true })).toEqual([]);
      expect(rx.got).toHaveLength(9);
      expect(sim.transaction(dropped.txnId)!.status).toBe(100);
    } finally {
      await rx.close();
    }
  });

  it('lets a payment time out and then complete late (status -1, then 100)', async () => {
    const rx = await receiver();
    try {
      const tx = await createTx(rx.url);
      await sim.pay(tx.txnId, { late: true });
      expect(rx.got.map((g) => new URLSearchParams(g.body).get('status'))).toEqual(['-1', '100']);
    } finally {
      await rx.close();
    }
  });

  it('offers the HTTP control API used by the demo and browser tests', async () => {
    const rx = await receiver();
    try {
      const tx = await createTx(rx.url);
      const list = (await (await fetch(`${sim.url}/_sim/transactions`)).json()) as { transactions: Array<{ txnId: string }> };
      expect(list.transactions.some((t) => t.txnId === tx.txnId)).toBe(true);
      const paid = await fetch(`${sim.url}/_sim/transactions/${tx.txnId}/pay`, { method: 'POST', body: JSON.stringify({ underpayPercent: 10 }) });
      expect(paid.status).toBe(202);
      const deadline = Date.now() + 5_000;
      while (rx.got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(new URLSearchParams(rx.got[0]!.body).get('received_amount')).toBe('6.552');
      const other = await createTx(rx.url);
      expect((await fetch(`${sim.url}/_sim/transactions/${other.txnId}/expire`, { method: 'POST' })).status).toBe(202);
      expect(sim.transaction(other.txnId)!.status).toBe(-1);
      expect((await fetch(`${sim.url}/_sim/transactions/CPNONE/pay`, { method: 'POST' })).status).toBe(404);
    } finally {
      await rx.close();
    }
  });
});

describe('npm run simulator', () => {
  it('starts alone from the environment, prints its URLs, and autopays new transactions when asked', async () => {
    const rx = await receiver();
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/simulator.ts'], {
      env: { ...process.env, ...Object.fromEntries(Object.entries({ COINPAYMENTS_PUBLIC_KEY: SIM_KEYS.publicKey, COINPAYMENTS_PRIVATE_KEY: SIM_KEYS.privateKey, COINPAYMENTS_MERCHANT_ID: SIM_KEYS.merchantId, COINPAYMENTS_IPN_SECRET: SIM_KEYS.ipnSecret })), SIM_PORT: '0', SIM_AUTOPAY_AFTER_S: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 15_000);
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(out).toContain(`${url}/api.php`);
      const standalone = new CoinPaymentsClient({ apiUrl: `${url}/api.php`, publicKey: SIM_KEYS.publicKey, privateKey: SIM_KEYS.privateKey, timeoutMs: 3_000, merchantId: SIM_KEYS.merchantId, ipnUrl: rx.url });
      const r = await standalone.createPayment({ rechargeId: 3, priceAmount: '22.00', priceCurrency: 'CNY', payCurrency: 'USDT.TRC20', buyerEmail: 'b@example.test', buyerName: '', itemName: 'x' });
      expect(r.ok).toBe(true);
      const deadline = Date.now() + 10_000;
      while (rx.got.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      expect(new URLSearchParams(rx.got[0]!.body).get('status')).toBe('100');
    } finally {
      const exited = new Promise((res) => (child.exitCode !== null ? res(null) : child.once('exit', res)));
      child.kill('SIGTERM');
      await exited;
      await rx.close();
    }
  });
});

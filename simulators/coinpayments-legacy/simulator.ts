// A protocol-faithful CoinPayments stand-in: api.php over HTTP (HMAC, nonces, envelopes, statuses, rates)
// and signed IPN delivery with retries, plus controls for tests and the demo (pay, underpay, expire, ...).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatDecimal, parseDecimal } from '../../sidecar/src/payments/decimal.js';
import { hmacSha512Hex, phpFormBody, verifyHmac } from '../../sidecar/src/payments/coinpayments/signing.js';

const MAX_BODY_BYTES = 65_536;
const MAX_MULTI = 25;
const DEFAULT_TIMEOUT_S = 5_400;
const IPN_TIMEOUT_MS = 10_000;
const SCALE = 18;

/** Value of one unit in BTC, as the `rates` command reports it. LTCT is the worthless testnet coin. */
const RATES: Record<string, { name: string; rateBtc: string; isFiat: 0 | 1; confirms: number; tag?: true }> = {
  BTC: { name: 'Bitcoin', rateBtc: '1', isFiat: 0, confirms: 2 },
  LTC: { name: 'Litecoin', rateBtc: '0.001', isFiat: 0, confirms: 3 },
  ETH: { name: 'Ether', rateBtc: '0.03', isFiat: 0, confirms: 3 },
  XRP: { name: 'Ripple', rateBtc: '0.000006', isFiat: 0, confirms: 1, tag: true },
  USDT: { name: 'Tether USD (Omni Layer)', rateBtc: '0.00001', isFiat: 0, confirms: 2 },
  'USDT.TRC20': { name: 'Tether USD (Tron/TRC20)', rateBtc: '0.00001', isFiat: 0, confirms: 20 },
  'USDT.ERC20': { name: 'Tether USD (ERC20)', rateBtc: '0.00001', isFiat: 0, confirms: 12 },
  'USDT.BEP20': { name: 'Tether USD (BSC Chain)', rateBtc: '0.00001', isFiat: 0, confirms: 15 },
  'USDT.SOL': { name: 'Tether USD (Solana)', rateBtc: '0.00001', isFiat: 0, confirms: 1 },
  LTCT: { name: 'Litecoin Testnet', rateBtc: '0.001', isFiat: 0, confirms: 0 },
  USD: { name: 'United States Dollar', rateBtc: '0.00001', isFiat: 1, confirms: 0 },
  EUR: { name: 'Euro', rateBtc: '0.0000108', isFiat: 1, confirms: 0 },
  CNY: { name: 'Chinese Yuan', rateBtc: '0.0000014', isFiat: 1, confirms: 0 },
};

const STATUS_TEXT: Record<number, string> = {
  [-1]: 'Cancelled / Timed Out',
  0: 'Waiting for buyer funds...',
  1: 'We have confirmed coin reception from the buyer, waiting for confirms',
  2: 'Queued for nightly payout',
  100: 'Complete',
};

export interface SimulatorOptions {
  publicKey: string;
  privateKey: string;
  merchantId: string;
  ipnSecret: string;
  port?: number;
  host?: string;
  /** Seconds a new transaction waits for funds (create_transaction's `timeout`). */
  timeoutS?: number;
  /** Attempts per IPN while the receiver answers non-2xx (CoinPayments makes up to 10). */
  ipnMaxAttempts?: number;
  ipnRetryDelayMs?: number;
  now?: () => number;
}

export interface SimTransaction {
  txnId: string;
  currency1: string;
  currency2: string;
  amount1: string;
  amount2: string;
  address: string;
  destTag: string | null;
  buyerEmail: string;
  buyerName: string;
  itemName: string;
  itemNumber: string;
  invoice: string;
  custom: string;
  ipnUrl: string;
  status: number;
  statusText: string;
  received: string;
  confirms: number;
  createdAtS: number;
  expiresAtS: number;
  completedAtS: number;
}

export interface PayOptions {
  /** Exact amount that arrives, in currency2; default amount2 (paid in full). */
  received?: string;
  /** Shorthands: pay this percentage less / more than asked. */
  underpayPercent?: number;
  overpayPercent?: number;
  /** Final status sent (default 100; 2 also counts as paid). */
  status?: number;
  /** Send a status-0 and a status-1 IPN before the final one. */
  pendingFirst?: boolean;
  /** Deliver every IPN this many times, concurrently (default 1). */
  duplicate?: number;
  /** Deliver the IPNs (and their duplicates) in random order. */
  shuffle?: boolean;
  /** Change the state but deliver nothing: only the reconciler can see it. */
  drop?: boolean;
  /** Let the transaction time out first (status -1, IPN sent unless drop), then pay it. */
  late?: boolean;
}

export interface IpnMessage {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface DeliveryResult {
  status: number;
  httpStatus: number | null;
  attempts: number;
  answer: string;
}

export interface Simulator {
  url: string;
  apiUrl: string;
  pay(txnId: string, opts?: PayOptions): Promise<DeliveryResult[]>;
  expire(txnId: string, opts?: { drop?: boolean }): Promise<DeliveryResult[]>;
  /** get_tx_info_multi answers this error for the transaction (its own `error` field) until cleared with null. */
  failLookup(txnId: string, error: string | null): void;
  /** The IPN CoinPayments would send now for this transaction, optionally with fields changed. */
  buildIpn(txnId: string, opts?: { status?: number; fields?: Record<string, string | undefined>; secret?: string }): IpnMessage;
  /** Delivers messages to the transaction's ipn_url: each `duplicate` times, concurrently, optionally shuffled. */
  deliver(txnId: string, messages: IpnMessage[], opts?: { duplicate?: number; shuffle?: boolean }): Promise<DeliveryResult[]>;
  /** One POST, no retries: for forged or malformed IPNs in tests. */
  post(url: string, message: IpnMessage): Promise<{ httpStatus: number; answer: string }>;
  transactions(): SimTransaction[];
  transaction(txnId: string): SimTransaction | undefined;
  close(): Promise<void>;
}

type Envelope = { error: string; result: unknown };
const fail = (error: string): Envelope => ({ error, result: [] });

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const now = opts.now ?? Date.now;
  const nowS = () => Math.floor(now() / 1000);
  const txs = new Map<string, SimTransaction>();
  let lastNonce: bigint | null = null;
  const maxAttempts = opts.ipnMaxAttempts ?? 10;
  const retryDelayMs = opts.ipnRetryDelayMs ?? 1_000;
  const pending = new Set<Promise<unknown>>();
  const lookupErrors = new Map<string, string>();
  let base = '';

  function refresh(tx: SimTransaction): SimTransaction {
    if (tx.status === 0 && nowS() > tx.expiresAtS) setStatus(tx, -1);
    return tx;
  }
  function setStatus(tx: SimTransaction, status: number) {
    tx.status = status;
    tx.statusText = STATUS_TEXT[status] ?? `Status ${status}`;
    if (status >= 100 || status === 2) tx.completedAtS = nowS();
  }

  function api(raw: string, hmac: string | undefined): Envelope {
    const form = new URLSearchParams(raw);
    const field = (k: string) => form.get(k) ?? '';
    if (field('version') !== '1') return fail('Invalid API version - no match found');
    if (field('key') !== opts.publicKey) return fail('Invalid API public key passed');
    if (!hmac) return fail('No HMAC signature sent.');
    if (!verifyHmac(opts.privateKey, raw, hmac)) return fail('HMAC signature does not match');
    const nonceText = form.get('nonce');
    if (nonceText !== null) {
      if (!/^\d{1,30}$/.test(nonceText)) return fail('Invalid nonce');
      const nonce = BigInt(nonceText);
      if (lastNonce !== null && nonce <= lastNonce) return fail('Nonce is less than or equal to the last one used');
      lastNonce = nonce;
    } else if (lastNonce !== null) {
      return fail('Nonce required (a nonce has been used with this key before)');
    }
    if (field('format') !== 'json') return fail('Only format=json is supported here');
    switch (field('cmd')) {
      case 'create_transaction':
        return createTransaction(form);
      case 'get_tx_info': {
        const tx = txs.get(field('txid'));
        return tx ? { error: 'ok', result: txInfo(refresh(tx), field('full') === '1') } : fail('Invalid payment ID');
      }
      case 'get_tx_info_multi': {
        const ids = field('txid').split('|').filter((s) => s.length > 0);
        if (ids.length === 0) return fail('No transaction IDs given');
        if (ids.length > MAX_MULTI) return fail(`You can only query up to ${MAX_MULTI} transactions at once`);
        const result: Record<string, unknown> = {};
        for (const id of ids) {
          const tx = txs.get(id);
          const lookupError = lookupErrors.get(id);
          if (lookupError !== undefined) result[id] = { error: lookupError };
          else result[id] = tx ? { error: 'ok', ...txInfo(refresh(tx), false) } : { error: 'Invalid payment ID' };
        }
        return { error: 'ok', result };
      }
      case 'rates':
        return { error: 'ok', result: rates(field('short') === '1') };
      case 'get_basic_info':
        return {
          error: 'ok',
          result: { username: 'simulator', username_full: 'CoinPayments Simulator', merchant_id: opts.merchantId, email: 'sim@example.test', public_name: 'Simulator', time_joined: 1_500_000_000 },
        };
      default:
        return fail('Unknown command');
    }
  }

  function createTransaction(form: URLSearchParams): Envelope {
    const amount1 = form.get('amount') ?? '';
    const c1 = (form.get('currency1') ?? '').toUpperCase();
    const c2 = (form.get('currency2') ?? '').toUpperCase();
    const email = form.get('buyer_email') ?? '';
    const a1 = parseDecimal(amount1, SCALE);
    if (a1 === null || a1 <= 0n) return fail('Invalid amount');
    if (!RATES[c1]) return fail('Invalid currency1');
    if (!RATES[c2] || RATES[c2]!.isFiat) return fail('Invalid currency2');
    if (!/^[^@\s]+@[^@\s]+$/.test(email)) return fail('A valid buyer_email is required');
    const r1 = parseDecimal(RATES[c1]!.rateBtc, SCALE)!;
    const r2 = parseDecimal(RATES[c2]!.rateBtc, SCALE)!;
    // Round the crypto amount up to 8 decimals, as the buyer must send at least the price.
    const unit = 10n ** BigInt(SCALE - 8);
    const exact = (a1 * r1) / r2;
    const amount2 = formatDecimal(((exact + unit - 1n) / unit) * unit, SCALE, 8);
    const txnId = `CP${randomToken(24, 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789')}`;
    const timeoutS = opts.timeoutS ?? DEFAULT_TIMEOUT_S;
    const tx: SimTransaction = {
      txnId,
      currency1: c1,
      currency2: c2,
      amount1,
      amount2,
      address: addressFor(c2),
      destTag: RATES[c2]!.tag ? String(100_000 + Math.floor(Math.random() * 899_999)) : null,
      buyerEmail: email,
      buyerName: form.get('buyer_name') ?? '',
      itemName: form.get('item_name') ?? '',
      itemNumber: form.get('item_number') ?? '',
      invoice: form.get('invoice') ?? '',
      custom: form.get('custom') ?? '',
      ipnUrl: form.get('ipn_url') ?? '',
      status: 0,
      statusText: STATUS_TEXT[0]!,
      received: '0.00000000',
      confirms: 0,
      createdAtS: nowS(),
      expiresAtS: nowS() + timeoutS,
      completedAtS: 0,
    };
    txs.set(txnId, tx);
    return {
      error: 'ok',
      result: {
        amount: amount2,
        txn_id: txnId,
        address: tx.address,
        ...(tx.destTag ? { dest_tag: tx.destTag } : {}),
        confirms_needed: String(RATES[c2]!.confirms),
        timeout: timeoutS,
        checkout_url: `${base}/index.php?cmd=checkout&id=${txnId}&key=${randomToken(32, 'abcdef0123456789')}`,
        status_url: `${base}/index.php?cmd=status&id=${txnId}&key=${randomToken(32, 'abcdef0123456789')}`,
        qrcode_url: `${base}/qrgen.php?id=${txnId}&key=${randomToken(32, 'abcdef0123456789')}`,
      },
    };
  }

  function txInfo(tx: SimTransaction, full: boolean) {
    const info = {
      time_created: tx.createdAtS,
      time_expires: tx.expiresAtS,
      status: tx.status,
      status_text: tx.statusText,
      type: 'coins',
      coin: tx.currency2,
      amount: Number(parseDecimal(tx.amount2, 8)),
      amountf: tx.amount2,
      received: Number(parseDecimal(tx.received, 8)),
      receivedf: tx.received,
      recv_confirms: tx.confirms,
      payment_address: tx.address,
      ...(tx.completedAtS ? { time_completed: tx.completedAtS } : {}),
    };
    if (!full) return info;
    return { ...info, checkout: { currency: tx.currency1, amount: Number(parseDecimal(tx.amount1, 8)), test: 0, item_number: tx.itemNumber, item_name: tx.itemName, invoice: tx.invoice, custom: tx.custom, ipn_url: tx.ipnUrl } };
  }

  function rates(short: boolean) {
    const out: Record<string, unknown> = {};
    for (const [code, r] of Object.entries(RATES)) {
      const rateBtc = formatDecimal(parseDecimal(r.rateBtc, SCALE)!, SCALE, 12).replace(/0+$/, '').replace(/\.$/, '');
      out[code] = short
        ? { is_fiat: r.isFiat, rate_btc: rateBtc, last_update: String(nowS()), status: 'online' }
        : { is_fiat: r.isFiat, rate_btc: rateBtc, last_update: String(nowS()), tx_fee: '0.00000000', status: 'online', name: r.name, confirms: String(r.confirms), can_convert: 0, capabilities: r.isFiat ? [] : ['payments', 'wallet', 'transfers', ...(r.tag ? ['dest_tag'] : [])] };
    }
    return out;
  }

  function buildIpn(txnId: string, o: { status?: number; fields?: Record<string, string | undefined>; secret?: string } = {}): IpnMessage {
    const tx = txs.get(txnId);
    if (!tx) throw new Error(`simulator: no transaction ${txnId}`);
    const status = o.status ?? tx.status;
    const paid = status >= 100 || status === 2;
    const received = parseDecimal(tx.received, SCALE)!;
    const fee = received / 200n;
    const fields: Record<string, string> = {
      ipn_version: '1.0',
      ipn_id: randomToken(32, 'abcdef0123456789'),
      ipn_mode: 'hmac',
      ipn_type: 'api',
      merchant: opts.merchantId,
      status: String(status),
      status_text: STATUS_TEXT[status] ?? `Status ${status}`,
      txn_id: tx.txnId,
      currency1: tx.currency1,
      currency2: tx.currency2,
      amount1: phpNumber(tx.amount1),
      amount2: phpNumber(tx.amount2),
      fee: phpNumber(formatDecimal(fee, SCALE, 8)),
      net: phpNumber(formatDecimal(received - fee, SCALE, 8)),
      buyer_name: tx.buyerName,
      email: tx.buyerEmail,
      item_name: tx.itemName,
      item_number: tx.itemNumber,
      invoice: tx.invoice,
      custom: tx.custom,
      received_amount: phpNumber(tx.received),
      received_confirms: String(tx.confirms),
      ...(paid ? { send_tx: randomToken(64, 'abcdef0123456789') } : {}),
    };
    for (const [k, v] of Object.entries(o.fields ?? {})) {
      if (v === undefined) delete fields[k];
      else fields[k] = v;
    }
    const body = phpFormBody(fields);
    return {
      status,
      body,
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
        'User-Agent': 'CoinPayments.net IPN Generator',
        HMAC: hmacSha512Hex(o.secret ?? opts.ipnSecret, body),
      },
    };
  }

  async function post(url: string, message: IpnMessage) {
    const res = await fetch(url, { method: 'POST', headers: message.headers, body: message.body, signal: AbortSignal.timeout(IPN_TIMEOUT_MS) });
    return { httpStatus: res.status, answer: (await res.text()).slice(0, 500) };
  }

  async function deliverOne(url: string, message: IpnMessage): Promise<DeliveryResult> {
    let last: DeliveryResult = { status: message.status, httpStatus: null, attempts: 0, answer: '' };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const r = await post(url, message);
        last = { status: message.status, httpStatus: r.httpStatus, attempts: attempt, answer: r.answer };
        if (r.httpStatus >= 200 && r.httpStatus < 300) return last;
      } catch (err) {
        last = { status: message.status, httpStatus: null, attempts: attempt, answer: (err as Error).message };
      }
      if (attempt < maxAttempts) await new Promise((r) => setTimeout(r, retryDelayMs));
    }
    return last;
  }

  async function deliver(txnId: string, messages: IpnMessage[], o: { duplicate?: number; shuffle?: boolean } = {}) {
    const tx = txs.get(txnId);
    if (!tx) throw new Error(`simulator: no transaction ${txnId}`);
    if (!tx.ipnUrl) return [];
    const copies = Math.max(1, Math.min(o.duplicate ?? 1, 1_000));
    let queue = messages.flatMap((m) => Array.from({ length: copies }, () => m));
    if (o.shuffle) queue = shuffled(queue);
    const run = Promise.all(queue.map((m) => deliverOne(tx.ipnUrl, m)));
    pending.add(run);
    try {
      return await run;
    } finally {
      pending.delete(run);
    }
  }

  async function expire(txnId: string, o: { drop?: boolean } = {}) {
    const tx = txs.get(txnId);
    if (!tx) throw new Error(`simulator: no transaction ${txnId}`);
    setStatus(tx, -1);
    return o.drop ? [] : deliver(txnId, [buildIpn(txnId)]);
  }

  async function pay(txnId: string, o: PayOptions = {}) {
    const tx = txs.get(txnId);
    if (!tx) throw new Error(`simulator: no transaction ${txnId}`);
    const before: IpnMessage[] = [];
    if (o.late) {
      tx.expiresAtS = Math.min(tx.expiresAtS, nowS() - 1);
      setStatus(tx, -1);
      before.push(buildIpn(txnId));
    }
    const amount2 = parseDecimal(tx.amount2, SCALE)!;
    let received = amount2;
    if (o.received !== undefined) received = parseDecimal(o.received, SCALE) ?? amount2;
    else if (o.underpayPercent) received = (amount2 * BigInt(100 - o.underpayPercent)) / 100n;
    else if (o.overpayPercent) received = (amount2 * BigInt(100 + o.overpayPercent)) / 100n;
    if (o.pendingFirst) {
      before.push(buildIpn(txnId, { status: 0 }));
      tx.received = formatDecimal(received, SCALE, 8);
      tx.confirms = 0;
      before.push(buildIpn(txnId, { status: 1 }));
    }
    tx.received = formatDecimal(received, SCALE, 8);
    tx.confirms = RATES[tx.currency2]?.confirms ?? 1;
    setStatus(tx, o.status ?? 100);
    const messages = [...before, buildIpn(txnId)];
    if (o.drop) return [];
    // In order unless asked otherwise: sequentially per message so "pending then paid" arrives in that order.
    if (o.shuffle) return deliver(txnId, messages, { duplicate: o.duplicate, shuffle: true });
    const results: DeliveryResult[] = [];
    for (const m of messages) results.push(...(await deliver(txnId, [m], { duplicate: o.duplicate })));
    return results;
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String((err as Error).message));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sim');
    const raw = await readBody(req);
    if (raw === null) return send(res, 413, 'text/plain', 'body too large');
    if (req.method === 'POST' && url.pathname === '/api.php') {
      const hmac = req.headers['hmac'];
      return send(res, 200, 'application/json', JSON.stringify(api(raw, Array.isArray(hmac) ? hmac[0] : hmac)));
    }
    if (req.method === 'GET' && url.pathname === '/_sim/transactions') {
      return send(res, 200, 'application/json', JSON.stringify({ transactions: [...txs.values()].map(refresh) }));
    }
    const m = /^\/_sim\/transactions\/([A-Za-z0-9-]{1,128})\/(pay|expire)$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      const tx = txs.get(m[1]!);
      if (!tx) return send(res, 404, 'application/json', JSON.stringify({ error: 'no such transaction' }));
      let options: PayOptions = {};
      try {
        options = raw.trim() ? (JSON.parse(raw) as PayOptions) : {};
      } catch {
        return send(res, 400, 'application/json', JSON.stringify({ error: 'body is not JSON' }));
      }
      // Delivery (with its retries) continues in the background; the caller gets the new state now.
      const run = m[2] === 'pay' ? pay(tx.txnId, options) : expire(tx.txnId, options);
      run.catch(() => {});
      return send(res, 202, 'application/json', JSON.stringify({ transaction: tx }));
    }
    if (req.method === 'GET' && url.pathname === '/index.php') {
      const tx = txs.get(url.searchParams.get('id') ?? '');
      if (!tx) return send(res, 404, 'text/plain', 'no such transaction');
      refresh(tx);
      return send(res, 200, 'text/html; charset=utf-8', `<!doctype html><title>Payment ${tx.txnId}</title><h1>Simulated CoinPayments</h1><p>Send <b>${tx.amount2} ${tx.currency2}</b> to <code>${tx.address}</code></p><p>Status: ${tx.status} ${escapeHtml(tx.statusText)}</p>`);
    }
    return send(res, 404, 'text/plain', 'not found');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  base = `http://${opts.host ?? '127.0.0.1'}:${addr.port}`;

  return {
    url: base,
    apiUrl: `${base}/api.php`,
    pay,
    expire,
    failLookup(txnId, error) {
      if (error === null) lookupErrors.delete(txnId);
      else lookupErrors.set(txnId, error);
    },
    buildIpn,
    deliver,
    post,
    transactions: () => [...txs.values()].map(refresh),
    transaction: (id) => {
      const tx = txs.get(id);
      return tx ? refresh(tx) : undefined;
    },
    async close() {
      await Promise.allSettled([...pending]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** PHP prints floats trimmed (`52` for 52.00) and tiny ones in exponent form (`1.0E-5`). */
export function phpNumber(decimal: string): string {
  const v = parseDecimal(decimal, SCALE);
  if (v === null) return decimal;
  if (v > 0n && v < 10n ** BigInt(SCALE - 4)) {
    const digits = v.toString();
    const exp = digits.length - 1 - SCALE;
    const mantissa = digits.replace(/0+$/, '');
    return `${mantissa[0]}.${mantissa.slice(1) || '0'}E${exp}`;
  }
  return formatDecimal(v, SCALE, 8).replace(/\.?0+$/, '') || '0';
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function randomToken(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

function addressFor(coin: string): string {
  if (coin.startsWith('USDT.TRC20')) return `T${randomToken(33, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz')}`;
  if (coin === 'ETH' || coin === 'USDT.ERC20' || coin === 'USDT.BEP20') return `0x${randomToken(40, 'abcdef0123456789')}`;
  if (coin === 'BTC') return `bc1q${randomToken(38, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}`;
  return randomToken(34, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz');
}

function shuffled<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// A protocol-faithful stand-in for CoinPayments' new platform: the signed REST API (currencies, invoices,
// look-ups, cancel) and signed per-invoice webhooks with retries and backoff, plus `/_sim/...` controls for tests
// and the demo (pay in full or in part, complete, cancel, time out, redeliver, drop deliveries, clock skew).
// It signs and verifies with its own few lines of HMAC, not the sidecar's, so a wrong formula on our side fails here.
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIM_CURRENCIES, type SimCurrency } from './currencies.js';

const MAX_BODY_BYTES = 65_536;
const SCALE = 18n;
const DEFAULT_INVOICE_TIMEOUT_S = 3_600;
const WEBHOOK_TIMEOUT_MS = 10_000;
const MAX_RETRY_DELAY_MS = 60_000;
const EVENTS = ['invoiceCreated', 'invoicePending', 'invoicePaid', 'invoiceCompleted', 'invoiceCancelled', 'invoiceTimedOut', 'paymentCreated', 'paymentTimedOut'];

export type SimInvoiceStatus = 'unpaid' | 'pending' | 'paid' | 'completed' | 'cancelled' | 'timedOut';

export interface SimulatorV2Options {
  clientId: string;
  clientSecret: string;
  port?: number;
  host?: string;
  /** Seconds an invoice waits for its funds before it times out. */
  invoiceTimeoutS?: number;
  /** How far a request's timestamp may be from the simulator's clock. */
  requestSkewS?: number;
  /** Attempts per webhook while the receiver answers non-2xx; the pause doubles from webhookRetryDelayMs. */
  webhookMaxAttempts?: number;
  webhookRetryDelayMs?: number;
  /** How often invoices past their expiry are timed out (and invoiceTimedOut sent). */
  sweepIntervalMs?: number;
  now?: () => number;
}

export interface SimInvoice {
  id: string;
  invoiceId: string;
  currencyId: string;
  total: string;
  description: string;
  customData: unknown;
  buyer: unknown;
  webhooks: Array<{ notificationsUrl: string; notifications: string[] }>;
  status: SimInvoiceStatus;
  createdAtMs: number;
  expiresAtMs: number;
  /** The coin being paid with: pinned at creation, or chosen at the first payment. */
  payCurrencyId: string | null;
  address: string | null;
  /** Smallest units of the pay coin. */
  expectedUnits: bigint;
  receivedUnits: bigint;
  confirmations: number;
  /** Every notification built for this invoice, delivered or dropped, for redelivery. */
  events: SimEvent[];
}

export interface SimEvent {
  id: string;
  type: string;
  body: string;
}

export interface DeliveryRecord {
  eventId: string;
  type: string;
  url: string;
  attempt: number;
  httpStatus: number | null;
}

export interface PayOptions {
  /** Exact amount in the pay coin that arrives now; default what is still due. */
  amount?: string;
  /** The coin, when the invoice did not pin one (default USDT TRC20). */
  currencyId?: string;
  /** invoicePending notifications before the paid one (one per confirmation; default 1). */
  pendingEvents?: number;
  /** Also move paid → completed. */
  complete?: boolean;
  /** Mark paid even if short (CoinPayments accepting an underpayment). */
  acceptShort?: boolean;
  /** Pay an invoice that already timed out (funds that arrived late). */
  late?: boolean;
}

export interface DeliverOptions {
  /** Send each notification this many times, concurrently. */
  duplicate?: number;
  /** The order the notifications of one call are sent in. */
  order?: 'in_order' | 'reverse' | 'shuffle';
  /** Change the state, record the notifications, send nothing. */
  drop?: boolean;
}

export interface SimulatorV2 {
  url: string;
  apiBase: string;
  pay(id: string, opts?: PayOptions & DeliverOptions): Promise<DeliveryRecord[]>;
  complete(id: string, opts?: DeliverOptions): Promise<DeliveryRecord[]>;
  cancel(id: string, opts?: DeliverOptions): Promise<DeliveryRecord[]>;
  timeOut(id: string, opts?: DeliverOptions): Promise<DeliveryRecord[]>;
  /** Sends recorded notifications again (all, or the last `count`), same bodies, fresh signatures. */
  redeliver(id: string, opts?: DeliverOptions & { count?: number }): Promise<DeliveryRecord[]>;
  /** While on, notifications are recorded but not sent. */
  dropDeliveries(on: boolean): void;
  /** Moves the simulator's clock (request checks and webhook stamps) by this many milliseconds. */
  setClockSkew(ms: number): void;
  /** A webhook request as CoinPayments would send it now, for forged-delivery tests. */
  signWebhook(url: string, body: string, opts?: { clientId?: string; secret?: string; timestampMs?: number }): Record<string, string>;
  invoices(): SimInvoice[];
  invoice(id: string): SimInvoice | undefined;
  byInvoiceId(invoiceId: string): SimInvoice | undefined;
  deliveries(): DeliveryRecord[];
  close(): Promise<void>;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export async function startSimulatorV2(opts: SimulatorV2Options): Promise<SimulatorV2> {
  const baseNow = opts.now ?? Date.now;
  let skewMs = 0;
  const now = () => baseNow() + skewMs;
  const invoices = new Map<string, SimInvoice>();
  const log: DeliveryRecord[] = [];
  const inflight = new Set<Promise<unknown>>();
  const maxAttempts = opts.webhookMaxAttempts ?? 10;
  const retryDelayMs = opts.webhookRetryDelayMs ?? 1_000;
  let dropping = false;
  let base = '';
  const currencyById = new Map(SIM_CURRENCIES.map((c) => [c.id, c]));

  const sign = (secret: string, method: string, url: string, clientId: string, stamp: string, body: string) =>
    createHmac('sha256', Buffer.from(secret, 'utf8'))
      .update(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(method + url + clientId + stamp + body, 'utf8')]))
      .digest('base64');
  const stampOf = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');

  function authenticate(req: IncomingMessage, body: string) {
    const h = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : '');
    const clientId = h('x-coinpayments-client');
    const stamp = h('x-coinpayments-timestamp');
    const signature = h('x-coinpayments-signature');
    if (!clientId || !stamp || !signature) throw new HttpProblem(401, 'Unauthorized', 'missing authentication headers');
    if (clientId !== opts.clientId) throw new HttpProblem(401, 'Unauthorized', 'unknown client');
    const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(stamp) ? Date.parse(`${stamp}Z`) : NaN;
    if (!Number.isFinite(at) || Math.abs(now() - at) > (opts.requestSkewS ?? 300) * 1000) throw new HttpProblem(401, 'Unauthorized', 'timestamp outside the allowed window');
    const expected = Buffer.from(sign(opts.clientSecret, req.method ?? '', base + (req.url ?? ''), clientId, stamp, body), 'base64');
    const given = Buffer.from(signature, 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new HttpProblem(401, 'Unauthorized', 'invalid signature');
  }

  function money(c: SimCurrency, units: bigint) {
    const text = unitsToDecimal(units, c.decimalPlaces);
    // valueAsDecimal is a JSON number, as documented: a client that reads it gets a float, not an amount.
    return { currencyId: c.id, currencySymbol: c.symbol, contractAddress: c.id.split(':')[1] ?? null, displayValue: `${text} ${c.symbol}`, value: units.toString(), valueAsDecimal: Number(text) };
  }

  function refresh(inv: SimInvoice): SimInvoice {
    if ((inv.status === 'unpaid' || inv.status === 'pending') && now() > inv.expiresAtMs) {
      inv.status = 'timedOut';
      track(send(inv, [notify(inv, 'invoiceTimedOut')], {}));
    }
    return inv;
  }

  function invoiceJson(inv: SimInvoice) {
    const fiat = currencyById.get(inv.currencyId)!;
    const coin = inv.payCurrencyId ? currencyById.get(inv.payCurrencyId)! : null;
    return {
      id: inv.id,
      invoiceId: inv.invoiceId,
      created: new Date(inv.createdAtMs).toISOString(),
      expires: new Date(inv.expiresAtMs).toISOString(),
      currency: { id: fiat.id, symbol: fiat.symbol, name: fiat.name, decimalPlaces: fiat.decimalPlaces },
      amount: { breakdown: { subtotal: inv.total }, total: inv.total },
      description: inv.description,
      customData: inv.customData,
      status: inv.status,
      checkoutLink: `${base}/checkout/?invoice-id=${inv.id}`,
      payments: coin
        ? [
            {
              paymentAddress: inv.address,
              expectedAmount: money(coin, inv.expectedUnits),
              actualAmount: money(coin, inv.receivedUnits),
              state: paymentState(inv.status, inv.receivedUnits),
              confirmations: inv.confirmations,
              requiredConfirmations: coin.requiredConfirmations,
              isActive: inv.status === 'unpaid' || inv.status === 'pending',
            },
          ]
        : [],
    };
  }

  function notify(inv: SimInvoice, type: string): SimEvent {
    const coin = inv.payCurrencyId ? currencyById.get(inv.payCurrencyId)! : null;
    const [chainId, contract] = (inv.payCurrencyId ?? '').split(':');
    const eventId = randomUUID();
    const event: SimEvent = {
      id: eventId,
      type,
      body: JSON.stringify({
        id: eventId,
        type,
        timestamp: new Date(now()).toISOString().replace('Z', '0000+00:00'),
        invoice: {
          invoiceId: inv.invoiceId,
          id: inv.id,
          merchantClientId: opts.clientId,
          createdAt: new Date(inv.createdAtMs).toISOString(),
          expiresDate: new Date(inv.expiresAtMs).toISOString(),
          description: inv.description,
          customData: inv.customData,
          buyer: inv.buyer,
          amount: { currencyId: inv.currencyId, subtotal: inv.total, total: inv.total },
          state: inv.status,
          payments: coin
            ? [
                {
                  id: `${inv.id}-p1`,
                  invoiceId: inv.id,
                  state: paymentState(inv.status, inv.receivedUnits),
                  hotWallet: {
                    currency: { id: Number(chainId), smartContract: contract ?? null },
                    paymentReceiveAddress: inv.address,
                    // Integers, as documented; an 18-decimal token's amount no longer fits a double exactly.
                    confirmedAmount: Number(inv.receivedUnits),
                    confirmations: inv.confirmations,
                    requiredConfirmations: coin.requiredConfirmations,
                  },
                },
              ]
            : [],
        },
      }),
    };
    inv.events.push(event);
    return event;
  }

  function signWebhook(url: string, body: string, o: { clientId?: string; secret?: string; timestampMs?: number } = {}): Record<string, string> {
    const clientId = o.clientId ?? opts.clientId;
    const stamp = stampOf(o.timestampMs ?? now());
    return {
      'Content-Type': 'application/json',
      'User-Agent': 'CoinPayments Webhooks',
      'X-CoinPayments-Client': clientId,
      'X-CoinPayments-Timestamp': stamp,
      'X-CoinPayments-Signature': sign(o.secret ?? opts.clientSecret, 'POST', url, clientId, stamp, body),
    };
  }

  async function attemptAll(url: string, event: SimEvent): Promise<DeliveryRecord> {
    let last: DeliveryRecord = { eventId: event.id, type: event.type, url, attempt: 0, httpStatus: null };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let httpStatus: number | null = null;
      try {
        // Re-signed per attempt: a retry minutes later must still fall inside the receiver's window.
        const res = await fetch(url, { method: 'POST', headers: signWebhook(url, event.body), body: event.body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS) });
        httpStatus = res.status;
        await res.arrayBuffer();
      } catch {
        httpStatus = null;
      }
      last = { eventId: event.id, type: event.type, url, attempt, httpStatus };
      log.push(last);
      if (httpStatus !== null && httpStatus >= 200 && httpStatus < 300) return last;
      if (attempt < maxAttempts) await new Promise((r) => setTimeout(r, Math.min(retryDelayMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS)));
    }
    return last;
  }

  async function send(inv: SimInvoice, events: SimEvent[], o: DeliverOptions): Promise<DeliveryRecord[]> {
    if (o.drop || dropping) return [];
    let queue = [...events];
    if (o.order === 'reverse') queue.reverse();
    if (o.order === 'shuffle') queue = shuffled(queue);
    const copies = Math.max(1, Math.min(o.duplicate ?? 1, 100));
    const out: DeliveryRecord[] = [];
    // One notification at a time (with its duplicates together), so the chosen order is the order of arrival.
    for (const event of queue) {
      const targets = inv.webhooks.filter((w) => w.notifications.includes(event.type));
      const runs = targets.flatMap((w) => Array.from({ length: copies }, () => attemptAll(w.notificationsUrl, event)));
      out.push(...(await Promise.all(runs)));
    }
    return out;
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => {});
    return p;
  }

  function need(id: string): SimInvoice {
    const inv = invoices.get(id);
    if (!inv) throw new Error(`simulator: no invoice ${id}`);
    return refresh(inv);
  }

  function choosePayCurrency(inv: SimInvoice, currencyId: string | undefined) {
    if (inv.payCurrencyId) return;
    const coin = currencyById.get(currencyId ?? '9:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
    if (!coin || coin.type === 'fiat') throw new Error('simulator: not a coin');
    inv.payCurrencyId = coin.id;
    inv.address = addressFor(coin);
    inv.expectedUnits = priceIn(currencyById.get(inv.currencyId)!, inv.total, coin);
  }

  async function pay(id: string, o: PayOptions & DeliverOptions = {}) {
    const inv = need(id);
    if (inv.status === 'timedOut' && !o.late) throw new Error('simulator: invoice timed out (pass late to pay it anyway)');
    if (inv.status === 'cancelled' || inv.status === 'paid' || inv.status === 'completed') throw new Error(`simulator: invoice is ${inv.status}`);
    choosePayCurrency(inv, o.currencyId);
    const coin = currencyById.get(inv.payCurrencyId!)!;
    const due = inv.expectedUnits > inv.receivedUnits ? inv.expectedUnits - inv.receivedUnits : 0n;
    const arriving = o.amount === undefined ? due : decimalToUnits(o.amount, coin.decimalPlaces);
    if (arriving === null || arriving <= 0n) throw new Error('simulator: amount must be a positive decimal');
    inv.receivedUnits += arriving;
    const events: SimEvent[] = [];
    inv.status = 'pending';
    const pendings = Math.max(1, Math.min(o.pendingEvents ?? 1, coin.requiredConfirmations || 1));
    for (let i = 1; i <= pendings; i++) {
      inv.confirmations = i;
      events.push(notify(inv, 'invoicePending'));
    }
    if (inv.receivedUnits >= inv.expectedUnits || o.acceptShort) {
      inv.confirmations = coin.requiredConfirmations;
      inv.status = 'paid';
      events.push(notify(inv, 'invoicePaid'));
      if (o.complete) {
        inv.status = 'completed';
        events.push(notify(inv, 'invoiceCompleted'));
      }
    }
    return track(send(inv, events, o));
  }

  async function complete(id: string, o: DeliverOptions = {}) {
    const inv = need(id);
    if (inv.status !== 'paid') throw new Error(`simulator: only a paid invoice completes (it is ${inv.status})`);
    inv.status = 'completed';
    return track(send(inv, [notify(inv, 'invoiceCompleted')], o));
  }

  function cancelNow(inv: SimInvoice) {
    if (inv.status !== 'unpaid' && inv.status !== 'pending') throw new HttpProblem(400, 'Bad Request', `invoice is ${inv.status}`);
    inv.status = 'cancelled';
    return notify(inv, 'invoiceCancelled');
  }

  async function timeOut(id: string, o: DeliverOptions = {}) {
    const inv = need(id);
    if (inv.status !== 'unpaid' && inv.status !== 'pending') throw new Error(`simulator: invoice is ${inv.status}`);
    inv.expiresAtMs = Math.min(inv.expiresAtMs, now() - 1);
    inv.status = 'timedOut';
    return track(send(inv, [notify(inv, 'invoiceTimedOut')], o));
  }

  function createInvoice(raw: string): unknown {
    const b = parseJson(raw);
    const fiat = typeof b.currency === 'string' ? currencyById.get(b.currency) : undefined;
    if (!fiat || fiat.type !== 'fiat') throw new HttpProblem(400, 'Bad Request', 'currency must be a fiat currency id');
    const amount = isObject(b.amount) ? b.amount : {};
    const breakdown = isObject(amount.breakdown) ? amount.breakdown : {};
    const total = decimalToUnits(amount.total, 2);
    const subtotal = decimalToUnits(breakdown.subtotal, 2);
    if (total === null || total <= 0n || subtotal !== total) throw new HttpProblem(400, 'Bad Request', 'amount.total must be a decimal string equal to amount.breakdown.subtotal');
    const items = Array.isArray(b.items) ? b.items : [];
    let itemsSum = 0n;
    for (const item of items) {
      const v = isObject(item) ? decimalToUnits(item.amount, 2) : null;
      if (v === null) throw new HttpProblem(400, 'Bad Request', 'items[].amount must be a decimal string');
      itemsSum += v;
    }
    if (items.length > 0 && itemsSum !== subtotal) throw new HttpProblem(400, 'Bad Request', 'items do not add up to the subtotal');
    const webhooks: SimInvoice['webhooks'] = [];
    for (const w of Array.isArray(b.webhooks) ? b.webhooks : []) {
      const url = isObject(w) && typeof w.notificationsUrl === 'string' ? w.notificationsUrl : '';
      const list = isObject(w) && Array.isArray(w.notifications) ? w.notifications.filter((n): n is string => typeof n === 'string') : [];
      if (!/^https?:\/\//.test(url) || list.length === 0 || list.some((n) => !EVENTS.includes(n))) {
        throw new HttpProblem(400, 'Bad Request', 'webhooks need a notificationsUrl and a list of known notifications');
      }
      webhooks.push({ notificationsUrl: url, notifications: list });
    }
    const created = now();
    const inv: SimInvoice = {
      id: randomToken(22),
      invoiceId: typeof b.invoiceId === 'string' ? b.invoiceId.slice(0, 128) : '',
      currencyId: fiat.id,
      total: unitsToDecimal(total, 2),
      description: typeof b.description === 'string' ? b.description : '',
      customData: b.customData ?? null,
      buyer: b.buyer ?? null,
      webhooks,
      status: 'unpaid',
      createdAtMs: created,
      expiresAtMs: created + (opts.invoiceTimeoutS ?? DEFAULT_INVOICE_TIMEOUT_S) * 1000,
      payCurrencyId: null,
      address: null,
      expectedUnits: 0n,
      receivedUnits: 0n,
      confirmations: 0,
      events: [],
    };
    const payment = isObject(b.payment) ? b.payment : null;
    if (payment && payment.paymentCurrency !== undefined) {
      const coin = typeof payment.paymentCurrency === 'string' ? currencyById.get(payment.paymentCurrency) : undefined;
      if (!coin || coin.type === 'fiat') throw new HttpProblem(400, 'Bad Request', 'payment.paymentCurrency is not a coin');
      if (typeof payment.refundEmail !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(payment.refundEmail)) throw new HttpProblem(400, 'Bad Request', 'payment.refundEmail is required');
      choosePayCurrency(inv, coin.id);
    }
    invoices.set(inv.id, inv);
    track(send(inv, [notify(inv, 'invoiceCreated')], {}));
    const coin = inv.payCurrencyId ? currencyById.get(inv.payCurrencyId)! : null;
    const expires = new Date(inv.expiresAtMs).toISOString();
    return {
      invoices: [
        {
          id: inv.id,
          link: `${base}/invoice/${inv.id}`,
          checkoutLink: `${base}/checkout/?invoice-id=${inv.id}`,
          payment: { paymentId: `${inv.id}-p1`, expires },
          ...(coin
            ? {
                hotWallet: {
                  currency: { id: coin.id, type: coin.type, symbol: coin.symbol, name: coin.name, decimalPlaces: coin.decimalPlaces, requiredConfirmations: coin.requiredConfirmations },
                  amount: { ...money(coin, inv.expectedUnits), rate: coin.usd },
                  addresses: { address: inv.address, biP21: `${coin.symbol.toLowerCase()}:${inv.address}?amount=${unitsToDecimal(inv.expectedUnits, coin.decimalPlaces)}` },
                  expires,
                  remainingAmount: money(coin, inv.expectedUnits),
                },
              }
            : {}),
        },
      ],
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://sim');
    const raw = await readBody(req);
    if (raw === null) throw new HttpProblem(413, 'Payload Too Large', 'body too large');
    const path = url.pathname;
    if (req.method === 'GET' && path === '/api/v2/currencies') {
      const q = (url.searchParams.get('q') ?? '').toUpperCase();
      const types = (url.searchParams.get('types') ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
      const list = SIM_CURRENCIES.filter((c) => (!q || c.symbol.includes(q) || c.name.toUpperCase().includes(q)) && (types.length === 0 || types.includes(c.type)));
      return json(res, 200, list.map(({ usd: _usd, ...c }) => ({ ...c, rank: 0, status: 'active' })));
    }
    if (path.startsWith('/api/')) {
      authenticate(req, raw);
      if (req.method === 'POST' && path === '/api/v2/merchant/invoices') return json(res, 200, createInvoice(raw));
      if (req.method === 'GET' && path === '/api/v2/merchant/invoices') {
        const limit = Math.max(1, Math.min(Number(url.searchParams.get('limit')) || 25, 100));
        return json(res, 200, { items: [...invoices.values()].slice(-limit).map((i) => invoiceJson(refresh(i))), paging: { limit } });
      }
      const one = /^\/api\/v2\/merchant\/invoices\/([A-Za-z0-9-]{1,128})$/.exec(path);
      if (req.method === 'GET' && one) {
        const inv = invoices.get(one[1]!);
        if (!inv) throw new HttpProblem(404, 'Not Found', 'invoice not found');
        return json(res, 200, invoiceJson(refresh(inv)));
      }
      const cancel = /^\/api\/v[12]\/merchant\/invoices\/([A-Za-z0-9-]{1,128})\/cancel$/.exec(path);
      if (req.method === 'POST' && cancel) {
        const inv = invoices.get(cancel[1]!);
        if (!inv) throw new HttpProblem(404, 'Not Found', 'invoice not found');
        track(send(inv, [cancelNow(refresh(inv))], {}));
        res.writeHead(204).end();
        return;
      }
      throw new HttpProblem(404, 'Not Found', 'no such route');
    }
    if (req.method === 'GET' && path === '/_sim/invoices') return json(res, 200, { invoices: [...invoices.values()].map((i) => invoiceJson(refresh(i))) });
    const control = /^\/_sim\/invoices\/([A-Za-z0-9-]{1,128})\/(pay|complete|cancel|timeout|redeliver)$/.exec(path);
    if (req.method === 'POST' && control) {
      const id = control[1]!;
      if (!invoices.has(id)) throw new HttpProblem(404, 'Not Found', 'invoice not found');
      const o = raw.trim() ? (parseJson(raw) as PayOptions & DeliverOptions & { count?: number }) : {};
      const run = { pay, complete, cancel: cancelControl, timeout: timeOut, redeliver }[control[2] as 'pay'](id, o);
      // A refused control fails before its first delivery; otherwise delivery and its retries go on in the
      // background and the caller gets the new state now.
      const refused = await Promise.race([run.then(() => null, (e: Error) => e), new Promise<null>((r) => setImmediate(() => r(null)))]);
      if (refused) throw new HttpProblem(409, 'Conflict', refused.message);
      return json(res, 202, { invoice: invoiceJson(invoices.get(id)!) });
    }
    if (req.method === 'POST' && path === '/_sim/deliveries') {
      const o = parseJson(raw || '{}');
      dropping = o.drop === true;
      return json(res, 200, { drop: dropping });
    }
    if (req.method === 'POST' && path === '/_sim/clock') {
      const o = parseJson(raw || '{}');
      if (typeof o.skewMs !== 'number' || !Number.isSafeInteger(o.skewMs)) throw new HttpProblem(400, 'Bad Request', 'skewMs must be an integer');
      skewMs = o.skewMs;
      return json(res, 200, { skewMs });
    }
    if (req.method === 'GET' && path === '/checkout/') {
      const inv = invoices.get(url.searchParams.get('invoice-id') ?? '');
      if (!inv) throw new HttpProblem(404, 'Not Found', 'invoice not found');
      refresh(inv);
      const coin = inv.payCurrencyId ? currencyById.get(inv.payCurrencyId)! : null;
      const due = coin ? `<p>Send <b>${unitsToDecimal(inv.expectedUnits, coin.decimalPlaces)} ${escapeHtml(coin.name)}</b> to <code>${escapeHtml(inv.address ?? '')}</code></p>` : '<p>Choose a coin</p>';
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Invoice ${inv.id}</title><h1>Simulated CoinPayments checkout</h1><p>${escapeHtml(inv.total)} ${escapeHtml(currencyById.get(inv.currencyId)!.symbol)}</p>${due}<p>Status: ${inv.status}</p>`);
      return;
    }
    throw new HttpProblem(404, 'Not Found', 'not found');
  }

  function cancelControl(id: string, o: DeliverOptions = {}) {
    const inv = need(id);
    return track(send(inv, [cancelNow(inv)], o));
  }

  async function redeliver(id: string, o: DeliverOptions & { count?: number } = {}) {
    const inv = need(id);
    const events = o.count === undefined ? inv.events : inv.events.slice(-Math.max(0, o.count));
    return track(send(inv, events, o));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const p = err instanceof HttpProblem ? err : new HttpProblem(500, 'Internal Server Error', (err as Error).message);
      json(res, p.status, { type: 'about:blank', title: p.title, status: p.status, detail: p.detail }, 'application/problem+json');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  base = `http://${opts.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  const sweep = setInterval(() => {
    for (const inv of invoices.values()) refresh(inv);
  }, opts.sweepIntervalMs ?? 1_000);
  sweep.unref();

  return {
    url: base,
    apiBase: base,
    pay,
    complete,
    cancel: cancelControl,
    timeOut,
    redeliver,
    dropDeliveries(on) {
      dropping = on;
    },
    setClockSkew(ms) {
      skewMs = ms;
    },
    signWebhook,
    invoices: () => [...invoices.values()].map(refresh),
    invoice: (id) => {
      const inv = invoices.get(id);
      return inv ? refresh(inv) : undefined;
    },
    byInvoiceId: (invoiceId) => [...invoices.values()].find((i) => i.invoiceId === invoiceId),
    deliveries: () => [...log],
    async close() {
      clearInterval(sweep);
      await Promise.allSettled([...inflight]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function paymentState(status: SimInvoiceStatus, received: bigint): string {
  if (status === 'unpaid' || (status === 'pending' && received === 0n)) return 'created';
  if (status === 'pending') return 'detected';
  if (status === 'paid') return 'confirmed';
  return status;
}

/** The price in the coin's smallest units, rounded up: the buyer must send at least the price. */
function priceIn(fiat: SimCurrency, total: string, coin: SimCurrency): bigint {
  const scaled = (s: string) => decimalToUnits(s, Number(SCALE))!;
  const usd = scaled(total) * scaled(fiat.usd);
  const den = scaled(coin.usd) * 10n ** (SCALE * 2n - BigInt(coin.decimalPlaces));
  return (usd * 10n ** SCALE + den - 1n) / den;
}

function decimalToUnits(text: unknown, decimals: number): bigint | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{1,30})(?:\.(\d{1,18}))?$/.exec(text);
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.length > decimals) return null;
  return BigInt(m[1]! + frac.padEnd(decimals, '0'));
}

function unitsToDecimal(units: bigint, decimals: number): string {
  if (decimals === 0) return units.toString();
  const s = units.toString().padStart(decimals + 1, '0');
  return `${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

function parseJson(raw: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new HttpProblem(400, 'Bad Request', 'body is not JSON');
  }
  if (!isObject(v)) throw new HttpProblem(400, 'Bad Request', 'body must be a JSON object');
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function json(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
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

function randomToken(length: number, alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i]! % alphabet.length];
  return out;
}

function addressFor(coin: SimCurrency): string {
  const chain = coin.id.split(':')[0];
  if (chain === '9') return `T${randomToken(33, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz')}`;
  if (chain === '4' || chain === '35') return `0x${randomToken(40, 'abcdef0123456789')}`;
  if (chain === '1') return `bc1q${randomToken(38, 'qpzry9x8gf2tvdw0s3jn54khce6mua7l')}`;
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

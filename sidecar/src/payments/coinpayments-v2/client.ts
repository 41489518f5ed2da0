// Client of CoinPayments' new platform (REST, Client ID/Secret, signed): currencies, invoices, look-ups.
//
// How it plugs into one PaymentProvider (see docs/coinpayments-v2.md for the whole note):
// - create a payment  = createInvoice(): our invoice id is `<COINPAYMENTS_INVOICE_PREFIX>-<recharge id>` and the
//   webhook is registered on the invoice itself; the provider's invoice id becomes the recharge's `txn_id`.
// - look up many      = getInvoices(): one GET per invoice (the API has no batch read), at most
//   `lookupConcurrency` at a time; an id missing from the answer says nothing about its payment.
// - verify-and-parse  = webhook.ts verifyWebhook() with webhookConfig() and decimalsOf().
// All three speak only PaymentKind (`pending | paid | failed | expired`, plus `none`) and exact decimal strings;
// no CoinPayments state or event name leaves this folder. Provider and transport errors are values, never
// thrown, and carry no secret; a malformed argument from our own code (a price that is not a decimal) throws.
// Transport: Node's fetch with an AbortSignal timeout (no axios: redirects refused, body size capped by hand).
import { classifyState, exactDecimal, INVOICE_NOTIFICATIONS, INVOICE_PREFIX, ourInvoiceId, readAmount, rechargeIdOf, addDecimals, type CreditPoint, type PaymentKind } from './model.js';
import { formatTimestamp, signV2 } from './signing.js';
import type { WebhookConfig } from './webhook.js';

export const DEFAULT_API_BASE = 'https://a-api.coinpayments.net';
/** Largest number of invoices getInvoices() accepts in one call (the reconciler's batch). */
export const MAX_LOOKUP_BATCH = 100;
const DEFAULT_LOOKUP_CONCURRENCY = 4;
const MAX_LOOKUP_CONCURRENCY = 16;
/** Currency ids do not move; the table is re-read hourly and a stale one serves while CoinPayments is down. */
const CURRENCIES_TTL_MS = 3_600_000;
const MAX_RESPONSE_BYTES = 4_194_304;
const MAX_MESSAGE_CHARS = 200;
const PROVIDER_ID = /^[A-Za-z0-9-]{1,128}$/;

/** USDT networks by the symbol of the chain's own coin: the token's id is `<chain coin id>:<contract>`. */
const USDT_CHAINS: Record<string, string[]> = {
  TRC20: ['TRX'],
  ERC20: ['ETH'],
  BEP20: ['BNB', 'BSC'],
  SOL: ['SOL'],
  POLYGON: ['POL', 'MATIC'],
};
/** Litecoin testnet: worthless, never offered unless a test configuration asks for it. */
const TEST_COIN = 'LTCT';

export type ProviderFailure = { ok: false; code: 'provider_unavailable' | 'provider_error'; message: string };
export type Result<T> = { ok: true; value: T } | ProviderFailure;

export interface CoinPaymentsV2Options {
  apiBase?: string;
  clientId: string;
  clientSecret: string;
  timeoutMs: number;
  /** Per site, so two sites on one CoinPayments account never read each other's invoices as theirs. */
  invoicePrefix: string;
  /** `PUBLIC_URL/webhooks/coinpayments`, registered on every invoice and verified byte for byte. */
  notificationsUrl: string;
  creditOn?: CreditPoint;
  /** Our method code (e.g. `USDT.BEP20`) to a currency id, where the lookup rule would guess wrong. */
  currencyIds?: Record<string, string>;
  /** Fix the buyer's coin on the invoice (address and amount come back at once); off lets the buyer choose at checkout. */
  pinPayCurrency?: boolean;
  allowTestCoin?: boolean;
  lookupConcurrency?: number;
  currenciesTtlMs?: number;
  now?: () => number;
}

export interface Currency {
  id: string;
  type: string;
  symbol: string;
  name: string;
  decimalPlaces: number | null;
  requiredConfirmations: number | null;
}

export interface CreateInvoiceRequest {
  rechargeId: number;
  /** Exact decimal in priceCurrency, e.g. "52.00". */
  priceAmount: string;
  /** Fiat code, e.g. "CNY". */
  priceCurrency: string;
  /** Our method code, e.g. "USDT.TRC20" or "BTC". */
  payCurrency: string;
  buyerEmail: string;
  buyerName: string;
  itemName: string;
  successUrl?: string;
  cancelUrl?: string;
}

export interface CreatedInvoice {
  /** CoinPayments' invoice id: the recharge's txn_id. */
  providerInvoiceId: string;
  invoiceId: string;
  /** Where the buyer pays; always present. */
  checkoutUrl: string;
  /** The invoice document, when returned. */
  invoiceUrl: string | null;
  payCurrency: string;
  /** With a pinned coin: where to send, how much (exact), a QR payload, when the address expires. */
  address: string | null;
  amount: string | null;
  qr: string | null;
  expiresAtMs: number | null;
  confirmsNeeded: number | null;
}

export interface InvoiceObservation {
  providerInvoiceId: string;
  invoiceId: string | null;
  /** Set only when the invoice id carries our prefix. */
  rechargeId: number | null;
  kind: PaymentKind;
  progress: number;
  statusText: string;
  priceAmount: string | null;
  /** Our method code of the coin paid with, when one coin and known. */
  payCurrency: string | null;
  expectedAmount: string | null;
  /** What arrived, exact, in payCurrency; null when not stated exactly. */
  receivedAmount: string | null;
  expiresAtMs: number | null;
}

type Answer = { status: number; json: unknown };

export class CoinPaymentsV2Client {
  readonly name = 'coinpayments-v2';
  readonly maxStatusBatch = MAX_LOOKUP_BATCH;
  private readonly base: string;
  private readonly now: () => number;
  private readonly creditOn: CreditPoint;
  private currencyCache: { fetchedAtMs: number; list: Currency[]; byId: Map<string, Currency> } | null = null;
  private currencyLoad: Promise<Result<Currency[]>> | null = null;

  constructor(private readonly opts: CoinPaymentsV2Options) {
    if (!INVOICE_PREFIX.test(opts.invoicePrefix)) throw new RangeError('invoicePrefix: letters, digits, _ and -, at most 32');
    if (!opts.clientId || !opts.clientSecret) throw new RangeError('clientId and clientSecret are required');
    this.base = (opts.apiBase ?? DEFAULT_API_BASE).replace(/\/+$/, '');
    this.now = opts.now ?? Date.now;
    this.creditOn = opts.creditOn ?? 'invoicePaid';
  }

  /** What webhook.ts needs to verify deliveries for this integration. */
  webhookConfig(): WebhookConfig {
    return {
      clientId: this.opts.clientId,
      clientSecret: this.opts.clientSecret,
      notificationsUrl: this.opts.notificationsUrl,
      invoicePrefix: this.opts.invoicePrefix,
      creditOn: this.creditOn,
    };
  }

  /** Decimal places of a currency from the cached table; null before the first load or when unknown. */
  decimalsOf = (currencyId: string): number | null => this.currencyCache?.byId.get(currencyId)?.decimalPlaces ?? null;

  async currencies(): Promise<Result<Currency[]>> {
    const cache = this.currencyCache;
    if (cache && this.now() - cache.fetchedAtMs <= (this.opts.currenciesTtlMs ?? CURRENCIES_TTL_MS)) return { ok: true, value: cache.list };
    // One load at a time: a burst of recharges at expiry waits for the same answer.
    this.currencyLoad ??= this.loadCurrencies().finally(() => {
      this.currencyLoad = null;
    });
    const loaded = await this.currencyLoad;
    if (!loaded.ok && cache) return { ok: true, value: cache.list };
    return loaded;
  }

  private async loadCurrencies(): Promise<Result<Currency[]>> {
    const r = await this.request('GET', '/api/v2/currencies');
    if (!r.ok) return r;
    if (r.value.status !== 200) return this.unexpected('currencies', r.value);
    const items = Array.isArray(r.value.json) ? r.value.json : isObject(r.value.json) && Array.isArray(r.value.json.items) ? r.value.json.items : null;
    if (!items) return fail('provider_error', 'currencies: expected a list');
    const list: Currency[] = [];
    for (const c of items) {
      if (!isObject(c) || (typeof c.id !== 'string' && typeof c.id !== 'number') || typeof c.symbol !== 'string') continue;
      list.push({
        id: String(c.id),
        type: typeof c.type === 'string' ? c.type.toLowerCase() : '',
        symbol: c.symbol.toUpperCase(),
        name: typeof c.name === 'string' ? c.name : '',
        decimalPlaces: Number.isInteger(c.decimalPlaces) ? (c.decimalPlaces as number) : null,
        requiredConfirmations: Number.isInteger(c.requiredConfirmations) ? (c.requiredConfirmations as number) : null,
      });
    }
    this.currencyCache = { fetchedAtMs: this.now(), list, byId: new Map(list.map((c) => [c.id, c])) };
    return { ok: true, value: list };
  }

  /** The currency id for our method code (`BTC`, `USDT.TRC20`) or a fiat code (`USD`, `CNY`). */
  async currencyIdFor(code: string): Promise<Result<string>> {
    const pinned = this.opts.currencyIds?.[code];
    if (pinned) return { ok: true, value: pinned };
    if (code.toUpperCase() === TEST_COIN && !this.opts.allowTestCoin) return fail('provider_error', `${TEST_COIN} is the worthless test coin`);
    const table = await this.currencies();
    if (!table.ok) return table;
    const id = resolveCurrency(table.value, code.toUpperCase());
    return id ? { ok: true, value: id } : fail('provider_error', `no CoinPayments currency for ${code}`);
  }

  /** Our method code for a currency id, among the codes this site offers (reverse of currencyIdFor). */
  private async methodFor(currencyId: string, candidates: string[]): Promise<string | null> {
    for (const code of candidates) {
      const id = await this.currencyIdFor(code);
      if (id.ok && id.value === currencyId) return code;
    }
    return null;
  }

  async createInvoice(req: CreateInvoiceRequest): Promise<Result<CreatedInvoice>> {
    const price = exactDecimal(req.priceAmount, 2);
    if (price === null || price === '0.00') throw new RangeError(`priceAmount must be a positive decimal with at most 2 places, got ${req.priceAmount}`);
    const invoiceId = ourInvoiceId(this.opts.invoicePrefix, req.rechargeId);
    const fiat = await this.currencyIdFor(req.priceCurrency);
    if (!fiat.ok) return fiat;
    const coin = await this.currencyIdFor(req.payCurrency);
    if (!coin.ok) return coin;
    const pin = this.opts.pinPayCurrency ?? true;
    const body = {
      currency: fiat.value,
      items: [{ customId: String(req.rechargeId), name: req.itemName.slice(0, 128), quantity: { value: 1, type: 'quantity' }, amount: price }],
      amount: { breakdown: { subtotal: price }, total: price },
      invoiceId,
      description: req.itemName.slice(0, 256),
      isEmailDelivery: false,
      customData: { rechargeId: String(req.rechargeId), site: this.opts.invoicePrefix },
      buyer: { name: { firstName: req.buyerName.slice(0, 64) }, emailAddress: req.buyerEmail },
      webhooks: [{ notificationsUrl: this.opts.notificationsUrl, notifications: [...INVOICE_NOTIFICATIONS] }],
      ...(pin ? { payment: { paymentCurrency: coin.value, refundEmail: req.buyerEmail } } : {}),
      ...(req.successUrl ? { successUrl: req.successUrl } : {}),
      ...(req.cancelUrl ? { cancelUrl: req.cancelUrl } : {}),
    };
    // Never retried: a lost answer may still have created the invoice (the reconciler finds it by our invoice id).
    const r = await this.request('POST', '/api/v2/merchant/invoices', undefined, body);
    if (!r.ok) return r;
    if (r.value.status !== 200 && r.value.status !== 201) return this.unexpected('create invoice', r.value);
    const first = isObject(r.value.json) && Array.isArray(r.value.json.invoices) ? r.value.json.invoices[0] : undefined;
    if (!isObject(first) || typeof first.id !== 'string' || !PROVIDER_ID.test(first.id) || !isHttpUrl(first.checkoutLink)) {
      return fail('provider_error', 'create invoice: answer without an invoice id and checkout link');
    }
    const wallet = isObject(first.hotWallet) ? first.hotWallet : null;
    const walletCurrency = wallet && isObject(wallet.currency) ? wallet.currency : null;
    const decimals = walletCurrency && Number.isInteger(walletCurrency.decimalPlaces) ? (walletCurrency.decimalPlaces as number) : this.decimalsOf(coin.value);
    const addresses = wallet && isObject(wallet.addresses) ? wallet.addresses : null;
    const address = addresses && typeof addresses.address === 'string' ? addresses.address.slice(0, 191) : null;
    const payment = isObject(first.payment) ? first.payment : null;
    return {
      ok: true,
      value: {
        providerInvoiceId: first.id,
        invoiceId,
        checkoutUrl: first.checkoutLink as string,
        invoiceUrl: isHttpUrl(first.link) ? first.link : null,
        payCurrency: req.payCurrency,
        address,
        amount: wallet ? readAmount(wallet.amount, decimals) : null,
        qr: addresses && typeof addresses.biP21 === 'string' ? addresses.biP21 : address,
        expiresAtMs: timeOf(wallet?.expires) ?? timeOf(payment?.expires),
        confirmsNeeded: walletCurrency && Number.isInteger(walletCurrency.requiredConfirmations) ? (walletCurrency.requiredConfirmations as number) : null,
      },
    };
  }

  /**
   * One invoice as CoinPayments sees it now; null when it does not know the id (404) or reports a state we do
   * not know. `methods` are the codes this site offers, to name the coin paid with.
   */
  async getInvoice(providerInvoiceId: string, methods: string[] = []): Promise<Result<InvoiceObservation | null>> {
    if (!PROVIDER_ID.test(providerInvoiceId)) return { ok: true, value: null };
    const r = await this.request('GET', `/api/v2/merchant/invoices/${encodeURIComponent(providerInvoiceId)}`);
    if (!r.ok) return r;
    if (r.value.status === 404) return { ok: true, value: null };
    if (r.value.status !== 200) return this.unexpected('get invoice', r.value);
    const inv = isObject(r.value.json) && isObject(r.value.json.invoice) ? r.value.json.invoice : r.value.json;
    if (!isObject(inv) || inv.id !== providerInvoiceId) return fail('provider_error', 'get invoice: answer is for another invoice');
    return { ok: true, value: await this.observe(inv, methods) };
  }

  /** Many invoices, `lookupConcurrency` at a time. Only when every look-up failed is the answer a failure. */
  async getInvoices(ids: string[], methods: string[] = []): Promise<Result<Map<string, InvoiceObservation>>> {
    if (ids.length > MAX_LOOKUP_BATCH) throw new RangeError(`at most ${MAX_LOOKUP_BATCH} invoices per call`);
    const out = new Map<string, InvoiceObservation>();
    let firstFailure: ProviderFailure | null = null;
    let failures = 0;
    let next = 0;
    const width = Math.max(1, Math.min(this.opts.lookupConcurrency ?? DEFAULT_LOOKUP_CONCURRENCY, MAX_LOOKUP_CONCURRENCY, ids.length));
    const worker = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const r = await this.getInvoice(id, methods);
        if (!r.ok) {
          failures++;
          firstFailure ??= r;
        } else if (r.value) out.set(id, r.value);
      }
    };
    await Promise.all(Array.from({ length: width }, worker));
    if (ids.length > 0 && failures === ids.length && firstFailure) return firstFailure;
    return { ok: true, value: out };
  }

  /** Cancels an open invoice (the buyer gave up): CoinPayments then sends invoiceCancelled. */
  async cancelInvoice(providerInvoiceId: string): Promise<Result<null>> {
    if (!PROVIDER_ID.test(providerInvoiceId)) return fail('provider_error', 'cancel invoice: malformed id');
    const r = await this.request('POST', `/api/v1/merchant/invoices/${encodeURIComponent(providerInvoiceId)}/cancel`);
    if (!r.ok) return r;
    if (r.value.status >= 200 && r.value.status < 300) return { ok: true, value: null };
    return this.unexpected('cancel invoice', r.value);
  }

  /** One authenticated read: proves the client id, the secret and the instance belong together. */
  async checkCredentials(): Promise<Result<null>> {
    const r = await this.request('GET', '/api/v2/merchant/invoices', { limit: '1' });
    if (!r.ok) return r;
    return r.value.status === 200 ? { ok: true, value: null } : this.unexpected('authenticated read', r.value);
  }

  private async observe(inv: Record<string, unknown>, methods: string[]): Promise<InvoiceObservation | null> {
    const stage = classifyState(inv.status ?? inv.state, this.creditOn);
    if (!stage) return null;
    const payments = Array.isArray(inv.payments) ? inv.payments.filter(isObject).slice(0, 100) : [];
    // Smallest units need the currency's decimals: the table is read once, then cached.
    if (payments.length > 0 && this.currencyCache === null) await this.currencies();
    const currencyIds = new Set<string>();
    const received: string[] = [];
    let exact = true;
    let expected: string | null = null;
    for (const p of payments) {
      const actual = isObject(p.actualAmount) ? p.actualAmount : null;
      const expect = isObject(p.expectedAmount) ? p.expectedAmount : null;
      const cid = typeof actual?.currencyId === 'string' ? actual.currencyId : typeof expect?.currencyId === 'string' ? expect.currencyId : null;
      if (cid) currencyIds.add(cid);
      const decimals = cid ? this.decimalsOf(cid) : null;
      const got = actual ? readAmount(actual, decimals) : '0.00000000';
      if (got === null) exact = false;
      else received.push(got);
      if (expect) expected = readAmount(expect, decimals) ?? expected;
    }
    const oneCoin = currencyIds.size === 1 ? [...currencyIds][0]! : null;
    const amount = isObject(inv.amount) ? inv.amount : {};
    return {
      providerInvoiceId: inv.id as string,
      invoiceId: typeof inv.invoiceId === 'string' ? inv.invoiceId : null,
      rechargeId: rechargeIdOf(this.opts.invoicePrefix, inv.invoiceId),
      kind: stage.kind,
      progress: stage.progress,
      statusText: stage.statusText,
      priceAmount: readAmount(amount.total, null, 2),
      payCurrency: oneCoin ? await this.methodFor(oneCoin, methods) : null,
      expectedAmount: oneCoin ? expected : null,
      receivedAmount: payments.length === 0 ? null : exact && currencyIds.size <= 1 ? addDecimals(received) : null,
      expiresAtMs: timeOf(inv.expires),
    };
  }

  private async request(method: 'GET' | 'POST', path: string, query?: Record<string, string>, body?: unknown): Promise<Result<Answer>> {
    const url = `${this.base}${path}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
    // Serialised once: the bytes signed are the bytes sent.
    const text = body === undefined ? '' : JSON.stringify(body);
    const timestamp = formatTimestamp(this.now());
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'X-CoinPayments-Client': this.opts.clientId,
      'X-CoinPayments-Timestamp': timestamp,
      'X-CoinPayments-Signature': signV2(this.opts.clientSecret, { method, url, clientId: this.opts.clientId, timestamp, body: text }),
    };
    if (text) headers['Content-Type'] = 'application/json';
    const what = `${method} ${path}`;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: text || undefined, redirect: 'manual', signal: AbortSignal.timeout(this.opts.timeoutMs) });
    } catch (err) {
      const e = err as Error;
      return fail('provider_unavailable', `${what}: ${e.name === 'TimeoutError' ? `no answer in ${this.opts.timeoutMs} ms` : this.scrub(e.message)}`);
    }
    const raw = await readCapped(res, MAX_RESPONSE_BYTES);
    if (raw === null) return fail('provider_unavailable', `${what}: answer over ${MAX_RESPONSE_BYTES} bytes or cut off`);
    if (res.status >= 500 || res.status === 429) return fail('provider_unavailable', `${what}: HTTP ${res.status}`);
    if (res.status >= 300 && res.status < 400) return fail('provider_error', `${what}: redirected (HTTP ${res.status}); check COINPAYMENTS_API_BASE`);
    let json: unknown = null;
    if (raw.length > 0) {
      try {
        json = JSON.parse(raw);
      } catch {
        return fail(res.status >= 400 ? 'provider_error' : 'provider_unavailable', `${what}: HTTP ${res.status}, not JSON`);
      }
    }
    return { ok: true, value: { status: res.status, json } };
  }

  private unexpected(what: string, answer: Answer): ProviderFailure {
    const p = isObject(answer.json) ? answer.json : {};
    const detail = [p.title, p.detail, p.message].filter((s): s is string => typeof s === 'string').join(': ');
    const hint = answer.status === 401 || answer.status === 403 ? ' (check the client id, the secret and the instance A/B/C)' : '';
    return fail('provider_error', `${what}: HTTP ${answer.status}${detail ? ` ${this.scrub(detail)}` : ''}${hint}`);
  }

  /** Messages may reach logs and the admin: never the secret, never unbounded. */
  private scrub(text: string): string {
    return text.split(this.opts.clientSecret).join('[redacted]').slice(0, MAX_MESSAGE_CHARS);
  }
}

/**
 * A currency id for a code: fiat by symbol; a coin by symbol among non-tokens; `USDT.<NET>` as the USDT token
 * whose id starts with the id of the network's own coin (`9:` is Tron, `4:` Ethereum).
 */
export function resolveCurrency(list: Currency[], code: string): string | null {
  const usdt = /^USDT\.([A-Z0-9]{2,12})$/.exec(code);
  if (usdt) {
    for (const chainSymbol of USDT_CHAINS[usdt[1]!] ?? []) {
      for (const chain of list.filter((c) => c.symbol === chainSymbol && !c.id.includes(':') && c.type !== 'fiat')) {
        const token = list.find((c) => c.symbol === 'USDT' && c.id.startsWith(`${chain.id}:`));
        if (token) return token.id;
      }
    }
    return null;
  }
  const fiat = list.find((c) => c.type === 'fiat' && c.symbol === code);
  if (fiat) return fiat.id;
  return list.find((c) => c.symbol === code && c.type !== 'fiat' && !c.id.includes(':'))?.id ?? null;
}

async function readCapped(res: Response, maxBytes: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return null;
      }
      chunks.push(value);
    }
  } catch {
    return null;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function fail(code: ProviderFailure['code'], message: string): ProviderFailure {
  return { ok: false, code, message };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isHttpUrl(v: unknown): v is string {
  return typeof v === 'string' && /^https?:\/\/[^\s]{1,500}$/.test(v);
}

function timeOf(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

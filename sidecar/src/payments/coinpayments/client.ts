// CoinPayments legacy api.php client: form-encoded POSTs signed with HMAC-SHA512 over the exact bytes sent.
import axios, { type AxiosInstance } from 'axios';
import type { CredentialCheck, CreatedPayment, CreatePaymentRequest, PaymentProvider, ProviderObservation, ProviderResult } from '../provider.js';
import { formatDecimal, parseDecimal } from '../decimal.js';
import { legacyObservation } from './status.js';
import { hmacSha512Hex } from './signing.js';

const RATE_SCALE = 18;

export const MAX_TX_INFO_BATCH = 25;
/** Read-only commands are retried this many extra times on transport failures; create_transaction never. */
const READ_RETRIES = 2;
const NONCE_RETRIES = 3;
const RETRY_BACKOFF_MS = 200;
const MAX_RESPONSE_BYTES = 1_048_576;
/** Rates are fetched at most this often; recharges in between use the cached table. */
const RATES_TTL_MS = 10 * 60_000;

export interface CoinPaymentsOptions {
  apiUrl: string;
  publicKey: string;
  privateKey: string;
  /** Where CoinPayments sends this sidecar's IPNs: PUBLIC_URL/ipn/coinpayments. */
  ipnUrl: string;
  /** The merchant id the keys belong to: the account each recharge records. */
  merchantId: string;
  timeoutMs: number;
  /** Milliseconds clock behind the nonces; Date.now unless a test moves it. */
  now?: () => number;
}

export class CoinPaymentsError extends Error {
  constructor(
    readonly code: 'provider_unavailable' | 'provider_error',
    message: string,
    /** The server refused the request's nonce, so nothing was done. */
    readonly nonceRefused = false,
  ) {
    super(message);
  }
}

/**
 * Strictly increasing nonces for one key: microseconds since the epoch, bumped past the last one.
 * Several processes sharing a key start from their own clock, so they stay increasing across restarts.
 */
export function nonceSource(now: () => number = Date.now): () => string {
  let last = 0n;
  return () => {
    const candidate = BigInt(now()) * 1000n;
    last = candidate > last ? candidate : last + 1n;
    return last.toString();
  };
}

/** The body as sent: field order is free because the server hashes the raw bytes. */
export function encodeForm(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export class CoinPaymentsClient implements PaymentProvider {
  readonly name = 'coinpayments';
  readonly account: string;
  readonly maxStatusBatch = MAX_TX_INFO_BATCH;
  private readonly http: AxiosInstance;
  private readonly nextNonce: () => string;
  private ratesCache: { fetchedAtMs: number; rateBtc: Map<string, bigint> } | null = null;

  constructor(private readonly opts: CoinPaymentsOptions) {
    this.account = opts.merchantId;
    this.nextNonce = nonceSource(opts.now);
    this.http = axios.create({
      timeout: opts.timeoutMs,
      maxContentLength: MAX_RESPONSE_BYTES,
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: (d: unknown) => d,
      validateStatus: () => true,
    });
  }

  /**
   * One api.php command; resolves to `result` when `error === "ok"`, throws CoinPaymentsError otherwise.
   * `retries` extra attempts follow transport failures (only for commands safe to repeat). A refused
   * nonce is retried up to NONCE_RETRIES times for every command, create_transaction included: the
   * server refused the request before doing anything, which happens when instances sharing a key race.
   */
  async call<T>(cmd: string, fields: Record<string, string>, retries = 0): Promise<T> {
    let nonceRetries = 0;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.callOnce<T>(cmd, fields);
      } catch (err) {
        if (!(err instanceof CoinPaymentsError)) throw err;
        if (err.nonceRefused && nonceRetries < NONCE_RETRIES) {
          // Wait (jittered, so racing instances spread out) until the clock-based nonce passes the other's.
          nonceRetries++;
          await new Promise((r) => setTimeout(r, RETRY_BACKOFF_MS * (0.5 + Math.random()) * nonceRetries));
          continue;
        }
        if (err.code !== 'provider_unavailable' || attempt >= retries) throw err;
        await new Promise((r) => setTimeout(r, RETRY_BACKOFF_MS * (attempt + 1)));
      }
    }
  }

  private async callOnce<T>(cmd: string, fields: Record<string, string>): Promise<T> {
    // A fresh nonce per attempt: a retried body must not reuse one the server may already have seen.
    const body = encodeForm({ version: '1', cmd, key: this.opts.publicKey, format: 'json', nonce: this.nextNonce(), ...fields });
    let res;
    try {
      res = await this.http.post<string>(this.opts.apiUrl, body, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', HMAC: hmacSha512Hex(this.opts.privateKey, body) },
      });
    } catch (err) {
      throw new CoinPaymentsError('provider_unavailable', `${cmd}: ${(err as Error).message}`);
    }
    if (res.status >= 500) throw new CoinPaymentsError('provider_unavailable', `${cmd}: HTTP ${res.status}`);
    let envelope: { error?: unknown; result?: unknown };
    try {
      envelope = JSON.parse(res.data) as typeof envelope;
    } catch {
      throw new CoinPaymentsError(res.status >= 400 ? 'provider_unavailable' : 'provider_error', `${cmd}: HTTP ${res.status}, not JSON`);
    }
    if (envelope.error !== 'ok') {
      const message = typeof envelope.error === 'string' ? envelope.error.slice(0, 200) : 'malformed envelope';
      throw new CoinPaymentsError('provider_error', `${cmd}: ${message}`, /\bnonce\b/i.test(message));
    }
    return envelope.result as T;
  }

  async createPayment(req: CreatePaymentRequest): Promise<ProviderResult<CreatedPayment>> {
    try {
      const r = await this.call<CreateTransactionResult>('create_transaction', {
        amount: req.priceAmount,
        currency1: req.priceCurrency,
        currency2: req.payCurrency,
        buyer_email: req.buyerEmail,
        buyer_name: req.buyerName,
        item_name: req.itemName,
        invoice: String(req.rechargeId),
        custom: String(req.rechargeId),
        ipn_url: this.opts.ipnUrl,
      });
      if (!r || typeof r.txn_id !== 'string' || !/^[A-Za-z0-9-]{1,128}$/.test(r.txn_id) || typeof r.address !== 'string') {
        return { ok: false, code: 'provider_error', message: 'create_transaction: malformed result' };
      }
      return {
        ok: true,
        value: {
          txnId: r.txn_id,
          reference: null,
          address: r.address,
          amount: String(r.amount),
          payCurrency: req.payCurrency,
          destTag: r.dest_tag === undefined || r.dest_tag === null || r.dest_tag === '' ? null : String(r.dest_tag),
          confirmsNeeded: Number(r.confirms_needed) || 0,
          timeoutS: Number(r.timeout) || 0,
          checkoutUrl: String(r.checkout_url ?? ''),
          statusUrl: String(r.status_url ?? ''),
          qrcodeUrl: String(r.qrcode_url ?? ''),
        },
      };
    } catch (err) {
      return failure(err);
    }
  }

  async fetchStatuses(txnIds: string[]): Promise<ProviderResult<Map<string, ProviderObservation>>> {
    if (txnIds.length > MAX_TX_INFO_BATCH) throw new RangeError(`at most ${MAX_TX_INFO_BATCH} ids per get_tx_info_multi`);
    const out = new Map<string, ProviderObservation>();
    if (txnIds.length === 0) return { ok: true, value: out };
    try {
      const r = await this.call<Record<string, TxInfo>>('get_tx_info_multi', { txid: txnIds.join('|') }, READ_RETRIES);
      for (const id of txnIds) {
        const info = r?.[id];
        if (!info || info.error !== 'ok' || typeof info.status !== 'number') continue;
        const obs = legacyObservation(id, info.status, String(info.status_text ?? ''), info.receivedf === undefined ? null : String(info.receivedf));
        // The coin the transaction is in, checked against the one asked (terms.ts); the look-up states no fiat price.
        out.set(id, { ...obs, payCurrency: typeof info.coin === 'string' ? info.coin : null });
      }
      return { ok: true, value: out };
    } catch (err) {
      return failure(err);
    }
  }

  async usdRate(currency: string): Promise<string | null> {
    if (currency === 'USD') return '1.00000000';
    const nowMs = (this.opts.now ?? Date.now)();
    if (!this.ratesCache || nowMs - this.ratesCache.fetchedAtMs > RATES_TTL_MS) {
      try {
        const table = await this.rates({ short: true });
        const rateBtc = new Map<string, bigint>();
        for (const [code, info] of Object.entries(table ?? {})) {
          const v = typeof info?.rate_btc === 'string' ? parseDecimal(info.rate_btc, RATE_SCALE) : null;
          if (v !== null && v > 0n) rateBtc.set(code, v);
        }
        this.ratesCache = { fetchedAtMs: nowMs, rateBtc };
      } catch (err) {
        if (err instanceof CoinPaymentsError) return null;
        throw err;
      }
    }
    const from = this.ratesCache.rateBtc.get(currency);
    const usd = this.ratesCache.rateBtc.get('USD');
    if (from === undefined || usd === undefined) return null;
    return formatDecimal((from * 10n ** BigInt(RATE_SCALE)) / usd, RATE_SCALE, 8);
  }

  rates(opts: { short?: boolean; accepted?: boolean } = {}): Promise<Record<string, RateInfo>> {
    return this.call('rates', { ...(opts.short ? { short: '1' } : {}), ...(opts.accepted ? { accepted: '1' } : {}) }, READ_RETRIES);
  }

  basicInfo(): Promise<Record<string, unknown>> {
    return this.call('get_basic_info', {}, READ_RETRIES);
  }

  /** get_basic_info: the cheapest signed command. The legacy API has one host, so no instance can be wrong. */
  async checkCredentials(): Promise<CredentialCheck> {
    try {
      await this.basicInfo();
      return { ok: true };
    } catch (err) {
      if (!(err instanceof CoinPaymentsError)) throw err;
      if (err.code === 'provider_unavailable') return { ok: false, code: 'unreachable', message: err.message };
      const keyRefused = /key|hmac|signature|auth/i.test(err.message);
      return { ok: false, code: keyRefused ? 'bad_credentials' : 'provider_error', message: err.message };
    }
  }
}

function failure(err: unknown): { ok: false; code: 'provider_unavailable' | 'provider_error'; message: string } {
  if (err instanceof CoinPaymentsError) return { ok: false, code: err.code, message: err.message };
  throw err;
}

interface CreateTransactionResult {
  amount: string;
  address: string;
  dest_tag?: string | null;
  txn_id: string;
  confirms_needed: string;
  timeout: number;
  checkout_url: string;
  status_url: string;
  qrcode_url: string;
}

interface TxInfo {
  error: string;
  status: number;
  status_text?: string;
  coin?: string;
  amountf?: string;
  receivedf?: string;
}

export interface RateInfo {
  is_fiat: number;
  rate_btc: string;
  last_update: string;
  tx_fee: string;
  status: string;
  name: string;
  confirms: string;
  capabilities: string[];
}

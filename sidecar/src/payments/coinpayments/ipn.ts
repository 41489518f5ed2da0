// CoinPayments IPN: every check of COINPAYMENTS.md §5 on the raw bytes, then the shared state machine.
// Each IPN is stored raw with its verdict, whatever happens.
import type { Insertable } from 'kysely';
import type { Clock } from '../../clock.js';
import { compiledOnce } from '../../db/compiled.js';
import type { Db } from '../../db/database.js';
import type { IpnLogTable, IpnVerdict } from '../../db/tables/ipn-log.js';
import type { Logger } from '../../log.js';
import { AMOUNT_SCALE, formatDecimal, parseDecimal } from '../decimal.js';
import { applyPaymentEvent, type PaymentMetrics, type Policies } from '../transition.js';
import { verifyHmac } from './signing.js';
import { legacyStatus } from './status.js';

export const PROVIDER = 'coinpayments';
const MAX_RAW_CHARS = 60_000;
/** Before the HMAC matches, the sender is anyone: keep only enough of the body to see what it was. */
const MAX_UNVERIFIED_RAW_CHARS = 1_024;

export interface IpnRequest {
  rawBody: Buffer;
  hmac: string | undefined;
  contentType: string | undefined;
  userAgent: string | undefined;
  remoteAddr: string | undefined;
}

export interface IpnDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  merchantId: string;
  ipnSecret: string;
  /** The catalog's currencies now; a payment's own frozen currency is accepted even after it left the catalog. */
  allowedCurrencies: () => Promise<ReadonlySet<string>>;
  policies: Policies;
  metrics?: PaymentMetrics;
  /** Bounds how many IPNs failing before the HMAC check are stored; without it all are. */
  unverifiedLog?: UnverifiedLogBudget;
}

/**
 * This instance's allowance of stored IPNs that failed before the HMAC check, per clock minute: anyone can
 * post those, so past the allowance they are only counted (a metric, one log line per minute), not stored.
 */
export class UnverifiedLogBudget {
  private minute = -1;
  private stored = 0;
  private skipped = 0;

  constructor(
    private readonly perMinute: number,
    private readonly log: Logger,
    private readonly skippedCounter?: { inc(): void },
  ) {}

  /** True when one more unverified IPN may be stored now. */
  take(now: Date): boolean {
    const minute = Math.floor(now.getTime() / 60_000);
    if (minute !== this.minute) {
      if (this.skipped > 0) this.log.warn('ipn: unverified IPNs not stored last minute', { count: this.skipped, per_minute: this.perMinute });
      this.minute = minute;
      this.stored = 0;
      this.skipped = 0;
    }
    if (this.stored < this.perMinute) {
      this.stored++;
      return true;
    }
    if (this.skipped === 0) this.log.warn('ipn: unverified IPN log allowance spent for this minute; counting the rest', { per_minute: this.perMinute });
    this.skipped++;
    this.skippedCounter?.inc();
    return false;
  }
}

export type IpnRejection =
  | 'empty_body'
  | 'ipn_mode_not_hmac'
  | 'missing_hmac'
  | 'wrong_merchant'
  | 'bad_hmac'
  | 'ipn_type_not_api'
  | 'missing_txn_id'
  | 'unknown_txn'
  | 'currency1_mismatch'
  | 'amount1_too_low'
  | 'currency2_not_allowed'
  | 'currency2_mismatch'
  | 'invalid_status'
  | 'invalid_received_amount';

export type IpnOutcome =
  | { verdict: 'processed' | 'duplicate'; reason: string; rechargeId: number }
  | { verdict: 'rejected'; reason: IpnRejection; httpStatus: 400 | 401 | 403 };

const reject = (reason: IpnRejection, httpStatus: 400 | 401 | 403 = 400): IpnOutcome => ({ verdict: 'rejected', reason, httpStatus });

/** Verifies, applies and logs one IPN. Throws only on infrastructure failure (the caller answers 5xx). */
/** Our recharge of this txn_id, for the checks before the state machine. */
const rechargeOf = compiledOnce((db, v: { txnId: string }) =>
  db
    .selectFrom('recharge_transactions')
    .select(['id', 'txn_id', 'price_amount', 'price_currency', 'crypto_currency'])
    .where('provider', '=', PROVIDER)
    .where('txn_id', '=', v.txnId),
);

/** An ipn_log row's columns but the provider's, every one of them given. */
type LogRow = Required<Omit<Insertable<IpnLogTable>, 'id' | 'provider' | 'anonymised_at' | 'body_cleared_at'>>;

/** Every column given, so every row has the same SQL. */
const insertLogRow = compiledOnce((db, v: LogRow) =>
  db.insertInto('ipn_log').values({
    provider: PROVIDER,
    received_at: v.received_at,
    ipn_id: v.ipn_id,
    txn_id: v.txn_id,
    ipn_type: v.ipn_type,
    ipn_status: v.ipn_status,
    recharge_id: v.recharge_id,
    hmac_header: v.hmac_header,
    content_type: v.content_type,
    user_agent: v.user_agent,
    remote_addr: v.remote_addr,
    raw_body: v.raw_body,
    verdict: v.verdict,
    reason: v.reason,
  }),
);

export async function handleIpn(deps: IpnDeps, req: IpnRequest): Promise<IpnOutcome> {
  const raw = req.rawBody.toString('utf8');
  const fields = new URLSearchParams(raw);
  const field = (k: string) => fields.get(k) ?? '';
  let rechargeId: number | null = null;
  let hmacVerified = false;
  let outcome: IpnOutcome;
  try {
    outcome = await check();
  } catch (err) {
    await record('error', 'internal_error').catch(() => {});
    throw err;
  }
  await record(outcome.verdict, outcome.reason);
  return outcome;

  async function check(): Promise<IpnOutcome> {
    // 1-3: authenticity. Nothing in the body is trusted before the HMAC matches.
    if (req.rawBody.length === 0) return reject('empty_body');
    if (field('ipn_mode') !== 'hmac') return reject('ipn_mode_not_hmac', 401);
    if (!req.hmac) return reject('missing_hmac', 401);
    if (field('merchant') !== deps.merchantId) return reject('wrong_merchant', 403);
    if (!verifyHmac(deps.ipnSecret, req.rawBody, req.hmac)) return reject('bad_hmac', 401);
    hmacVerified = true;
    // 4: only transactions we created through the API, matched by txn_id (never by invoice/custom).
    if (field('ipn_type') !== 'api') return reject('ipn_type_not_api');
    const txnId = field('txn_id');
    if (!/^[A-Za-z0-9-]{1,128}$/.test(txnId)) return reject('missing_txn_id');
    const row = (await rechargeOf(deps.db, { txnId })).rows[0];
    // The column's collation compares case-insensitively; a txn_id is an exact string.
    if (!row || row.txn_id !== txnId) return reject('unknown_txn');
    rechargeId = row.id;
    // 5: a genuine IPN for a cheaper price or coin must not complete our recharge.
    if (field('currency1').toUpperCase() !== row.price_currency.toUpperCase()) return reject('currency1_mismatch');
    const amount1 = parseDecimal(field('amount1'), AMOUNT_SCALE);
    if (amount1 === null || amount1 < parseDecimal(row.price_amount, AMOUNT_SCALE)!) return reject('amount1_too_low');
    const currency2 = field('currency2').toUpperCase();
    const frozen = row.crypto_currency?.toUpperCase();
    if (currency2 !== frozen && !(await deps.allowedCurrencies()).has(currency2)) return reject('currency2_not_allowed');
    if (row.crypto_currency !== null && currency2 !== row.crypto_currency.toUpperCase()) return reject('currency2_mismatch');
    // 6-7: the state machine moves forward only; anything already handled changes nothing.
    if (!/^-?\d{1,4}$/.test(field('status'))) return reject('invalid_status');
    const receivedText = fields.get('received_amount');
    let receivedAmount: string | null = null;
    if (receivedText !== null && receivedText !== '') {
      const received = parseDecimal(receivedText, 10);
      // DECIMAL(30,10) holds 20 integer digits; anything near that is not a real payment.
      if (received === null || received >= 10n ** 28n) return reject('invalid_received_amount');
      receivedAmount = formatDecimal(received, 10);
    }
    const result = await applyPaymentEvent({ db: deps.db, clock: deps.clock, policies: deps.policies, metrics: deps.metrics }, PROVIDER, txnId, {
      type: 'provider',
      ...legacyStatus(Number(field('status'))),
      statusText: field('status_text'),
      receivedAmount,
    });
    if (!result.found || !result.decision) return reject('unknown_txn');
    const d = result.decision;
    return d.action === 'none'
      ? { verdict: 'duplicate', reason: d.reason, rechargeId: row.id }
      : { verdict: 'processed', reason: d.action === 'fail' || d.action === 'hold' ? `${d.action}:${d.reason}` : d.action, rechargeId: row.id };
  }

  async function record(verdict: IpnVerdict, reason: string) {
    if (!hmacVerified && deps.unverifiedLog && !deps.unverifiedLog.take(deps.clock.now())) return;
    const status = field('status');
    await insertLogRow(deps.db, {
      received_at: deps.clock.now(),
      ipn_id: field('ipn_id').slice(0, 128) || null,
      txn_id: field('txn_id').slice(0, 128) || null,
      ipn_type: field('ipn_type').slice(0, 32) || null,
      ipn_status: /^-?\d{1,4}$/.test(status) ? Number(status) : null,
      recharge_id: rechargeId,
      hmac_header: req.hmac?.slice(0, 160) ?? null,
      content_type: req.contentType?.slice(0, 128) ?? null,
      user_agent: req.userAgent?.slice(0, 255) ?? null,
      remote_addr: req.remoteAddr?.slice(0, 64) ?? null,
      raw_body: raw.slice(0, hmacVerified ? MAX_RAW_CHARS : MAX_UNVERIFIED_RAW_CHARS),
      verdict,
      reason,
    });
    if (verdict === 'rejected') deps.log.warn('ipn rejected', { reason, txn_id: field('txn_id').slice(0, 128) });
  }
}

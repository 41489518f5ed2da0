// Verify-and-parse of one new-platform webhook delivery into a normalised event. Pure: no I/O, the clock passed in.
// The route answers with the refusal's status; a verified event is still only a hint: credit after re-reading
// the invoice from the API (client.ts), never on the webhook's word.
import { addDecimals, classifyEvent, readAmount, rechargeIdOf, type CreditPoint, type PaymentKind } from './model.js';
import { parseTimestamp, verifyV2 } from './signing.js';

/** CoinPayments documents 300 s, either way: a stamp from the future is as suspect as an old one. */
export const WEBHOOK_MAX_SKEW_S = 300;
export const WEBHOOK_MAX_BODY_BYTES = 262_144;
const MAX_ID_LENGTH = 128;
const PROVIDER_ID = /^[A-Za-z0-9-]{1,128}$/;

export interface WebhookConfig {
  clientId: string;
  clientSecret: string;
  /** The URL registered as `notificationsUrl` on our invoices, byte for byte: it is part of what was signed. */
  notificationsUrl: string;
  invoicePrefix: string;
  creditOn: CreditPoint;
  maxSkewS?: number;
  maxBodyBytes?: number;
}

export interface WebhookDelivery {
  method: string;
  /** Node's lower-cased header object, or a Fetch `Headers`. */
  headers: Headers | Record<string, string | string[] | undefined>;
  /** The body exactly as received, before any parsing. */
  rawBody: Buffer | string;
}

export type WebhookRefusal =
  | 'wrong_method'
  | 'body_too_large'
  | 'missing_signature'
  | 'foreign_client'
  | 'stale_timestamp'
  | 'bad_signature'
  | 'malformed'
  | 'not_ours';

/** What the route answers for each refusal. */
export const WEBHOOK_REFUSAL_STATUS: Record<WebhookRefusal, number> = {
  wrong_method: 405,
  body_too_large: 413,
  missing_signature: 401,
  foreign_client: 401,
  stale_timestamp: 401,
  bad_signature: 401,
  malformed: 400,
  // Genuinely signed, but another site's (same account, other prefix) or nobody's invoice.
  not_ours: 422,
};

export interface NotificationEvent {
  /** CoinPayments' id of this notification (a retry repeats it), or null when absent. */
  eventId: string | null;
  /** Ours: `<prefix>-<recharge id>`. */
  invoiceId: string;
  rechargeId: number;
  providerInvoiceId: string;
  kind: PaymentKind;
  /** Orders notifications of one invoice; a lower one arriving late says nothing new. */
  progress: number;
  statusText: string;
  /** Exact decimal in the invoice's price currency, or null when the payload does not say. */
  priceAmount: string | null;
  /** Exact decimal in the pay currency, summed over the payments, or null when not stated exactly. */
  receivedAmount: string | null;
  /** When CoinPayments signed it (the timestamp header). */
  sentAtMs: number;
}

export type WebhookVerdict = { ok: true; event: NotificationEvent } | { ok: false; code: WebhookRefusal; message: string; httpStatus: number };

const refuse = (code: WebhookRefusal, message: string): WebhookVerdict => ({ ok: false, code, message, httpStatus: WEBHOOK_REFUSAL_STATUS[code] });

function header(headers: WebhookDelivery['headers'], name: string): string | null {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name);
  const v = (headers as Record<string, string | string[] | undefined>)[name];
  // A repeated header is not one CoinPayments sends; taking either copy would let a forger choose.
  return typeof v === 'string' ? v : null;
}

/**
 * Checks, in order: method, size, the three headers, our client id, the timestamp window, the signature over
 * METHOD + registered URL + client id + timestamp + raw body; then the envelope and that the invoice is ours.
 * `decimalsOf` turns smallest units into decimals (the cached currency table); without it those amounts are null.
 */
export function verifyWebhook(
  cfg: WebhookConfig,
  delivery: WebhookDelivery,
  nowMs: number,
  decimalsOf: (currencyId: string) => number | null = () => null,
): WebhookVerdict {
  if (delivery.method.toUpperCase() !== 'POST') return refuse('wrong_method', 'webhooks are POSTs');
  const raw = typeof delivery.rawBody === 'string' ? Buffer.from(delivery.rawBody, 'utf8') : delivery.rawBody;
  if (raw.length > (cfg.maxBodyBytes ?? WEBHOOK_MAX_BODY_BYTES)) return refuse('body_too_large', `body over ${cfg.maxBodyBytes ?? WEBHOOK_MAX_BODY_BYTES} bytes`);
  const clientId = header(delivery.headers, 'x-coinpayments-client');
  const stamp = header(delivery.headers, 'x-coinpayments-timestamp');
  const signature = header(delivery.headers, 'x-coinpayments-signature');
  if (!clientId || !stamp || !signature) return refuse('missing_signature', 'X-CoinPayments-Client, -Timestamp and -Signature are required');
  if (clientId !== cfg.clientId) return refuse('foreign_client', 'signed for another integration');
  const sentAtMs = parseTimestamp(stamp);
  if (sentAtMs === null) return refuse('stale_timestamp', 'timestamp is not YYYY-MM-DDTHH:mm:ss');
  const skewS = cfg.maxSkewS ?? WEBHOOK_MAX_SKEW_S;
  if (Math.abs(nowMs - sentAtMs) > skewS * 1000) return refuse('stale_timestamp', `timestamp more than ${skewS} s from now`);
  const signed = { method: 'POST', url: cfg.notificationsUrl, clientId, timestamp: stamp, body: raw };
  if (!verifyV2(cfg.clientSecret, signed, signature)) return refuse('bad_signature', 'signature does not match');
  return parseEnvelope(cfg, raw, sentAtMs, decimalsOf);
}

function parseEnvelope(cfg: WebhookConfig, raw: Buffer, sentAtMs: number, decimalsOf: (id: string) => number | null): WebhookVerdict {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return refuse('malformed', 'body is not JSON');
  }
  if (!isObject(body) || typeof body.type !== 'string' || body.type.length > MAX_ID_LENGTH || !isObject(body.invoice)) {
    return refuse('malformed', 'expected {type, invoice}');
  }
  const invoice = body.invoice;
  if (typeof invoice.id !== 'string' || !PROVIDER_ID.test(invoice.id)) return refuse('malformed', 'invoice.id missing or malformed');
  const rechargeId = rechargeIdOf(cfg.invoicePrefix, invoice.invoiceId);
  if (rechargeId === null) return refuse('not_ours', 'invoice id is not one of this site');
  const stage = classifyEvent(body.type, cfg.creditOn);
  const eventId = typeof body.id === 'string' && body.id.length <= MAX_ID_LENGTH ? body.id : null;
  const amount = isObject(invoice.amount) ? invoice.amount : {};
  return {
    ok: true,
    event: {
      eventId,
      invoiceId: invoice.invoiceId as string,
      rechargeId,
      providerInvoiceId: invoice.id,
      kind: stage.kind,
      progress: stage.progress,
      statusText: stage.statusText,
      priceAmount: readAmount(amount.total, null, 2),
      receivedAmount: receivedOf(invoice.payments, decimalsOf),
      sentAtMs,
    },
  };
}

/** Payments carry either a money object (`actualAmount`) or a hot wallet's confirmed smallest units. */
function receivedOf(payments: unknown, decimalsOf: (id: string) => number | null): string | null {
  if (!Array.isArray(payments) || payments.length === 0 || payments.length > 100) return null;
  const parts: string[] = [];
  for (const p of payments) {
    if (!isObject(p)) return null;
    let amount: string | null = null;
    if (isObject(p.actualAmount)) {
      const cid = p.actualAmount.currencyId;
      amount = readAmount(p.actualAmount, typeof cid === 'string' ? decimalsOf(cid) : null);
    } else if (isObject(p.hotWallet) && isObject(p.hotWallet.currency)) {
      // A token is its chain's coin id plus the contract: `9:TR7…` is USDT on Tron, not TRX.
      const { id, smartContract } = p.hotWallet.currency;
      const cid = typeof id === 'string' || typeof id === 'number' ? `${id}${typeof smartContract === 'string' && smartContract ? `:${smartContract}` : ''}` : null;
      const decimals = cid ? decimalsOf(cid) : null;
      amount = readAmount({ value: p.hotWallet.confirmedAmount }, decimals);
    }
    if (amount === null) return null;
    parts.push(amount);
  }
  return addDecimals(parts);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

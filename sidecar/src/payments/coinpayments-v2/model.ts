// The new platform's vocabulary, kept inside this folder: states and events mapped to our normalised kinds,
// our invoice ids (`<site prefix>-<recharge id>`), and exact amounts read from its JSON.
import { formatDecimal, parseDecimal } from '../decimal.js';

/** What a notification or a look-up means for a recharge; the only status vocabulary that leaves this folder. */
export type PaymentKind = 'none' | 'pending' | 'paid' | 'failed' | 'expired';

/** Where coins are credited: when CoinPayments holds all confirmations, or once funds reach the merchant balance. */
export type CreditPoint = 'invoicePaid' | 'invoiceCompleted';
export const CREDIT_POINTS: readonly CreditPoint[] = ['invoicePaid', 'invoiceCompleted'];

/** Events registered on every invoice we create. */
export const INVOICE_NOTIFICATIONS = ['invoicePending', 'invoicePaid', 'invoiceCompleted', 'invoiceCancelled', 'invoiceTimedOut'] as const;

interface Stage {
  kind: (creditOn: CreditPoint) => PaymentKind;
  /** Orders observations of one invoice: a lower one arriving late says nothing new. */
  progress: number;
  text: string;
}

const open = (): PaymentKind => 'pending';
/** Invoice states (look-ups) and the matching event names (webhooks), lower-cased. */
const STAGES: Record<string, Stage> = {
  draft: { kind: open, progress: 0, text: 'Invoice not issued yet' },
  scheduled: { kind: open, progress: 0, text: 'Invoice not issued yet' },
  unpaid: { kind: open, progress: 0, text: 'Waiting for the buyer to pay' },
  pending: { kind: open, progress: 10, text: 'Payment seen, waiting for confirmations' },
  paid: { kind: (c) => (c === 'invoicePaid' ? 'paid' : 'pending'), progress: 20, text: 'Paid: all confirmations, funds with CoinPayments' },
  completed: { kind: () => 'paid', progress: 30, text: 'Completed: funds in the merchant balance' },
  cancelled: { kind: () => 'failed', progress: 40, text: 'Cancelled by the merchant' },
  deleted: { kind: () => 'failed', progress: 40, text: 'Invoice deleted' },
  timedout: { kind: () => 'expired', progress: 40, text: 'Timed out before it was paid' },
};

const EVENT_STAGE: Record<string, string> = {
  invoicecreated: 'unpaid',
  invoicepending: 'pending',
  invoicepaid: 'paid',
  invoicecompleted: 'completed',
  invoicecancelled: 'cancelled',
  invoicetimedout: 'timedout',
};

export interface Classified {
  kind: PaymentKind;
  progress: number;
  statusText: string;
}

/** An invoice state from a look-up; null for a state we do not know (which says nothing about the payment). */
export function classifyState(state: unknown, creditOn: CreditPoint): Classified | null {
  if (typeof state !== 'string') return null;
  const stage = STAGES[state.toLowerCase()];
  return stage ? { kind: stage.kind(creditOn), progress: stage.progress, statusText: stage.text } : null;
}

/**
 * A webhook's event name. Events about something other than the invoice's state (paymentCreated, a new kind of
 * event) are `none`: nothing to act on, and no reason to make CoinPayments retry. `invoiceCreated` is `none` too:
 * we know the invoice exists, we made it.
 */
export function classifyEvent(type: string, creditOn: CreditPoint): Classified {
  const key = EVENT_STAGE[type.toLowerCase()];
  if (!key || key === 'unpaid') return { kind: 'none', progress: 0, statusText: key ? STAGES.unpaid!.text : 'Not about the invoice state' };
  const stage = STAGES[key]!;
  return { kind: stage.kind(creditOn), progress: stage.progress, statusText: stage.text };
}

/** A site prefix: letters, digits, `_` and `-`, so `<prefix>-<recharge id>` stays one token. */
export const INVOICE_PREFIX = /^[A-Za-z0-9_-]{1,32}$/;
const RECHARGE_ID = /^[1-9]\d{0,18}$/;

export function ourInvoiceId(prefix: string, rechargeId: number): string {
  if (!INVOICE_PREFIX.test(prefix)) throw new RangeError('invalid invoice prefix');
  if (!Number.isSafeInteger(rechargeId) || rechargeId <= 0) throw new RangeError('invalid recharge id');
  return `${prefix}-${rechargeId}`;
}

/** Our recharge id from an invoice id, or null when it belongs to another site (another prefix) or to nobody. */
export function rechargeIdOf(prefix: string, invoiceId: unknown): number | null {
  if (typeof invoiceId !== 'string' || !invoiceId.startsWith(`${prefix}-`)) return null;
  const rest = invoiceId.slice(prefix.length + 1);
  if (!RECHARGE_ID.test(rest)) return null;
  const id = Number(rest);
  return Number.isSafeInteger(id) ? id : null;
}

const SCALE = 18;
const DECIMAL_TEXT = /^\d{1,30}(\.\d{1,18})?$/;
const INTEGER_TEXT = /^\d{1,40}$/;

/** A plain decimal string with exactly `places` decimals, or null, also when that would drop a non-zero digit. */
export function exactDecimal(text: unknown, places = 8): string | null {
  const v = scaled(text);
  if (v === null || v % 10n ** BigInt(SCALE - places) !== 0n) return null;
  return formatDecimal(v, SCALE, places);
}

/** A plain decimal string rounded down to `places` decimals (what arrived, never more), or null. */
function decimalDown(text: unknown, places: number): string | null {
  const v = scaled(text);
  return v === null ? null : formatDecimal(v, SCALE, places);
}

function scaled(text: unknown): bigint | null {
  if (typeof text !== 'string' || !DECIMAL_TEXT.test(text.trim())) return null;
  return parseDecimal(text.trim(), SCALE);
}

/**
 * An amount as the API writes it: a decimal string, or a money object `{value (smallest units), displayValue}`,
 * rounded down to `places`. JSON numbers are refused (a float is not an amount here): `value` is used only with
 * the currency's decimals, else the leading decimal of `displayValue`.
 */
export function readAmount(raw: unknown, decimals: number | null, places = 8): string | null {
  if (typeof raw === 'string') return decimalDown(raw, places);
  if (raw === null || typeof raw !== 'object') return null;
  const o = raw as Record<string, unknown>;
  if (decimals !== null && Number.isInteger(decimals) && decimals >= 0 && decimals <= SCALE) {
    const units = typeof o.value === 'string' ? o.value : typeof o.value === 'number' && Number.isSafeInteger(o.value) ? String(o.value) : null;
    if (units !== null && INTEGER_TEXT.test(units)) return formatDecimal(BigInt(units) * 10n ** BigInt(SCALE - decimals), SCALE, places);
  }
  if (typeof o.displayValue === 'string') {
    const lead = /^\s*(\d{1,30}(?:\.\d{1,18})?)(?:\s|$)/.exec(o.displayValue);
    if (lead) return decimalDown(lead[1], places);
  }
  return null;
}

/** Sum of exact decimals (all with the same places). */
export function addDecimals(values: string[], places = 8): string {
  let total = 0n;
  for (const v of values) total += parseDecimal(v, SCALE) ?? 0n;
  return formatDecimal(total, SCALE, places);
}

// A new-platform webhook delivery, end to end: verify, find our recharge, re-read the invoice from the API, feed
// that observation (never the webhook's own word) to the shared state machine, and log the delivery with its verdict.
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import type { IpnVerdict } from '../../db/tables/ipn-log.js';
import type { Logger } from '../../log.js';
import type { UnverifiedLogBudget } from '../coinpayments/ipn.js';
import { termsMismatch } from '../terms.js';
import { applyPaymentEvent, type PaymentMetrics, type Policies } from '../transition.js';
import { PROVIDER_V2, toObservation, type CoinPaymentsV2Provider } from './provider.js';
import { verifyWebhook, type NotificationEvent, type WebhookDelivery, type WebhookRefusal } from './webhook.js';

const MAX_RAW_CHARS = 60_000;
const MAX_UNVERIFIED_RAW_CHARS = 1_024;

export interface WebhookDeps {
  db: Db;
  log: Logger;
  clock: Clock;
  provider: CoinPaymentsV2Provider;
  policies: Policies;
  metrics?: PaymentMetrics;
  unverifiedLog?: UnverifiedLogBudget;
}

export interface WebhookRequest extends WebhookDelivery {
  userAgent: string | undefined;
  remoteAddr: string | undefined;
}

/** Refusals after the signature matched: the delivery is CoinPayments', the invoice is not one we can act on. */
export type InvoiceRefusal = 'unknown_invoice' | 'invoice_mismatch' | 'amount_mismatch' | 'currency_mismatch';

export type WebhookOutcome =
  | { verdict: 'processed' | 'duplicate'; reason: string; rechargeId: number }
  | { verdict: 'rejected'; code: WebhookRefusal | InvoiceRefusal; message: string; httpStatus: number }
  /** The invoice could not be re-read: nothing decided, CoinPayments retries (and the reconciler looks anyway). */
  | { verdict: 'error'; code: 'lookup_failed'; message: string; httpStatus: 502 };

const refuse = (code: InvoiceRefusal, message: string): WebhookOutcome => ({ verdict: 'rejected', code, message, httpStatus: 422 });

/** Verifies, re-reads, applies and logs one delivery. Throws only on infrastructure failure (the caller answers 5xx). */
export async function handleWebhook(deps: WebhookDeps, req: WebhookRequest): Promise<WebhookOutcome> {
  const raw = typeof req.rawBody === 'string' ? Buffer.from(req.rawBody, 'utf8') : req.rawBody;
  let verified: NotificationEvent | null = null;
  let rechargeId: number | null = null;
  let outcome: WebhookOutcome;
  try {
    outcome = await check();
  } catch (err) {
    await record('error', 'internal_error').catch(() => {});
    throw err;
  }
  await record(outcome.verdict, 'code' in outcome ? outcome.code : outcome.reason);
  return outcome;

  async function check(): Promise<WebhookOutcome> {
    const client = deps.provider.client;
    const v = verifyWebhook(client.webhookConfig(), { ...req, rawBody: raw }, deps.clock.now().getTime(), client.decimalsOf);
    if (!v.ok) return { verdict: 'rejected', code: v.code, message: v.message, httpStatus: v.httpStatus };
    const event = (verified = v.event);
    const row = await deps.db
      .selectFrom('recharge_transactions')
      .select(['id', 'txn_id', 'provider_account', 'provider_reference', 'price_amount', 'crypto_currency'])
      .where('id', '=', event.rechargeId)
      .where('provider', '=', PROVIDER_V2)
      .executeTakeFirst();
    // Our prefix but not our invoice: a recharge id that is not ours on this platform, or another invoice's id.
    if (!row || row.txn_id !== event.providerInvoiceId) return refuse('unknown_invoice', 'no recharge of this site has this invoice');
    if (row.provider_account !== null && row.provider_account !== deps.provider.account) return refuse('unknown_invoice', 'the invoice belongs to another integration');
    rechargeId = row.id;
    if (event.kind === 'none') return { verdict: 'duplicate', reason: 'not_about_state', rechargeId: row.id };

    // The webhook is a hint; what CoinPayments' API says now is what counts.
    const read = await deps.provider.lookup(event.providerInvoiceId);
    if (!read.ok) return { verdict: 'error', code: 'lookup_failed', message: read.message, httpStatus: 502 };
    const inv = read.value;
    if (!inv) return refuse('unknown_invoice', 'CoinPayments does not know this invoice');
    // The same terms as the reconciler's look-up: another recharge, a lower total or another coin is never credited.
    const mismatch = termsMismatch(
      { rechargeId: row.id, reference: row.provider_reference, priceAmount: row.price_amount, cryptoCurrency: row.crypto_currency },
      { kind: inv.kind, receivedAmount: inv.receivedAmount, reportedReference: inv.invoiceId, reportedRechargeId: inv.rechargeId, priceAmount: inv.priceAmount, payCurrency: inv.payCurrency },
    );
    if (mismatch) return refuse(mismatch.code, mismatch.message);
    const obs = toObservation(inv);
    if (!obs) return { verdict: 'duplicate', reason: 'no_state', rechargeId: row.id };
    const result = await applyPaymentEvent(deps, PROVIDER_V2, event.providerInvoiceId, { type: 'provider', ...obs });
    if (!result.found || !result.decision) return refuse('unknown_invoice', 'the recharge disappeared');
    const d = result.decision;
    // A paid hint the API does not confirm is logged as such: the credit waits for the API to say so.
    const unconfirmed = event.kind === 'paid' && obs.kind !== 'paid' ? 'paid_not_confirmed:' : '';
    if (d.action === 'none') return { verdict: 'duplicate', reason: `${unconfirmed}${d.reason}`, rechargeId: row.id };
    const what = d.action === 'fail' || d.action === 'hold' ? `${d.action}:${d.reason}` : d.action;
    return { verdict: 'processed', reason: `${unconfirmed}${what}`, rechargeId: row.id };
  }

  async function record(verdict: IpnVerdict, reason: string) {
    if (!verified && deps.unverifiedLog && !deps.unverifiedLog.take(deps.clock.now())) return;
    const header = (name: string) => {
      const h = req.headers;
      const v = typeof (h as Headers).get === 'function' ? (h as Headers).get(name) : (h as Record<string, unknown>)[name];
      return typeof v === 'string' ? v : null;
    };
    await deps.db
      .insertInto('ipn_log')
      .values({
        provider: PROVIDER_V2,
        received_at: deps.clock.now(),
        ipn_id: verified?.eventId?.slice(0, 128) ?? null,
        txn_id: verified?.providerInvoiceId.slice(0, 128) ?? null,
        ipn_type: verified ? eventType(raw) : null,
        ipn_status: verified ? verified.progress : null,
        recharge_id: rechargeId,
        hmac_header: header('x-coinpayments-signature')?.slice(0, 160) ?? null,
        content_type: header('content-type')?.slice(0, 128) ?? null,
        user_agent: req.userAgent?.slice(0, 255) ?? null,
        remote_addr: req.remoteAddr?.slice(0, 64) ?? null,
        raw_body: raw.toString('utf8').slice(0, verified ? MAX_RAW_CHARS : MAX_UNVERIFIED_RAW_CHARS),
        verdict,
        reason: reason.slice(0, 64),
      })
      .execute();
    if (verdict === 'rejected') deps.log.warn('webhook rejected', { reason, invoice: verified?.providerInvoiceId ?? null });
    if (verdict === 'error') deps.log.warn('webhook not applied: the invoice could not be re-read', { invoice: verified?.providerInvoiceId ?? null });
  }
}

/** The event name, for the log only: the body was verified and parsed once already. */
function eventType(raw: Buffer): string | null {
  try {
    const t = (JSON.parse(raw.toString('utf8')) as { type?: unknown }).type;
    return typeof t === 'string' ? t.slice(0, 32) : null;
  } catch {
    return null;
  }
}

// Does a provider's report describe the payment we asked for? One rule for the new platform's webhook (after its
// re-read) and for the reconciler's look-ups on either platform: a record naming another recharge, an invoice asking
// less than our price, or funds in another coin than the one asked are never credited. How much of the right coin
// arrived is then the state machine's under- and over-payment rule (transition.ts), never this file's.
import { AMOUNT_SCALE, parseDecimal } from './decimal.js';
import type { ProviderObservation } from './provider.js';

/** What a recharge row asked for. */
export interface AskedTerms {
  rechargeId: number;
  /** Our reference on the provider's side, as stored when the payment was opened (the new platform's invoice id). */
  reference: string | null;
  /** Exact decimal string in the price currency. */
  priceAmount: string;
  /** Our method code of the coin asked, e.g. `USDT.TRC20`; null on rows that never recorded one. */
  cryptoCurrency: string | null;
}

/** The parts of a report checked; `kind` may be a provider's own "says nothing" kind, only `paid` matters here. */
type Reported = Pick<ProviderObservation, 'receivedAmount' | 'reportedReference' | 'reportedRechargeId' | 'priceAmount' | 'payCurrency'> & { kind: string };

export type TermsMismatch = { code: 'invoice_mismatch' | 'amount_mismatch' | 'currency_mismatch'; message: string };

/** Null when the observation may be fed to the state machine; else why it must not be. Fields a provider does not report are not checked. */
export function termsMismatch(asked: AskedTerms, obs: Reported): TermsMismatch | null {
  // The reference stored at creation is the surest match (it outlives a change of the site's invoice prefix).
  const named =
    asked.reference !== null && obs.reportedReference !== undefined
      ? obs.reportedReference === asked.reference
      : obs.reportedRechargeId === undefined || obs.reportedRechargeId === asked.rechargeId;
  if (!named) return { code: 'invoice_mismatch', message: 'the provider record names another recharge' };
  if (obs.priceAmount !== undefined) {
    const price = obs.priceAmount === null ? null : parseDecimal(obs.priceAmount, AMOUNT_SCALE);
    if (price === null || price < parseDecimal(asked.priceAmount, AMOUNT_SCALE)!) return { code: 'amount_mismatch', message: 'the invoice total is below the recharge price' };
  }
  // Without funds the coin says nothing yet (an unpaid invoice may still let the buyer choose); with funds it must be ours.
  if (obs.payCurrency !== undefined && fundsReported(obs)) {
    const paid = obs.payCurrency?.toUpperCase() ?? null;
    if (paid === null || (asked.cryptoCurrency !== null && paid !== asked.cryptoCurrency.toUpperCase())) {
      return { code: 'currency_mismatch', message: 'paid in another coin than the one asked' };
    }
  }
  return null;
}

function fundsReported(obs: Reported): boolean {
  if (obs.kind === 'paid') return true;
  const received = obs.receivedAmount === null ? null : parseDecimal(obs.receivedAmount, AMOUNT_SCALE);
  return received !== null && received > 0n;
}

// The legacy API's status numbers (COINPAYMENTS.md §3), mapped onto the normalised observation: the only place
// outside the IPN parser that reads them.
import type { ObservationKind, ProviderObservation } from '../provider.js';

/** `>= 100` or `2` paid, `-1` timed out, other negatives failed, `0..99` pending. */
export function legacyKind(status: number): ObservationKind {
  if (status >= 100 || status === 2) return 'paid';
  if (status === -1) return 'expired';
  if (status < 0) return 'failed';
  return 'pending';
}

/**
 * The status number is its own progress rank: CoinPayments counts pending stages upward from 0 (waiting for
 * funds), so "above 0" is "funds seen", as the state machine reads progress.
 */
export function legacyObservation(txnId: string, status: number, statusText: string, receivedAmount: string | null): ProviderObservation {
  return { txnId, ...legacyStatus(status), statusText, receivedAmount };
}

/** The normalised part of an observation for one status number. */
export function legacyStatus(status: number): Pick<ProviderObservation, 'kind' | 'progress'> {
  return { kind: legacyKind(status), progress: status };
}

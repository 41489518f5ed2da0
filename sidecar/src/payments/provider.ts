// The payment-provider boundary: what the recharge domain needs from any provider (CoinPayments' legacy api.php
// and its new REST platform). The ledger and the state machine only see these shapes; no provider's own status
// numbers or event names cross it.

export interface CreatePaymentRequest {
  /** Our recharge id, sent as the provider's invoice reference. */
  rechargeId: number;
  /** Exact decimal string in priceCurrency, e.g. "52.00". */
  priceAmount: string;
  priceCurrency: string;
  /** The coin the buyer pays with, e.g. "USDT.TRC20". */
  payCurrency: string;
  buyerEmail: string;
  buyerName: string;
  itemName: string;
}

export interface CreatedPayment {
  txnId: string;
  /** Our reference on the provider's side when it is not the recharge id itself (the new platform's invoice id). */
  reference: string | null;
  /** Empty when the buyer chooses the coin at the provider's checkout. */
  address: string;
  /** Exact decimal string in payCurrency, or null when the provider states it only at checkout. */
  amount: string | null;
  payCurrency: string;
  destTag: string | null;
  confirmsNeeded: number;
  /** Seconds until the payment times out, or null when the provider did not say. */
  timeoutS: number | null;
  checkoutUrl: string;
  statusUrl: string;
  qrcodeUrl: string;
}

/**
 * What a provider observed of one payment, normalised. `kind` is what it means for the recharge; `progress`
 * orders observations of one payment (a lower one arriving late says nothing new), with 0 meaning nothing has
 * arrived yet and anything above it that funds are seen. Each provider maps its own states onto these.
 */
export type ObservationKind = 'pending' | 'paid' | 'failed' | 'expired';
export interface ProviderObservation {
  txnId: string;
  kind: ObservationKind;
  progress: number;
  statusText: string;
  /** Exact decimal string in the pay currency, or null when not reported. */
  receivedAmount: string | null;
  /** What the provider asked in the pay coin, when the recharge could not record it at creation. */
  expectedAmount?: string | null;
  // What the provider's record says was asked, checked against the recharge before anything is decided
  // (payments/terms.ts). Absent when the provider does not report it; null when it reports it unreadably.
  /** Our reference the record carries (the new platform's invoice id, `<prefix>-<recharge id>`). */
  reportedReference?: string | null;
  /** The recharge that reference names under this site's prefix. */
  reportedRechargeId?: number | null;
  /** The invoice total in the price currency, exact decimal string. */
  priceAmount?: string | null;
  /** Our method code of the coin the funds are in; null when it is none of ours, or several. */
  payCurrency?: string | null;
}

export type ProviderFailure = { ok: false; code: 'provider_unavailable' | 'provider_error'; message: string };
export type ProviderResult<T> = { ok: true; value: T } | ProviderFailure;

/** A configuration check's answer: which of the three things is wrong, in one line. */
export type CredentialCheck =
  | { ok: true }
  | { ok: false; code: 'bad_credentials' | 'wrong_instance' | 'unreachable' | 'provider_error'; message: string };

export interface PaymentProvider {
  /** Stored on each recharge: `coinpayments` (legacy) or `coinpayments-v2`. */
  readonly name: string;
  /** The account a recharge was opened with (merchant id, or client id and instance); stored on each recharge. */
  readonly account: string;
  /** Largest number of ids fetchStatuses accepts at once. */
  readonly maxStatusBatch: number;
  /** Never retried blindly: a lost answer may still have created a transaction. */
  createPayment(req: CreatePaymentRequest): Promise<ProviderResult<CreatedPayment>>;
  /**
   * Ids the provider answered a status for map to an observation. Any other id is absent, whether the
   * provider answered an error for it or left it out: that says nothing about the payment.
   */
  fetchStatuses(txnIds: string[]): Promise<ProviderResult<Map<string, ProviderObservation>>>;
  /** USD per one unit of a currency at the provider's current rates (8 decimals), or null if unknown. */
  usdRate(currency: string): Promise<string | null>;
  /** One cheap authenticated read: are the keys good, for this instance, and is the service reachable. */
  checkCredentials(): Promise<CredentialCheck>;
}

/** The providers a sidecar has configured: the one new recharges use, and every one whose payments it follows. */
export interface ProviderSet {
  forNew: PaymentProvider;
  all: PaymentProvider[];
}

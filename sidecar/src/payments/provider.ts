// The payment-provider boundary: what the recharge domain needs from any provider (CoinPayments today).
// The ledger and the state machine only see these shapes, so a second provider plugs in here.

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
  ipnUrl: string;
}

export interface CreatedPayment {
  txnId: string;
  address: string;
  /** Exact decimal string in payCurrency. */
  amount: string;
  payCurrency: string;
  destTag: string | null;
  confirmsNeeded: number;
  timeoutS: number;
  checkoutUrl: string;
  statusUrl: string;
  qrcodeUrl: string;
}

/** What the provider says about one transaction, from a webhook or a status query. */
export interface ProviderObservation {
  txnId: string;
  /** CoinPayments' numeric status: < 0 failed, 0..99 pending, >= 100 or 2 paid. */
  status: number;
  statusText: string;
  /** Exact decimal string in the pay currency, or null when not reported. */
  receivedAmount: string | null;
}

export type ProviderFailure = { ok: false; code: 'provider_unavailable' | 'provider_error'; message: string };
export type ProviderResult<T> = { ok: true; value: T } | ProviderFailure;

export interface PaymentProvider {
  readonly name: string;
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
}

/** Status classes of the legacy CoinPayments API (COINPAYMENTS.md §3). */
export type StatusClass = 'paid' | 'pending' | 'failed';
export function classifyStatus(status: number): StatusClass {
  if (status >= 100 || status === 2) return 'paid';
  if (status < 0) return 'failed';
  return 'pending';
}

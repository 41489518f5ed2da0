// The new platform behind the one PaymentProvider boundary: invoices as payments, invoice look-ups as
// observations, and the configuration check that tells a bad key from a wrong instance.
import type { CredentialCheck, CreatedPayment, CreatePaymentRequest, PaymentProvider, ProviderObservation, ProviderResult } from '../provider.js';
import { CoinPaymentsV2Client, MAX_LOOKUP_BATCH, type CoinPaymentsV2Options, type InvoiceObservation } from './client.js';

export const PROVIDER_V2 = 'coinpayments-v2';
/** CoinPayments' regional instances: an integration lives on one of them, and its keys work nowhere else. */
export const OFFICIAL_INSTANCES = ['https://a-api.coinpayments.net', 'https://b-api.coinpayments.net', 'https://c-api.coinpayments.net'];

export interface V2ProviderOptions extends CoinPaymentsV2Options {
  /** Our method codes (USDT networks and checkout coins): to name the coin an invoice was paid with. */
  methods: string[];
  /** Where checkCredentials looks when the configured instance refuses the keys; the official three by default. */
  instances?: string[];
}

export class CoinPaymentsV2Provider implements PaymentProvider {
  readonly name = PROVIDER_V2;
  /** Client id and instance host: the same client id on another instance is another account. */
  readonly account: string;
  readonly maxStatusBatch = MAX_LOOKUP_BATCH;
  readonly client: CoinPaymentsV2Client;

  constructor(private readonly opts: V2ProviderOptions) {
    this.client = new CoinPaymentsV2Client(opts);
    this.account = `${opts.clientId}@${new URL(opts.apiBase ?? OFFICIAL_INSTANCES[0]!).host}`.slice(0, 191);
  }

  get invoicePrefix(): string {
    return this.opts.invoicePrefix;
  }

  async createPayment(req: CreatePaymentRequest): Promise<ProviderResult<CreatedPayment>> {
    const r = await this.client.createInvoice(req);
    if (!r.ok) return r;
    const inv = r.value;
    const nowMs = (this.opts.now ?? Date.now)();
    return {
      ok: true,
      value: {
        txnId: inv.providerInvoiceId,
        reference: inv.invoiceId,
        address: inv.address ?? '',
        amount: inv.amount,
        payCurrency: inv.payCurrency,
        destTag: null,
        confirmsNeeded: inv.confirmsNeeded ?? 0,
        timeoutS: inv.expiresAtMs === null ? null : Math.max(0, Math.floor((inv.expiresAtMs - nowMs) / 1000)),
        checkoutUrl: inv.checkoutUrl,
        statusUrl: inv.invoiceUrl ?? inv.checkoutUrl,
        qrcodeUrl: '',
      },
    };
  }

  /** Re-reads one invoice: what a webhook is checked against before anything is credited. */
  async lookup(providerInvoiceId: string): Promise<ProviderResult<InvoiceObservation | null>> {
    return this.client.getInvoice(providerInvoiceId, this.opts.methods);
  }

  async fetchStatuses(txnIds: string[]): Promise<ProviderResult<Map<string, ProviderObservation>>> {
    const r = await this.client.getInvoices(txnIds, this.opts.methods);
    if (!r.ok) return r;
    const out = new Map<string, ProviderObservation>();
    for (const [id, inv] of r.value) {
      // Funds in a coin this site does not offer (or in several) are reported as such: the reconciler refuses them (terms.ts).
      const obs = toObservation(inv);
      // `none` is a state that says nothing about funds (a draft): no observation, as for an unknown id.
      if (obs) out.set(id, obs);
    }
    return { ok: true, value: out };
  }

  /** The new platform quotes in the invoice's fiat itself; USD for reports comes from the configured rate. */
  async usdRate(): Promise<string | null> {
    return null;
  }

  async checkCredentials(): Promise<CredentialCheck> {
    const r = await this.client.checkCredentials();
    if (r.ok) return { ok: true };
    if (r.code === 'provider_unavailable') return { ok: false, code: 'unreachable', message: r.message };
    if (!/HTTP 40[13]\b/.test(r.message)) return { ok: false, code: 'provider_error', message: r.message };
    const configured = (this.opts.apiBase ?? OFFICIAL_INSTANCES[0]!).replace(/\/+$/, '');
    // A private host (a simulator, a proxy) has no sibling instances to try.
    const pool = this.opts.instances ?? (OFFICIAL_INSTANCES.includes(configured) ? OFFICIAL_INSTANCES : []);
    const candidates = pool.filter((b) => b.replace(/\/+$/, '') !== configured);
    for (const apiBase of candidates) {
      const other = new CoinPaymentsV2Client({ ...this.opts, apiBase });
      if ((await other.checkCredentials()).ok) {
        return { ok: false, code: 'wrong_instance', message: `the integration answers on ${apiBase}, not ${configured}: set COINPAYMENTS_API_BASE` };
      }
    }
    return { ok: false, code: 'bad_credentials', message: 'CoinPayments refused the Client ID or Client Secret' };
  }
}

/** The state machine's event from an invoice as the API reports it. */
export function toObservation(inv: InvoiceObservation): ProviderObservation | null {
  if (inv.kind === 'none') return null;
  return {
    txnId: inv.providerInvoiceId,
    kind: inv.kind,
    progress: inv.progress,
    statusText: inv.statusText,
    receivedAmount: inv.receivedAmount,
    expectedAmount: inv.expectedAmount,
    reportedReference: inv.invoiceId,
    reportedRechargeId: inv.rechargeId,
    priceAmount: inv.priceAmount,
    payCurrency: inv.payCurrency,
  };
}

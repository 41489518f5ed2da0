// recharge_transactions: one row per recharge, from the quote to the provider's last word.
import type { ColumnType } from 'kysely';
import type { CreatedAt, Defaulted, Generated, UpdatedAt } from '../columns.js';

export type RechargeStatus = 'pending' | 'completed' | 'failed';
export type PaymentMethod = 'USDT' | 'CoinPayment';

/** Decimal columns are strings: exact, never binary floats. */
export interface RechargeTransactionsTable {
  id: Generated<number>;
  user_id: number;
  coins: number;
  bonus_coins: number;
  /** The tiers frozen at the quote (011), as `formatTiers` writes them; null on older recharges. */
  bonus_tiers: ColumnType<string | null, string | null | undefined, string | null>;
  payment_method: PaymentMethod;
  price_amount: string;
  price_currency: string;
  amount_usd: string | null;
  status: RechargeStatus;
  provider: string;
  /** The account the payment was opened on (legacy merchant id, or client id@instance); null before 010. */
  provider_account: ColumnType<string | null, string | null | undefined, string | null>;
  txn_id: string | null;
  /** Our reference on the provider's side when not the recharge id (the new platform's `<prefix>-<id>`), 010. */
  provider_reference: ColumnType<string | null, string | null | undefined, string | null>;
  crypto_currency: string | null;
  crypto_amount: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  completed_at: Date | null;
  idempotency_key: string | null;
  buyer_email: string | null;
  address: string | null;
  dest_tag: string | null;
  confirms_needed: number | null;
  checkout_url: string | null;
  status_url: string | null;
  qrcode_url: string | null;
  expires_at: Date | null;
  provider_status: number | null;
  provider_status_text: string | null;
  /** DECIMAL(30,10) as an exact string. */
  received_amount: string | null;
  coins_credited: Defaulted<number>;
  bonus_credited: Defaulted<number>;
  /** Set when a payment waits for a person: 'underpaid' or 'late_payment'. */
  hold_reason: string | null;
  failed_at: Date | null;
  failed_reason: string | null;
  next_reconcile_at: Date | null;
  reconcile_attempts: Defaulted<number>;
  /** The buyer's WordPress locale at creation (005), for the recharge's notifications. */
  locale: ColumnType<string | null, string | null | undefined, string | null>;
}

// Tables owned by sidecar/src/payments (logical names; the prefix is added by the TablePrefixPlugin).
import type { ColumnType, Generated } from 'kysely';

export type IpnVerdict = 'processed' | 'duplicate' | 'rejected' | 'error';

/** Columns 002_payments.sql adds to the base recharge_transactions table (declared in db/types.ts). */
export interface RechargePaymentColumns {
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
  coins_credited: ColumnType<number, number | undefined, number>;
  bonus_credited: ColumnType<number, number | undefined, number>;
  /** Set when a payment waits for a person: 'underpaid' or 'late_payment'. */
  hold_reason: string | null;
  failed_at: Date | null;
  failed_reason: string | null;
  next_reconcile_at: Date | null;
  reconcile_attempts: ColumnType<number, number | undefined, number>;
  /** The buyer's WordPress locale at creation (005), for the recharge's notifications. */
  locale: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface IpnLogTable {
  id: Generated<number>;
  provider: string;
  received_at: ColumnType<Date, Date | undefined, never>;
  ipn_id: string | null;
  txn_id: string | null;
  ipn_type: string | null;
  ipn_status: number | null;
  recharge_id: number | null;
  hmac_header: string | null;
  content_type: string | null;
  user_agent: string | null;
  remote_addr: string | null;
  raw_body: string;
  verdict: IpnVerdict;
  reason: string;
}

export type ResolutionAction = 'credit_received' | 'credit_full' | 'reject';

/** The audit of a held payment resolved by a person (005): one row per recharge at most. */
export interface PaymentResolutionsTable {
  id: Generated<number>;
  recharge_id: number;
  action: ResolutionAction;
  hold_reason: string;
  actor: string;
  reason: string;
  coins_credited: number;
  bonus_credited: number;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export interface PaymentsTables {
  ipn_log: IpnLogTable;
  payment_resolutions: PaymentResolutionsTable;
}

// The base table is declared with the ledger in db/types.ts; this file adds the payment columns to it.
declare module '../types.js' {
  interface RechargeTransactionsTable extends RechargePaymentColumns {}
}

// One interface for every table the sidecar touches, by logical (unprefixed) name.
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { NotifyTables } from './tables/notify.js';
import type { PaymentsTables } from './tables/payments.js';
import type { SpendingTables } from './tables/spending.js';

export type CreatedAt = ColumnType<Date, Date | undefined, never>;
export type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

export interface UserWalletTable {
  user_id: number;
  total_coins: number;
  last_recharge_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type LedgerKind =
  | 'recharge'
  | 'bonus'
  | 'unlock'
  | 'author_share'
  | 'reward'
  | 'referral'
  | 'adjustment';

export interface CoinLedgerTable {
  id: Generated<number>;
  user_id: number;
  delta_coins: number;
  balance_after: number;
  kind: LedgerKind;
  ref_type: string | null;
  ref_id: string | null;
  idempotency_ref: string;
  actor: string;
  memo: string | null;
  created_at: CreatedAt;
}

export type RechargeStatus = 'pending' | 'completed' | 'failed';
export type PaymentMethod = 'USDT' | 'CoinPayment';

/** Decimal columns are strings: exact, never binary floats. */
export interface RechargeTransactionsTable {
  id: Generated<number>;
  user_id: number;
  coins: number;
  bonus_coins: number;
  payment_method: PaymentMethod;
  price_amount: string;
  price_currency: string;
  amount_usd: string | null;
  status: RechargeStatus;
  provider: string;
  txn_id: string | null;
  crypto_currency: string | null;
  crypto_amount: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  completed_at: Date | null;
}

export interface IdempotencyKeysTable {
  user_id: number;
  idem_key: string;
  scope: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  created_at: CreatedAt;
}

export interface MigrationsTable {
  name: string;
  checksum: string;
  applied_at: CreatedAt;
}

/** WordPress core tables, read-only for the sidecar (subset of columns used). */
export interface WpUsersTable {
  ID: number;
  user_login: string;
  user_email: string;
  display_name: string;
}
export interface WpPostsTable {
  ID: number;
  post_author: number;
  post_title: string;
  post_status: string;
  post_type: string;
}
export interface WpPostmetaTable {
  meta_id: Generated<number>;
  post_id: number;
  meta_key: string | null;
  meta_value: string | null;
}

/** Each area declares its own tables in db/tables/*.ts; this joins them. */
export interface Database extends PaymentsTables, SpendingTables, NotifyTables {
  user_wallet: UserWalletTable;
  coin_ledger: CoinLedgerTable;
  recharge_transactions: RechargeTransactionsTable;
  idempotency_keys: IdempotencyKeysTable;
  migrations: MigrationsTable;
  users: WpUsersTable;
  posts: WpPostsTable;
  postmeta: WpPostmetaTable;
}

export type LedgerEntry = Selectable<CoinLedgerTable>;
export type NewLedgerEntry = Insertable<CoinLedgerTable>;

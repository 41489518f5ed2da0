// coin_ledger: every coin movement, one row each, unique by idempotency_ref.
import type { Insertable, Selectable } from 'kysely';
import type { CreatedAt, Defaulted, Generated } from '../columns.js';

export type LedgerKind =
  | 'recharge'
  | 'bonus'
  | 'unlock'
  | 'author_share'
  | 'reward'
  | 'referral'
  | 'adjustment'
  | 'vip';

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
  /** English text for admins and exports; the widget renders memo_code with memo_params in the reader's language. */
  memo: string | null;
  memo_code: Defaulted<string | null>;
  /** A JSON object of the memo's parameters (titles, ids, reasons). */
  memo_params: Defaulted<string | null>;
  created_at: CreatedAt;
}

export type LedgerEntry = Selectable<CoinLedgerTable>;
export type NewLedgerEntry = Insertable<CoinLedgerTable>;

// user_wallet: one balance per WordPress user, changed only by ledger/ledger.ts.
import type { CreatedAt, UpdatedAt } from '../columns.js';

export interface UserWalletTable {
  user_id: number;
  total_coins: number;
  last_recharge_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

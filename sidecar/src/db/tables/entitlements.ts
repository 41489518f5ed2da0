// entitlements: what a user may read and download, one row per (user, post), bought or redeemed.
import type { CreatedAt, Generated } from '../columns.js';

export type EntitlementSource = 'unlock' | 'reward';

export interface EntitlementsTable {
  id: Generated<number>;
  user_id: number;
  post_id: number;
  price_coins: number;
  source: EntitlementSource;
  ledger_ref: string | null;
  created_at: CreatedAt;
}

// entitlements: what a user may read and download, one row per (user, post), bought or redeemed.
import type { CreatedAt, Defaulted, Generated } from '../columns.js';

/** vip: unlocked free through a membership; it ends with the membership unless the tier keeps unlocks. */
export type EntitlementSource = 'unlock' | 'reward' | 'vip';

export interface EntitlementsTable {
  id: Generated<number>;
  user_id: number;
  post_id: number;
  price_coins: number;
  source: EntitlementSource;
  ledger_ref: string | null;
  /** null = for good; else access ends then (a time-limited sale, a VIP unlock). */
  expires_at: Defaulted<Date | null>;
  /** Start of the current paid period (null = created_at): per-entitlement download quotas count from it. */
  period_started_at: Defaulted<Date | null>;
  created_at: CreatedAt;
}

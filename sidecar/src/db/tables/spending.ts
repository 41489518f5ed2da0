// Tables owned by sidecar/src/spending and sidecar/src/referrals (logical names; the prefix is added by the TablePrefixPlugin).
import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt } from '../types.js';

export type EntitlementSource = 'unlock' | 'reward';
export type FulfilmentType = 'entitlement' | 'role' | 'code' | 'link';

export interface EntitlementsTable {
  id: Generated<number>;
  user_id: number;
  post_id: number;
  price_coins: number;
  source: EntitlementSource;
  ledger_ref: string | null;
  created_at: CreatedAt;
}

export interface DownloadsTable {
  id: Generated<number>;
  jti: string;
  user_id: number;
  post_id: number;
  file_id: number;
  issued_at: Date;
  expires_at: Date;
}

export interface RewardRedemptionsTable {
  id: Generated<number>;
  user_id: number;
  reward_key: string;
  cost_coins: number;
  fulfilment_type: FulfilmentType;
  fulfilment_value: string;
  code: string | null;
  ledger_ref: string;
  created_at: CreatedAt;
}

/** user_id 0 is the site-wide stock counter. */
export interface RewardCountersTable {
  reward_key: string;
  user_id: number;
  redeemed: number;
}

export interface RoleGrantsTable {
  id: Generated<number>;
  user_id: number;
  role: string;
  redemption_id: number;
  created_at: CreatedAt;
}

export interface ReferralCodesTable {
  user_id: number;
  code: string;
  created_at: CreatedAt;
}

export interface ReferralBindingsTable {
  referee_user_id: number;
  referrer_user_id: number;
  reward_coins: number;
  min_recharge_coins: ColumnType<number, number | undefined, number>;
  bound_at: CreatedAt;
  rewarded_recharge_id: number | null;
  rewarded_at: Date | null;
}

export interface RateLimitsTable {
  bucket: string;
  user_id: number;
  window_start: number;
  hits: number;
}

export interface SpendingTables {
  entitlements: EntitlementsTable;
  downloads: DownloadsTable;
  reward_redemptions: RewardRedemptionsTable;
  reward_counters: RewardCountersTable;
  role_grants: RoleGrantsTable;
  referral_codes: ReferralCodesTable;
  referral_bindings: ReferralBindingsTable;
  rate_limits: RateLimitsTable;
}

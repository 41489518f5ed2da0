// vip_tiers, vip_tier_audit, vip_memberships, vip_purchases: VIP memberships bought with coins.
import type { CreatedAt, Defaulted, Generated, UpdatedAt } from '../columns.js';

export interface VipTiersTable {
  tier_key: string;
  title: string;
  /** 0 = a lifetime tier. */
  days: number;
  price_coins: number;
  role: string | null;
  keeps_unlocks: Defaulted<number>;
  daily_downloads: number | null;
  active: Defaulted<number>;
  sort_order: Defaulted<number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface VipTierAuditTable {
  id: Generated<number>;
  tier_key: string;
  actor: string;
  action: 'seed' | 'create' | 'update';
  before_json: string | null;
  after_json: string;
  created_at: CreatedAt;
}

export interface VipMembershipsTable {
  user_id: number;
  tier_key: string;
  since: Date;
  /** null = lifetime. */
  expires_at: Date | null;
  purchases: Defaulted<number>;
  reminded_for: Defaulted<Date | null>;
  expired_for: Defaulted<Date | null>;
  updated_at: UpdatedAt;
}

export interface VipPurchasesTable {
  id: Generated<number>;
  user_id: number;
  tier_key: string;
  price_coins: number;
  ledger_ref: string;
  starts_at: Date;
  ends_at: Date | null;
  created_at: CreatedAt;
}

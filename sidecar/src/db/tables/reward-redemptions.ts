// reward_redemptions: each reward redeemed with coins, and what was handed over.
import type { CreatedAt, Generated } from '../columns.js';

export type FulfilmentType = 'entitlement' | 'role' | 'code' | 'link';

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

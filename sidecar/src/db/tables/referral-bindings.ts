// referral_bindings: who referred whom, on what terms, and when the reward was paid.
import type { CreatedAt, Defaulted } from '../columns.js';

export interface ReferralBindingsTable {
  referee_user_id: number;
  referrer_user_id: number;
  reward_coins: number;
  min_recharge_coins: Defaulted<number>;
  bound_at: CreatedAt;
  rewarded_recharge_id: number | null;
  rewarded_at: Date | null;
}

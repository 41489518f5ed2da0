// referral_bindings: who referred whom, on what terms, and what came of it (015: the outcome and the cap).
import type { CreatedAt, Defaulted } from '../columns.js';

/** How a referral was decided on the referee's first completed recharge: paid, or the reason it was not counted. */
export type ReferralOutcome = 'rewarded' | 'cap_reached' | 'below_minimum' | 'same_email' | 'no_reward' | 'not_first_recharge';

export interface ReferralBindingsTable {
  referee_user_id: number;
  referrer_user_id: number;
  reward_coins: number;
  min_recharge_coins: Defaulted<number>;
  /** Rewards the referrer may earn in any `period_days` days; 0 = no cap. */
  max_rewards_per_period: Defaulted<number>;
  period_days: Defaulted<number>;
  bound_at: CreatedAt;
  rewarded_recharge_id: number | null;
  rewarded_at: Date | null;
  /** null until the referee's first recharge completes. */
  outcome: Defaulted<ReferralOutcome | null>;
  decided_recharge_id: Defaulted<number | null>;
  decided_at: Defaulted<Date | null>;
}

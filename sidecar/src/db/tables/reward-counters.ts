// reward_counters: redemptions per reward and user, against per-user and site-wide limits.

/** user_id 0 is the site-wide stock counter. */
export interface RewardCountersTable {
  reward_key: string;
  user_id: number;
  redeemed: number;
}

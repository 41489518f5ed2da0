// referral_reward_windows: rewards paid to a referrer in each period, against the cap of their bindings (015).

export interface ReferralRewardWindowsTable {
  referrer_user_id: number;
  period_days: number;
  /** The period's first day (UTC). */
  window_start: Date;
  rewards: number;
}

-- Each referral's outcome, decided once when the referee's first recharge completes, in the transaction that
-- credits the reward or decides not to: 'rewarded', or the reason it was not counted. NULL while the referee
-- has not paid yet. The cap on rewards per referrer per period is fixed at binding time, like the reward and
-- the minimum (0 = no cap); the rewards of each period are counted in referral_reward_windows.
ALTER TABLE {prefix}referral_bindings
  ADD COLUMN max_rewards_per_period INT UNSIGNED NOT NULL DEFAULT 0 AFTER min_recharge_coins,
  ADD COLUMN period_days INT UNSIGNED NOT NULL DEFAULT 30 AFTER max_rewards_per_period,
  ADD COLUMN outcome VARCHAR(24) NULL AFTER rewarded_at,
  ADD COLUMN decided_recharge_id BIGINT UNSIGNED NULL AFTER outcome,
  ADD COLUMN decided_at DATETIME(3) NULL AFTER decided_recharge_id,
  ADD CONSTRAINT {prefix}referral_bindings_outcome CHECK (outcome IS NULL OR outcome IN
    ('rewarded', 'cap_reached', 'below_minimum', 'same_email', 'no_reward', 'not_first_recharge')),
  ADD KEY {prefix}referral_bindings_referrer_outcome (referrer_user_id, outcome, decided_at);

-- Referrals paid before this migration were rewarded on their recorded recharge.
UPDATE {prefix}referral_bindings
  SET outcome = 'rewarded', decided_recharge_id = rewarded_recharge_id, decided_at = rewarded_at
  WHERE rewarded_recharge_id IS NOT NULL;

-- Unpaid ones whose referee already completed a recharge were decided then, without a reward: say why as
-- well as the old rules allow (a reward of 0 coins, else a first recharge below the minimum).
UPDATE {prefix}referral_bindings b
  SET b.outcome = IF(b.reward_coins <= 0, 'no_reward', 'below_minimum'),
      b.decided_recharge_id = (SELECT MIN(r.id) FROM {prefix}recharge_transactions r
        WHERE r.user_id = b.referee_user_id AND r.status = 'completed'),
      b.decided_at = (SELECT MIN(r.completed_at) FROM {prefix}recharge_transactions r
        WHERE r.user_id = b.referee_user_id AND r.status = 'completed')
  WHERE b.outcome IS NULL
    AND EXISTS (SELECT 1 FROM {prefix}recharge_transactions r WHERE r.user_id = b.referee_user_id AND r.status = 'completed');

-- Rewards paid to a referrer in one period: periods of period_days days, counted from 1970-01-01 UTC, so every
-- instance puts a reward in the same period. The row is read with a lock and written with the reward, in its
-- transaction: awards for one referrer's referees queue on it, and on a multi-primary cluster two of them
-- conflict on it and one is retried, so a cap of K pays K however many first recharges complete at once.
CREATE TABLE IF NOT EXISTS {prefix}referral_reward_windows (
  referrer_user_id BIGINT UNSIGNED NOT NULL,
  period_days      INT UNSIGNED NOT NULL,
  window_start     DATE NOT NULL,
  rewards          INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (referrer_user_id, period_days, window_start)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

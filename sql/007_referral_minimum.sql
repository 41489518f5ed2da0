-- A referral pays only when the referee's first completed recharge credits at least this many coins, so
-- opening accounts with tiny top-ups cannot farm referral rewards. Fixed at binding time, like the reward.
ALTER TABLE {prefix}referral_bindings
  ADD COLUMN min_recharge_coins BIGINT NOT NULL DEFAULT 0 AFTER reward_coins;

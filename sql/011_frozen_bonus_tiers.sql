-- The bonus tiers in force when a recharge was quoted ("1000:10,5000:15"; '' = none), so an underpaid
-- recharge earns the bonus of the coins it actually credits, against the tiers the buyer was shown.
-- NULL on recharges quoted before this column: they keep the proportional bonus they were sold under.
ALTER TABLE {prefix}recharge_transactions
  ADD COLUMN bonus_tiers VARCHAR(1024) NULL AFTER bonus_coins;

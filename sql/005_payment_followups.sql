-- Payment follow-ups: the buyer's locale on each recharge (for its notifications) and the audit of
-- held payments an administrator resolved.

ALTER TABLE {prefix}recharge_transactions
  ADD COLUMN locale VARCHAR(20) NULL AFTER buyer_email;

-- One row per resolved hold, written in the same transaction as the state change and its credit.
-- recharge_id is unique: a payment is resolved at most once, whatever races the row lock loses.
CREATE TABLE IF NOT EXISTS {prefix}payment_resolutions (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  recharge_id    BIGINT UNSIGNED NOT NULL,
  action         VARCHAR(32) NOT NULL,
  hold_reason    VARCHAR(32) NOT NULL,
  actor          VARCHAR(64) NOT NULL,
  reason         VARCHAR(255) NOT NULL,
  coins_credited BIGINT NOT NULL DEFAULT 0,
  bonus_credited BIGINT NOT NULL DEFAULT 0,
  created_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}payment_resolutions_recharge (recharge_id),
  CONSTRAINT {prefix}payment_resolutions_action CHECK (action IN ('credit_received', 'credit_full', 'reject')),
  CONSTRAINT {prefix}payment_resolutions_nonnegative CHECK (coins_credited >= 0 AND bonus_credited >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

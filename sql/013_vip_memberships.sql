-- VIP memberships bought with coins, time-limited entitlements and download quotas.

-- The site owner's tiers. days = 0 is a lifetime tier. keeps_unlocks: posts unlocked free through this tier
-- stay unlocked after the membership ends. daily_downloads: EA downloads through VIP access per 24 hours
-- (NULL = no limit). role: a WordPress role held while the membership lasts.
CREATE TABLE IF NOT EXISTS {prefix}vip_tiers (
  tier_key        VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  title           VARCHAR(200) NOT NULL,
  days            INT UNSIGNED NOT NULL,
  price_coins     BIGINT NOT NULL,
  role            VARCHAR(64) NULL,
  keeps_unlocks   TINYINT(1) NOT NULL DEFAULT 0,
  daily_downloads INT UNSIGNED NULL,
  active          TINYINT(1) NOT NULL DEFAULT 1,
  sort_order      INT NOT NULL DEFAULT 0,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (tier_key),
  CONSTRAINT {prefix}vip_tiers_price_positive CHECK (price_coins > 0),
  CONSTRAINT {prefix}vip_tiers_days_bounded CHECK (days <= 36500)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who changed a tier, when, and from what to what.
CREATE TABLE IF NOT EXISTS {prefix}vip_tier_audit (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  tier_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  actor      VARCHAR(64) NOT NULL,
  action     VARCHAR(16) NOT NULL,
  before_json TEXT NULL,
  after_json TEXT NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY {prefix}vip_tier_audit_tier (tier_key, id),
  CONSTRAINT {prefix}vip_tier_audit_action CHECK (action IN ('seed', 'create', 'update'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per member, locked by every purchase so renewals queue. expires_at NULL = lifetime.
-- since is the start of the current unbroken membership. reminded_for / expired_for hold the expires_at a
-- reminder or an expiry notice was sent for, so each goes out once per membership period.
CREATE TABLE IF NOT EXISTS {prefix}vip_memberships (
  user_id      BIGINT UNSIGNED NOT NULL,
  tier_key     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  since        DATETIME(3) NOT NULL,
  expires_at   DATETIME(3) NULL,
  purchases    INT UNSIGNED NOT NULL DEFAULT 0,
  reminded_for DATETIME(3) NULL,
  expired_for  DATETIME(3) NULL,
  updated_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id),
  KEY {prefix}vip_memberships_expiry (expires_at),
  KEY {prefix}vip_memberships_tier (tier_key, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every tier bought: ledger_ref (from the Idempotency-Key) makes a retry a no-op and ties it to its debit.
CREATE TABLE IF NOT EXISTS {prefix}vip_purchases (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     BIGINT UNSIGNED NOT NULL,
  tier_key    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  price_coins BIGINT NOT NULL,
  ledger_ref  VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  starts_at   DATETIME(3) NOT NULL,
  ends_at     DATETIME(3) NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}vip_purchases_ledger_ref (ledger_ref),
  KEY {prefix}vip_purchases_user (user_id, id),
  CONSTRAINT {prefix}vip_purchases_price_positive CHECK (price_coins > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- An entitlement may end (a time-limited sale, a VIP unlock); period_started_at starts the current paid
-- period, from which per-entitlement download quotas count.
ALTER TABLE {prefix}entitlements
  ADD COLUMN expires_at DATETIME(3) NULL,
  ADD COLUMN period_started_at DATETIME(3) NULL,
  DROP CONSTRAINT {prefix}entitlements_source_known,
  ADD CONSTRAINT {prefix}entitlements_source_known CHECK (source IN ('unlock', 'reward', 'vip'));

-- Downloads through VIP access count against the tier's daily quota.
ALTER TABLE {prefix}downloads
  ADD COLUMN via_vip TINYINT(1) NOT NULL DEFAULT 0,
  ADD KEY {prefix}downloads_user_vip (user_id, via_vip, issued_at);

ALTER TABLE {prefix}coin_ledger
  DROP CONSTRAINT {prefix}coin_ledger_kind_known,
  ADD CONSTRAINT {prefix}coin_ledger_kind_known CHECK (kind IN
    ('recharge', 'bonus', 'unlock', 'author_share', 'reward', 'referral', 'adjustment', 'vip'));

ALTER TABLE {prefix}notifications
  DROP CONSTRAINT {prefix}notifications_kind_known,
  ADD CONSTRAINT {prefix}notifications_kind_known CHECK (kind IN ('recharge_completed', 'recharge_failed',
    'recharge_expired', 'unlock', 'reward_redeemed', 'referral_earned', 'adjustment', 'vip_purchased',
    'vip_expiring', 'vip_expired'));

-- Spending coins: post entitlements, issued downloads, rewards and their limits, referrals, rate limits.

-- One row per (user, post) ever unlocked: the unique key is what makes a double unlock charge once.
-- price_coins keeps what was paid, so a later price change neither charges again nor revokes access.
CREATE TABLE IF NOT EXISTS {prefix}entitlements (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     BIGINT UNSIGNED NOT NULL,
  post_id     BIGINT UNSIGNED NOT NULL,
  price_coins BIGINT NOT NULL,
  source      VARCHAR(16) NOT NULL,
  ledger_ref  VARCHAR(191) NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}entitlements_user_post (user_id, post_id),
  KEY {prefix}entitlements_post (post_id),
  CONSTRAINT {prefix}entitlements_price_nonnegative CHECK (price_coins >= 0),
  CONSTRAINT {prefix}entitlements_source_known CHECK (source IN ('unlock', 'reward'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every signed download URL handed out (jti = the token's id), for counting and auditing.
CREATE TABLE IF NOT EXISTS {prefix}downloads (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  jti        CHAR(36) NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  post_id    BIGINT UNSIGNED NOT NULL,
  file_id    BIGINT UNSIGNED NOT NULL,
  issued_at  DATETIME(3) NOT NULL,
  expires_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}downloads_jti (jti),
  KEY {prefix}downloads_post (post_id, issued_at),
  KEY {prefix}downloads_user (user_id, issued_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Redemptions of catalog rewards. ledger_ref (derived from the Idempotency-Key) makes a retry a no-op;
-- code is the generated voucher for "code" rewards, unique across the site.
CREATE TABLE IF NOT EXISTS {prefix}reward_redemptions (
  id                BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id           BIGINT UNSIGNED NOT NULL,
  reward_key        VARCHAR(64) NOT NULL,
  cost_coins        BIGINT NOT NULL,
  fulfilment_type   VARCHAR(16) NOT NULL,
  fulfilment_value  VARCHAR(512) NOT NULL,
  code              VARCHAR(32) NULL,
  ledger_ref        VARCHAR(191) NOT NULL,
  created_at        DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}reward_redemptions_ledger_ref (ledger_ref),
  UNIQUE KEY {prefix}reward_redemptions_code (code),
  KEY {prefix}reward_redemptions_user (user_id, id),
  KEY {prefix}reward_redemptions_reward (reward_key, id),
  CONSTRAINT {prefix}reward_redemptions_cost_positive CHECK (cost_coins > 0),
  CONSTRAINT {prefix}reward_redemptions_type_known CHECK (fulfilment_type IN ('entitlement', 'role', 'code', 'link'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Counters that enforce stock (user_id = 0: the whole site) and per-user limits with a conditional
-- UPDATE … WHERE redeemed < limit, inside the redemption's transaction.
CREATE TABLE IF NOT EXISTS {prefix}reward_counters (
  reward_key VARCHAR(64) NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  redeemed   INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (reward_key, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- WordPress roles earned by a redemption; the WordPress plugin reads and applies them.
CREATE TABLE IF NOT EXISTS {prefix}role_grants (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id       BIGINT UNSIGNED NOT NULL,
  role          VARCHAR(64) NOT NULL,
  redemption_id BIGINT UNSIGNED NOT NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}role_grants_redemption (redemption_id),
  KEY {prefix}role_grants_user (user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each user's referral code, generated once.
CREATE TABLE IF NOT EXISTS {prefix}referral_codes (
  user_id    BIGINT UNSIGNED NOT NULL,
  code       VARCHAR(16) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id),
  UNIQUE KEY {prefix}referral_codes_code (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A referee is bound once (primary key). reward_coins is fixed at binding time; rewarded_recharge_id
-- is set by a conditional UPDATE when the first recharge completes, so the referrer is credited once.
CREATE TABLE IF NOT EXISTS {prefix}referral_bindings (
  referee_user_id      BIGINT UNSIGNED NOT NULL,
  referrer_user_id     BIGINT UNSIGNED NOT NULL,
  reward_coins         BIGINT NOT NULL,
  bound_at             DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  rewarded_recharge_id BIGINT UNSIGNED NULL,
  rewarded_at          DATETIME(3) NULL,
  PRIMARY KEY (referee_user_id),
  KEY {prefix}referral_bindings_referrer (referrer_user_id),
  CONSTRAINT {prefix}referral_bindings_not_self CHECK (referee_user_id <> referrer_user_id),
  CONSTRAINT {prefix}referral_bindings_reward_nonnegative CHECK (reward_coins >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Fixed-window request counters per (bucket, user), shared by every sidecar instance. One row per
-- (bucket, user): a new window resets the row in the same upsert, so the table stays bounded by users.
CREATE TABLE IF NOT EXISTS {prefix}rate_limits (
  bucket       VARCHAR(32) NOT NULL,
  user_id      BIGINT UNSIGNED NOT NULL,
  window_start BIGINT NOT NULL,
  hits         INT UNSIGNED NOT NULL,
  PRIMARY KEY (bucket, user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

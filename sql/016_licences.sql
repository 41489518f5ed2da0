-- EA licences bound to MetaTrader accounts: one licence per entitlement to an EA post, the trading accounts
-- activated on it, its audit trail, and the EA file's versions.

-- A licence is created on demand, once per entitlement (the unique key makes a concurrent second creation a
-- no-op). licence_key is stored as it is: the EA sends it and every verify answer is signed with it as the
-- HMAC key, so the server must hold it; it is 160 random bits and never written to a log.
-- expires_override: an admin's extension, which replaces the end the post's settings give.
CREATE TABLE IF NOT EXISTS {prefix}licences (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  entitlement_id   BIGINT UNSIGNED NOT NULL,
  user_id          BIGINT UNSIGNED NOT NULL,
  post_id          BIGINT UNSIGNED NOT NULL,
  licence_key      CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  expires_override DATETIME(3) NULL,
  revoked_at       DATETIME(3) NULL,
  revoked_reason   VARCHAR(200) NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}licences_entitlement (entitlement_id),
  UNIQUE KEY {prefix}licences_key (licence_key),
  KEY {prefix}licences_user (user_id, id),
  KEY {prefix}licences_post (post_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A trading account (number on a broker's server) activated on a licence. A release keeps the row (released_at
-- set); the account's next check activates it again if an activation is free. Every new activation happens
-- under the licence row's lock, counted then inserted in one transaction.
CREATE TABLE IF NOT EXISTS {prefix}licence_activations (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  licence_id      BIGINT UNSIGNED NOT NULL,
  account         VARCHAR(20) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  account_type    VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  server          VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  activated_at    DATETIME(3) NOT NULL,
  last_check_at   DATETIME(3) NOT NULL,
  last_ea_version VARCHAR(32) NULL,
  checks          INT UNSIGNED NOT NULL DEFAULT 1,
  released_at     DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}licence_activations_account (licence_id, account, server),
  CONSTRAINT {prefix}licence_activations_type CHECK (account_type IN ('demo', 'real'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who did what to a licence and when: issue, activate, release (the visitor's monthly release limit counts
-- these), revoke, reinstate, extend. created_at comes from the sidecar's clock.
CREATE TABLE IF NOT EXISTS {prefix}licence_events (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  licence_id BIGINT UNSIGNED NOT NULL,
  actor      VARCHAR(64) NOT NULL,
  action     VARCHAR(16) NOT NULL,
  account    VARCHAR(20) NULL,
  detail     VARCHAR(500) NULL,
  created_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  KEY {prefix}licence_events_licence (licence_id, action, created_at),
  CONSTRAINT {prefix}licence_events_action CHECK (action IN ('issue', 'activate', 'release', 'revoke', 'reinstate', 'extend'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Each version of a post's EA file an editor uploaded: the newest is what verify answers as the latest version.
CREATE TABLE IF NOT EXISTS {prefix}ea_versions (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  post_id    BIGINT UNSIGNED NOT NULL,
  version    VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  notes      TEXT NOT NULL,
  file_id    BIGINT UNSIGNED NOT NULL,
  created_by BIGINT UNSIGNED NOT NULL,
  created_at DATETIME(3) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}ea_versions_post_version (post_id, version),
  KEY {prefix}ea_versions_post (post_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE {prefix}notifications
  DROP CONSTRAINT {prefix}notifications_kind_known,
  ADD CONSTRAINT {prefix}notifications_kind_known CHECK (kind IN ('recharge_completed', 'recharge_failed',
    'recharge_expired', 'unlock', 'reward_redeemed', 'referral_earned', 'adjustment', 'vip_purchased',
    'vip_expiring', 'vip_expired', 'ea_version'));

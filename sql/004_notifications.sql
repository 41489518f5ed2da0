-- In-site notifications and the email outbox that delivers them; both written inside the money
-- transaction that caused them, so a rolled-back payment or unlock leaves no notification behind.

-- One row per event shown to the user. dedupe_key is unique: a replayed transaction (duplicate IPN,
-- retried unlock) inserts nothing. data is the JSON object the title and body are rendered from, so the
-- text follows the reader's language instead of being frozen at write time.
CREATE TABLE IF NOT EXISTS {prefix}notifications (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id    BIGINT UNSIGNED NOT NULL,
  kind       VARCHAR(32) NOT NULL,
  dedupe_key VARCHAR(191) NOT NULL,
  locale     VARCHAR(16) NOT NULL DEFAULT 'en_US',
  data       TEXT NOT NULL,
  read_at    DATETIME(3) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}notifications_dedupe (dedupe_key),
  KEY {prefix}notifications_user (user_id, id),
  KEY {prefix}notifications_user_unread (user_id, read_at),
  CONSTRAINT {prefix}notifications_data_json CHECK (JSON_VALID(data)),
  CONSTRAINT {prefix}notifications_kind_known CHECK (kind IN ('recharge_completed', 'recharge_failed',
    'recharge_expired', 'unlock', 'reward_redeemed', 'referral_earned', 'adjustment'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One email per notification. Senders claim due rows with SKIP LOCKED and a lease (lease_token,
-- next_attempt_at in the future), send outside any transaction, then mark the row under the same token,
-- so several sidecar instances never send the same row twice unless one dies mid-send.
CREATE TABLE IF NOT EXISTS {prefix}email_outbox (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  notification_id BIGINT UNSIGNED NOT NULL,
  status          ENUM('pending', 'sent', 'failed', 'skipped') NOT NULL DEFAULT 'pending',
  attempts        INT UNSIGNED NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  lease_token     CHAR(32) NULL,
  last_error      VARCHAR(500) NULL,
  sent_at         DATETIME(3) NULL,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}email_outbox_notification (notification_id),
  KEY {prefix}email_outbox_due (status, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

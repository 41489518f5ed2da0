-- Payments: the provider's transaction details on each recharge, reconciler leases, and the IPN audit log.
-- A recharge row holds everything needed to verify an IPN later (price, currency pair, crypto amount).

ALTER TABLE {prefix}recharge_transactions
  ADD COLUMN idempotency_key   VARCHAR(128) NULL AFTER user_id,
  ADD COLUMN buyer_email       VARCHAR(254) NULL AFTER crypto_amount,
  ADD COLUMN address           VARCHAR(191) NULL AFTER buyer_email,
  ADD COLUMN dest_tag          VARCHAR(64) NULL AFTER address,
  ADD COLUMN confirms_needed   INT UNSIGNED NULL AFTER dest_tag,
  ADD COLUMN checkout_url      VARCHAR(512) NULL AFTER confirms_needed,
  ADD COLUMN status_url        VARCHAR(512) NULL AFTER checkout_url,
  ADD COLUMN qrcode_url        VARCHAR(512) NULL AFTER status_url,
  ADD COLUMN expires_at        DATETIME(3) NULL AFTER qrcode_url,
  ADD COLUMN provider_status   INT NULL AFTER expires_at,
  ADD COLUMN provider_status_text VARCHAR(128) NULL AFTER provider_status,
  ADD COLUMN received_amount   DECIMAL(30, 10) NULL AFTER provider_status_text,
  ADD COLUMN coins_credited    BIGINT NOT NULL DEFAULT 0 AFTER received_amount,
  ADD COLUMN bonus_credited    BIGINT NOT NULL DEFAULT 0 AFTER coins_credited,
  ADD COLUMN hold_reason       VARCHAR(32) NULL AFTER bonus_credited,
  ADD COLUMN failed_at         DATETIME(3) NULL AFTER completed_at,
  ADD COLUMN failed_reason     VARCHAR(64) NULL AFTER failed_at,
  ADD COLUMN next_reconcile_at DATETIME(3) NULL,
  ADD COLUMN reconcile_attempts INT UNSIGNED NOT NULL DEFAULT 0,
  ADD UNIQUE KEY {prefix}recharge_user_idempotency (user_id, idempotency_key),
  ADD KEY {prefix}recharge_reconcile (status, next_reconcile_at),
  ADD CONSTRAINT {prefix}recharge_credited_nonnegative CHECK (coins_credited >= 0 AND bonus_credited >= 0);

-- Every IPN as received, with the verdict: the audit trail for disputes. The IPN secret is never stored.
CREATE TABLE IF NOT EXISTS {prefix}ipn_log (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  provider      VARCHAR(32) NOT NULL,
  received_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  ipn_id        VARCHAR(128) NULL,
  txn_id        VARCHAR(128) NULL,
  ipn_type      VARCHAR(32) NULL,
  ipn_status    INT NULL,
  recharge_id   BIGINT UNSIGNED NULL,
  hmac_header   VARCHAR(160) NULL,
  content_type  VARCHAR(128) NULL,
  user_agent    VARCHAR(255) NULL,
  remote_addr   VARCHAR(64) NULL,
  raw_body      MEDIUMTEXT NOT NULL,
  verdict       ENUM('processed', 'duplicate', 'rejected', 'error') NOT NULL,
  reason        VARCHAR(64) NOT NULL,
  PRIMARY KEY (id),
  KEY {prefix}ipn_log_txn (txn_id, id),
  KEY {prefix}ipn_log_verdict (verdict, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

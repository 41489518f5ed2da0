-- Base schema: the seed's wallet and recharge tables, extended with an append-only coin ledger.
-- {prefix} is replaced by the site's table prefix (default "wp_goldcoin_"), so several sites can
-- share one database. Users are keyed by wp_users.ID (BIGINT UNSIGNED).

CREATE TABLE IF NOT EXISTS {prefix}user_wallet (
  user_id          BIGINT UNSIGNED NOT NULL,
  total_coins      BIGINT NOT NULL DEFAULT 0,
  last_recharge_at DATETIME(3) NULL,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id),
  CONSTRAINT {prefix}user_wallet_never_negative CHECK (total_coins >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every coin movement, written in the same transaction as the balance change.
-- idempotency_ref is unique: replaying a movement (retry, duplicate IPN, double click) is a no-op.
CREATE TABLE IF NOT EXISTS {prefix}coin_ledger (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id         BIGINT UNSIGNED NOT NULL,
  delta_coins     BIGINT NOT NULL,
  balance_after   BIGINT NOT NULL,
  kind            VARCHAR(32) NOT NULL,
  ref_type        VARCHAR(32) NULL,
  ref_id          VARCHAR(191) NULL,
  idempotency_ref VARCHAR(191) NOT NULL,
  actor           VARCHAR(64) NOT NULL,
  memo            VARCHAR(255) NULL,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}coin_ledger_idempotency (idempotency_ref),
  KEY {prefix}coin_ledger_user (user_id, id),
  KEY {prefix}coin_ledger_kind (kind, created_at),
  CONSTRAINT {prefix}coin_ledger_nonzero CHECK (delta_coins <> 0),
  CONSTRAINT {prefix}coin_ledger_balance_never_negative CHECK (balance_after >= 0),
  CONSTRAINT {prefix}coin_ledger_kind_known CHECK (kind IN
    ('recharge', 'bonus', 'unlock', 'author_share', 'reward', 'referral', 'adjustment'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The seed's recharge table. Payment-provider columns are added by later migrations.
CREATE TABLE IF NOT EXISTS {prefix}recharge_transactions (
  id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id         BIGINT UNSIGNED NOT NULL,
  coins           BIGINT NOT NULL,
  bonus_coins     BIGINT NOT NULL DEFAULT 0,
  payment_method  ENUM('USDT', 'CoinPayment') NOT NULL,
  price_amount    DECIMAL(18, 2) NOT NULL,
  price_currency  VARCHAR(8) NOT NULL,
  amount_usd      DECIMAL(18, 2) NULL,
  status          ENUM('pending', 'completed', 'failed') NOT NULL DEFAULT 'pending',
  provider        VARCHAR(32) NOT NULL DEFAULT 'coinpayments',
  txn_id          VARCHAR(128) NULL,
  crypto_currency VARCHAR(32) NULL,
  crypto_amount   DECIMAL(30, 10) NULL,
  created_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at      DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  completed_at    DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}recharge_provider_txn (provider, txn_id),
  KEY {prefix}recharge_user (user_id, id),
  KEY {prefix}recharge_status (status, created_at),
  CONSTRAINT {prefix}recharge_coins_positive CHECK (coins > 0 AND bonus_coins >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Stored answers for requests sent with an Idempotency-Key: the same key gets the same answer.
CREATE TABLE IF NOT EXISTS {prefix}idempotency_keys (
  user_id       BIGINT UNSIGNED NOT NULL,
  idem_key      VARCHAR(128) NOT NULL,
  scope         VARCHAR(64) NOT NULL,
  request_hash  CHAR(64) NOT NULL,
  status_code   SMALLINT NULL,
  response_body MEDIUMTEXT NULL,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id, idem_key),
  KEY {prefix}idempotency_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Identifiers compare byte for byte. The tables' default collation is case-insensitive, which is right
-- for names but wrong for CoinPayments txn_ids (`CPAB` and `cpab` are different transactions) and for
-- the references and keys that make replays no-ops (an Idempotency-Key `Ab` is not `aB`).

ALTER TABLE {prefix}coin_ledger
  MODIFY idempotency_ref VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

ALTER TABLE {prefix}recharge_transactions
  MODIFY txn_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  MODIFY idempotency_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;

ALTER TABLE {prefix}idempotency_keys
  MODIFY idem_key VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

ALTER TABLE {prefix}ipn_log
  MODIFY txn_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;

ALTER TABLE {prefix}reward_redemptions
  MODIFY ledger_ref VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

ALTER TABLE {prefix}notifications
  MODIFY dedupe_key VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

-- Each recharge records the account it was opened on, so payments keep reconciling with the keys they were made
-- with after a site adds CoinPayments' new platform or switches to it; and, for the new platform, our own
-- invoice id (`<site prefix>-<recharge id>`), to find an invoice whose create answer was lost.
-- Rows from before this migration keep provider_account NULL: they were all opened on the legacy keys.

ALTER TABLE {prefix}recharge_transactions
  ADD COLUMN provider_account VARCHAR(191) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL AFTER provider,
  ADD COLUMN provider_reference VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL AFTER txn_id;

-- An unlock's receipt is its ledger row (kind 'unlock'), shown in the in-site inbox when read (notify/inbox.ts):
-- an unlock writes no notification row unless the site emails a receipt per unlock (UNLOCK_EMAIL). What the
-- reader has marked read of those receipts lives here, outside any money transaction.

-- Receipts marked read one by one (POST /api/notifications/read with their ids).
CREATE TABLE IF NOT EXISTS {prefix}receipt_reads (
  user_id   BIGINT UNSIGNED NOT NULL,
  ledger_id BIGINT UNSIGNED NOT NULL,
  read_at   DATETIME(3) NOT NULL,
  PRIMARY KEY (user_id, ledger_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- "Mark all read": every receipt of the user up to read_through (a ledger id) is read, since read_at.
CREATE TABLE IF NOT EXISTS {prefix}receipt_marks (
  user_id      BIGINT UNSIGNED NOT NULL,
  read_through BIGINT UNSIGNED NOT NULL,
  read_at      DATETIME(3) NOT NULL,
  PRIMARY KEY (user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

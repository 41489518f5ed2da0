-- Personal data: an IPN or webhook body may be anonymised (a user's erasure request or deletion) or cleared
-- once older than IPN_RAW_RETENTION_DAYS; the verdict row stays either way. The dates say which happened, so
-- a body that no longer matches its HMAC header is known to have been changed here, not forged.
ALTER TABLE {prefix}ipn_log
  ADD COLUMN anonymised_at   DATETIME(3) NULL,
  ADD COLUMN body_cleared_at DATETIME(3) NULL,
  ADD KEY {prefix}ipn_log_received (received_at);

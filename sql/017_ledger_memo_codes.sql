-- Ledger memos as codes the widget renders in the reader's language: memo_code names what the row is for and
-- memo_params (a JSON object) fills the message (a post's or reward's title, a referee's id, an admin's reason).
-- memo keeps its English text for admins, CSV exports and tools that read it today.
ALTER TABLE {prefix}coin_ledger
  ADD COLUMN memo_code VARCHAR(32) NULL AFTER memo,
  ADD COLUMN memo_params TEXT NULL AFTER memo_code,
  ADD CONSTRAINT {prefix}coin_ledger_memo_params_json CHECK (memo_params IS NULL OR JSON_VALID(memo_params));

-- Rows written before the codes: the memos the sidecar wrote are mapped to their codes, the most specific first.
UPDATE {prefix}coin_ledger SET memo_code = 'recharge'
  WHERE memo_code IS NULL AND kind = 'recharge' AND memo = 'recharge';
UPDATE {prefix}coin_ledger SET memo_code = 'recharge_underpaid'
  WHERE memo_code IS NULL AND kind = 'recharge' AND memo = 'recharge (underpaid: credited in proportion)';
UPDATE {prefix}coin_ledger
  SET memo_code = 'recharge_underpaid_resolved',
      memo_params = JSON_OBJECT('reason', SUBSTRING(memo, CHAR_LENGTH('recharge (underpaid: credited in proportion), resolved: ') + 1))
  WHERE memo_code IS NULL AND kind = 'recharge' AND memo LIKE 'recharge (underpaid: credited in proportion), resolved: %';
UPDATE {prefix}coin_ledger
  SET memo_code = 'recharge_resolved', memo_params = JSON_OBJECT('reason', SUBSTRING(memo, CHAR_LENGTH('recharge, resolved: ') + 1))
  WHERE memo_code IS NULL AND kind = 'recharge' AND memo LIKE 'recharge, resolved: %';
UPDATE {prefix}coin_ledger SET memo_code = 'recharge_bonus'
  WHERE memo_code IS NULL AND kind = 'bonus' AND memo = 'recharge bonus';
UPDATE {prefix}coin_ledger
  SET memo_code = 'referral_reward', memo_params = JSON_OBJECT('referee_user_id', CAST(ref_id AS UNSIGNED))
  WHERE memo_code IS NULL AND kind = 'referral' AND ref_type = 'referee' AND memo LIKE 'referral reward for user %';
-- A post's, reward's or tier's title, and an admin's reason, are the people's own words: shown as written.
UPDATE {prefix}coin_ledger SET memo_code = 'post_unlock', memo_params = JSON_OBJECT('title', memo)
  WHERE memo_code IS NULL AND kind = 'unlock' AND memo IS NOT NULL;
UPDATE {prefix}coin_ledger SET memo_code = 'author_share', memo_params = JSON_OBJECT('title', memo)
  WHERE memo_code IS NULL AND kind = 'author_share' AND memo IS NOT NULL;
UPDATE {prefix}coin_ledger SET memo_code = 'reward', memo_params = JSON_OBJECT('title', memo)
  WHERE memo_code IS NULL AND kind = 'reward' AND memo IS NOT NULL;
UPDATE {prefix}coin_ledger SET memo_code = 'vip', memo_params = JSON_OBJECT('title', memo)
  WHERE memo_code IS NULL AND kind = 'vip' AND memo IS NOT NULL;
UPDATE {prefix}coin_ledger SET memo_code = 'adjustment', memo_params = JSON_OBJECT('reason', memo)
  WHERE memo_code IS NULL AND kind = 'adjustment' AND memo IS NOT NULL;

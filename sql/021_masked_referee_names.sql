-- Referral notifications written before referees were shown masked kept the referee's whole display name; a
-- referrer now sees every referee as its first character and *** (referrals.ts maskedName), in the site and in
-- what the API answers, and the old rows are masked the same way. A name already masked, or none, stays as it is.
UPDATE {prefix}notifications
  SET data = JSON_SET(data, '$.referred_name',
    CONCAT(LEFT(TRIM(JSON_UNQUOTE(JSON_EXTRACT(data, '$.referred_name'))), 1), '***'))
  WHERE kind IN ('referral_earned', 'referral_not_counted')
    AND JSON_TYPE(JSON_EXTRACT(data, '$.referred_name')) = 'STRING'
    AND NOT (JSON_UNQUOTE(JSON_EXTRACT(data, '$.referred_name')) LIKE '%***'
             AND CHAR_LENGTH(JSON_UNQUOTE(JSON_EXTRACT(data, '$.referred_name'))) <= 4);

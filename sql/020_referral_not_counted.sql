-- A referrer is told in the site when a referral is decided not counted (cap reached, paid with the referrer's
-- email, first recharge below the minimum, had recharged before), as they are when one is rewarded.
ALTER TABLE {prefix}notifications
  DROP CONSTRAINT {prefix}notifications_kind_known,
  ADD CONSTRAINT {prefix}notifications_kind_known CHECK (kind IN ('recharge_completed', 'recharge_failed',
    'recharge_expired', 'unlock', 'reward_redeemed', 'referral_earned', 'referral_not_counted', 'adjustment',
    'vip_purchased', 'vip_expiring', 'vip_expired', 'ea_version'));

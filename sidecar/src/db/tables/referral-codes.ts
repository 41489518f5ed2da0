// referral_codes: each user's own referral code.
import type { CreatedAt } from '../columns.js';

export interface ReferralCodesTable {
  user_id: number;
  code: string;
  created_at: CreatedAt;
}

// payment_resolutions: the audit of a held payment resolved by a person, one row per recharge at most.
import type { CreatedAt, Generated } from '../columns.js';

export type ResolutionAction = 'credit_received' | 'credit_full' | 'reject';

export interface PaymentResolutionsTable {
  id: Generated<number>;
  recharge_id: number;
  action: ResolutionAction;
  hold_reason: string;
  actor: string;
  reason: string;
  coins_credited: number;
  bonus_credited: number;
  created_at: CreatedAt;
}

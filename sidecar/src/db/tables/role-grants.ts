// role_grants: WordPress roles granted by redeeming a reward, one per redemption.
import type { CreatedAt, Generated } from '../columns.js';

export interface RoleGrantsTable {
  id: Generated<number>;
  user_id: number;
  role: string;
  redemption_id: number;
  created_at: CreatedAt;
}

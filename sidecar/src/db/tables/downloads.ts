// downloads: each signed download token issued, by its jti.
import type { Defaulted, Generated } from '../columns.js';

export interface DownloadsTable {
  id: Generated<number>;
  jti: string;
  user_id: number;
  post_id: number;
  file_id: number;
  issued_at: Date;
  expires_at: Date;
  /** 1 when issued through VIP access: counted against the tier's daily quota. */
  via_vip: Defaulted<number>;
}

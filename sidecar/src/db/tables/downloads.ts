// downloads: each signed download token issued, by its jti.
import type { Generated } from '../columns.js';

export interface DownloadsTable {
  id: Generated<number>;
  jti: string;
  user_id: number;
  post_id: number;
  file_id: number;
  issued_at: Date;
  expires_at: Date;
}

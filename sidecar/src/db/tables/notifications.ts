// notifications: in-site notifications, unique by dedupe_key, rendered in the stored locale when read.
import type { ColumnType } from 'kysely';
import type { CreatedAt, Generated } from '../columns.js';

export interface NotificationsTable {
  id: Generated<number>;
  user_id: number;
  kind: string;
  dedupe_key: string;
  locale: ColumnType<string, string | undefined, never>;
  /** A JSON object (string-encoded), rendered into a title and body when read. */
  data: string;
  read_at: Date | null;
  created_at: CreatedAt;
}

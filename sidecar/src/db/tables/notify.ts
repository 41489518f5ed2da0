// Tables owned by sidecar/src/notify (logical names; the prefix is added by the TablePrefixPlugin).
import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | undefined, Date>;

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

export type EmailStatus = 'pending' | 'sent' | 'failed' | 'skipped';

export interface EmailOutboxTable {
  id: Generated<number>;
  notification_id: number;
  status: ColumnType<EmailStatus, EmailStatus | undefined, EmailStatus>;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  lease_token: string | null;
  last_error: string | null;
  sent_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface NotifyTables {
  notifications: NotificationsTable;
  email_outbox: EmailOutboxTable;
}

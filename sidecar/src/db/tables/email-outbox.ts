// email_outbox: one email per notification, leased by the outbox job and retried on a backoff.
import type { CreatedAt, Defaulted, Generated, UpdatedAt } from '../columns.js';

export type EmailStatus = 'pending' | 'sent' | 'failed' | 'skipped';

export interface EmailOutboxTable {
  id: Generated<number>;
  notification_id: number;
  status: Defaulted<EmailStatus>;
  attempts: Defaulted<number>;
  next_attempt_at: Defaulted<Date>;
  lease_token: string | null;
  last_error: string | null;
  sent_at: Date | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

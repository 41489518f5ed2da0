// idempotency_keys: the first answer to each Idempotency-Key, replayed to its retries.
import type { CreatedAt } from '../columns.js';

export interface IdempotencyKeysTable {
  user_id: number;
  idem_key: string;
  scope: string;
  request_hash: string;
  status_code: number | null;
  response_body: string | null;
  created_at: CreatedAt;
}

// ipn_log: every IPN as received, raw, with the verdict it got.
import type { ColumnType } from 'kysely';
import type { CreatedAt, Generated } from '../columns.js';

export type IpnVerdict = 'processed' | 'duplicate' | 'rejected' | 'error';

export interface IpnLogTable {
  id: Generated<number>;
  provider: string;
  received_at: CreatedAt;
  ipn_id: string | null;
  txn_id: string | null;
  ipn_type: string | null;
  ipn_status: number | null;
  recharge_id: number | null;
  hmac_header: string | null;
  content_type: string | null;
  user_agent: string | null;
  remote_addr: string | null;
  raw_body: string;
  verdict: IpnVerdict;
  reason: string;
  /** Names and emails in raw_body replaced by an erasure (018); the HMAC header then no longer matches the body. */
  anonymised_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** raw_body emptied by the retention job (018). */
  body_cleared_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

// ipn_log: every IPN as received, raw, with the verdict it got.
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
}

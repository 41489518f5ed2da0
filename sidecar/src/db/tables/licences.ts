// licences, licence_activations, licence_events, ea_versions: EA licences bound to trading accounts.
import type { CreatedAt, Defaulted, Generated } from '../columns.js';

export interface LicencesTable {
  id: Generated<number>;
  entitlement_id: number;
  user_id: number;
  post_id: number;
  /** Held as it is: every verify answer is signed with it. Never logged. */
  licence_key: string;
  /** An admin's extension: replaces the end the post's settings give. */
  expires_override: Defaulted<Date | null>;
  revoked_at: Defaulted<Date | null>;
  revoked_reason: Defaulted<string | null>;
  created_at: CreatedAt;
}

export type AccountType = 'demo' | 'real';

export interface LicenceActivationsTable {
  id: Generated<number>;
  licence_id: number;
  account: string;
  account_type: AccountType;
  server: string;
  activated_at: Date;
  last_check_at: Date;
  last_ea_version: string | null;
  checks: Defaulted<number>;
  /** Set by a release; the account's next check activates it again when an activation is free. */
  released_at: Defaulted<Date | null>;
}

export type LicenceAction = 'issue' | 'activate' | 'release' | 'revoke' | 'reinstate' | 'extend';

export interface LicenceEventsTable {
  id: Generated<number>;
  licence_id: number;
  actor: string;
  action: LicenceAction;
  account: string | null;
  detail: string | null;
  created_at: Date;
}

export interface EaVersionsTable {
  id: Generated<number>;
  post_id: number;
  version: string;
  notes: string;
  file_id: number;
  created_by: number;
  created_at: Date;
}

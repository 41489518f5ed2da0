// catalog_sections, catalog_version, catalog_audit: the editable catalog, its version row and its change history.
import type { CreatedAt, Defaulted, Generated } from '../columns.js';

export interface CatalogSectionsTable {
  section: string;
  /** The section's JSON, as validated by the admin route (or parsed from the environment for the seed). */
  body: string;
  version: number;
  updated_at: Defaulted<Date>;
  updated_by: string;
}

export interface CatalogVersionTable {
  id: number;
  version: number;
  updated_at: Defaulted<Date>;
}

export interface CatalogAuditTable {
  id: Generated<number>;
  version: number;
  section: string;
  actor: string;
  actor_name: Defaulted<string>;
  before_body: string | null;
  after_body: string;
  created_at: CreatedAt;
}

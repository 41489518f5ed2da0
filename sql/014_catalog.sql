-- The catalog (packages, prices, bonus tiers, limits, payment methods, rewards, referral settings) kept in the
-- database so a site owner edits it from wp-admin without a restart. One row per section; the single version
-- row is what every instance reads on each request that needs the catalog, to know its cached copy is current.

CREATE TABLE IF NOT EXISTS {prefix}catalog_sections (
  section     VARCHAR(32) NOT NULL,
  body        TEXT NOT NULL,
  version     BIGINT UNSIGNED NOT NULL,
  updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_by  VARCHAR(64) NOT NULL,
  PRIMARY KEY (section),
  CONSTRAINT {prefix}catalog_sections_body_json CHECK (JSON_VALID(body))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Bumped in the same transaction as every section change; id is always 1.
CREATE TABLE IF NOT EXISTS {prefix}catalog_version (
  id          TINYINT UNSIGNED NOT NULL,
  version     BIGINT UNSIGNED NOT NULL,
  updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  CONSTRAINT {prefix}catalog_version_single CHECK (id = 1)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Who changed which section, when, from what to what; written in the change's transaction. The seed from the
-- environment on a fresh install is recorded too, with actor "seed".
CREATE TABLE IF NOT EXISTS {prefix}catalog_audit (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  version     BIGINT UNSIGNED NOT NULL,
  section     VARCHAR(32) NOT NULL,
  actor       VARCHAR(64) NOT NULL,
  actor_name  VARCHAR(255) NOT NULL DEFAULT '',
  before_body TEXT NULL,
  after_body  TEXT NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY {prefix}catalog_audit_change (version, section),
  KEY {prefix}catalog_audit_section (section, id),
  CONSTRAINT {prefix}catalog_audit_before_json CHECK (before_body IS NULL OR JSON_VALID(before_body)),
  CONSTRAINT {prefix}catalog_audit_after_json CHECK (JSON_VALID(after_body))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

// What the connected login may do: the migration state it would find and the privileges it holds on its schema.
import type { Connection } from 'mysql2/promise';
import type { Migration } from './migrator.js';

export interface MigrationState {
  /** Migrations in sql/ not yet recorded as applied, in order. */
  pending: string[];
  /** Applied migrations whose file changed since: never run again, the start is refused. */
  edited: string[];
}

/** Reads the migrations table without creating anything (a login that may not CREATE can still ask). */
export async function migrationState(conn: Connection, tablePrefix: string, migrations: Migration[]): Promise<MigrationState> {
  const [exists] = await conn.query(
    'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
    [`${tablePrefix}migrations`],
  );
  if (Number((exists as Array<{ n: number }>)[0]?.n ?? 0) === 0) return { pending: migrations.map((m) => m.name), edited: [] };
  const [rows] = await conn.query(`SELECT name, checksum FROM \`${tablePrefix}migrations\``);
  const applied = new Map((rows as Array<{ name: string; checksum: string }>).map((r) => [r.name, r.checksum]));
  return {
    pending: migrations.filter((m) => !applied.has(m.name)).map((m) => m.name),
    edited: migrations.filter((m) => applied.has(m.name) && applied.get(m.name) !== m.checksum).map((m) => m.name),
  };
}

/** Privileges the migrations use: CREATE TABLE, ALTER TABLE (ADD COLUMN, ADD INDEX), and UPDATE to fill a new column from existing rows (015). */
export const MIGRATE_PRIVILEGES = ['CREATE', 'ALTER', 'INDEX', 'UPDATE'] as const;
/** What the running sidecar needs on each of its own tables. */
export const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;
/** WordPress's tables the sidecar reads and never writes. */
export const WP_READ_TABLES = ['users', 'usermeta', 'posts', 'postmeta'] as const;

/**
 * The privileges the current login holds on the current schema, global and schema-wide grants together
 * (information_schema lists the current login's own grants to any login). Table-level grants are per table.
 */
export async function schemaPrivileges(conn: Connection): Promise<Set<string>> {
  const [rows] = await conn.query(
    `SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'", SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'")
     UNION
     SELECT PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES
      WHERE GRANTEE = CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'", SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'")
        AND DATABASE() LIKE TABLE_SCHEMA`,
  );
  return new Set((rows as Array<{ p: string }>).map((r) => r.p.toUpperCase()));
}

/** Table-level privileges of the current login on the current schema, by table name. */
export async function tablePrivileges(conn: Connection): Promise<Map<string, Set<string>>> {
  const [rows] = await conn.query(
    `SELECT TABLE_NAME AS t, PRIVILEGE_TYPE AS p FROM information_schema.TABLE_PRIVILEGES
      WHERE GRANTEE = CONCAT("'", SUBSTRING_INDEX(CURRENT_USER(), '@', 1), "'@'", SUBSTRING_INDEX(CURRENT_USER(), '@', -1), "'")
        AND TABLE_SCHEMA = DATABASE()`,
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows as Array<{ t: string; p: string }>) {
    const set = out.get(r.t) ?? new Set<string>();
    set.add(r.p.toUpperCase());
    out.set(r.t, set);
  }
  return out;
}

/** True when this login may apply migrations (every privilege they use, schema-wide). */
export async function canMigrate(conn: Connection): Promise<boolean> {
  const held = await schemaPrivileges(conn);
  return held.has('ALL PRIVILEGES') || MIGRATE_PRIVILEGES.every((p) => held.has(p));
}

/** The sidecar's own tables present in the schema (its migrations and lease tables included). */
export async function ownTables(conn: Connection, tablePrefix: string): Promise<string[]> {
  const [rows] = await conn.query(
    `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE ? ORDER BY TABLE_NAME`,
    [`${tablePrefix.replace(/[\\_%]/g, (ch) => `\\${ch}`)}%`],
  );
  return (rows as Array<{ t: string }>).map((r) => r.t);
}

/** The runtime login only reads the migration bookkeeping (to check it is current); the owner login writes it. */
export function readOnlyOwnTables(tablePrefix: string): Set<string> {
  return new Set([`${tablePrefix}migrations`, `${tablePrefix}migration_lease`]);
}

/**
 * The GRANT statements for a runtime login that can move coins but never ALTER, for the sidecar's tables as they
 * are now (a migration that adds a table needs its grant added: the doctor names it).
 */
export function runtimeGrantStatements(database: string, ownTableNames: string[], tablePrefix: string, wpTablePrefix: string, login: string): string[] {
  const readOnly = readOnlyOwnTables(tablePrefix);
  return [
    ...ownTableNames.map((t) => `GRANT ${readOnly.has(t) ? 'SELECT' : TABLE_PRIVILEGES.join(', ')} ON \`${database}\`.\`${t}\` TO ${login};`),
    ...WP_READ_TABLES.map((t) => `GRANT SELECT ON \`${database}\`.\`${wpTablePrefix}${t}\` TO ${login};`),
  ];
}

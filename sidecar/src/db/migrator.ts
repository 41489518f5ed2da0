// Applies the ordered plain-SQL files in sql/ once each; safe when several instances start together, on one
// server or on the nodes of a multi-primary cluster.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, type Connection } from 'mysql2/promise';
import { parseDatabaseUrl } from './database-url.js';
import { errno, isDuplicateKey, isRetryable, retryStatement } from './retry.js';

export const SQL_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../sql');
/** How long a start waits for another instance's migrations before giving up. */
const LEASE_WAIT_S = 300;
const DEFAULT_LEASE_TTL_S = 30;
const LEASE_POLL_MS = 250;
const LEASE_NAME = 'migrate';

export interface MigrateOptions {
  url: string;
  tablePrefix: string;
  wpTablePrefix: string;
  dir?: string;
  log?: (msg: string) => void;
  /** A lease not renewed for this long was left by an instance that died; another may take it. */
  leaseTtlS?: number;
}

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export async function loadMigrations(dir = SQL_DIR): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => /^\d{3}_[a-z0-9_]+\.sql$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** Splits a file into statements at semicolons that end a line; comments are dropped. */
export function splitStatements(sql: string): string[] {
  const lines = sql.split('\n').filter((l) => !/^\s*--/.test(l));
  return lines
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function render(sql: string, tablePrefix: string, wpTablePrefix: string): string {
  return sql.replaceAll('{prefix}', tablePrefix).replaceAll('{wp_prefix}', wpTablePrefix);
}

/**
 * Applies pending migrations while holding a lease row; returns the names applied by this call.
 *
 * GET_LOCK would lock one node of a Galera cluster only. The lease is a row inserted by an autocommit
 * statement: a primary-key insert certifies cluster-wide (two nodes inserting it at once, one gets a
 * duplicate key or a certification conflict), so exactly one instance migrates while the others wait,
 * then re-read what it applied. The holder renews the lease from a second connection while a long
 * statement runs; a lease left by an instance that died expires and is taken over.
 */
export async function migrate(opts: MigrateOptions): Promise<string[]> {
  const log = opts.log ?? (() => {});
  const migrations = await loadMigrations(opts.dir);
  const ttlS = opts.leaseTtlS ?? DEFAULT_LEASE_TTL_S;
  const connect = () => createConnection({ ...parseDatabaseUrl(opts.url), multipleStatements: false });
  const conn = await connect();
  const table = `\`${opts.tablePrefix}migrations\``;
  const lease = `\`${opts.tablePrefix}migration_lease\``;
  const holder = randomUUID();
  try {
    // Concurrent CREATE TABLE IF NOT EXISTS is safe: a cluster orders DDL, and the later one does nothing.
    await conn.query(
      `CREATE TABLE IF NOT EXISTS ${lease} (
         name VARCHAR(64) NOT NULL PRIMARY KEY,
         holder CHAR(36) NOT NULL,
         expires_at DATETIME(3) NOT NULL
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    await conn.query(
      `CREATE TABLE IF NOT EXISTS ${table} (
         name VARCHAR(191) NOT NULL PRIMARY KEY,
         checksum CHAR(64) NOT NULL,
         applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
       ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    );
    // Nothing pending (every restart of an up-to-date database): no lease, so a lease left by an instance killed
    // mid-migration cannot hold up the start of the others.
    if ((await pendingMigrations(conn, table, migrations)).length === 0) return [];
    await takeLease(conn, lease, holder, ttlS);
    const renewer = await connect();
    let lost = false;
    const renew = setInterval(() => {
      renewer
        .query(`UPDATE ${lease} SET expires_at = NOW(3) + INTERVAL ? SECOND WHERE name = ? AND holder = ?`, [ttlS, LEASE_NAME, holder])
        .then(([res]) => {
          if ((res as { affectedRows: number }).affectedRows !== 1) lost = true;
        })
        .catch((err: unknown) => log(`migration lease not renewed (errno ${errno(err) ?? '?'}); trying again`));
    }, (ttlS * 1000) / 3);
    try {
      return await applyPending(conn, table, migrations, opts, log, () => {
        if (lost) throw new Error('migrate: the migration lease expired while migrating; another instance may have taken over');
      });
    } finally {
      clearInterval(renew);
      await renewer.end().catch(() => {});
      // Left in place, the lease only delays the next start until it expires.
      await retryStatement(() => conn.query(`DELETE FROM ${lease} WHERE name = ? AND holder = ?`, [LEASE_NAME, holder])).catch((err: unknown) =>
        log(`migration lease not released (errno ${errno(err) ?? '?'}); it expires in ${ttlS}s`),
      );
    }
  } finally {
    await conn.end();
  }
}

/** Waits until this instance holds the lease row; an expired row is removed first. */
async function takeLease(conn: Connection, lease: string, holder: string, ttlS: number): Promise<void> {
  const deadline = Date.now() + LEASE_WAIT_S * 1000;
  for (;;) {
    await retryStatement(() => conn.query(`DELETE FROM ${lease} WHERE name = ? AND expires_at < NOW(3)`, [LEASE_NAME]));
    try {
      await conn.query(`INSERT INTO ${lease} (name, holder, expires_at) VALUES (?, ?, NOW(3) + INTERVAL ? SECOND)`, [LEASE_NAME, holder, ttlS]);
      return;
    } catch (err) {
      // A duplicate key: another instance holds it. A conflict: another node's insert certified first.
      if (!isDuplicateKey(err) && !isRetryable(err)) throw err;
    }
    if (Date.now() > deadline) throw new Error(`migrate: another instance held the migration lease for more than ${LEASE_WAIT_S}s`);
    await new Promise((r) => setTimeout(r, LEASE_POLL_MS / 2 + Math.random() * LEASE_POLL_MS));
  }
}

/** The migrations not applied yet; an applied one whose file changed since is refused. */
async function pendingMigrations(conn: Connection, table: string, migrations: Migration[]): Promise<Migration[]> {
  const [rows] = await conn.query(`SELECT name, checksum FROM ${table}`);
  const applied = new Map((rows as Array<{ name: string; checksum: string }>).map((r) => [r.name, r.checksum]));
  return migrations.filter((m) => {
    const seen = applied.get(m.name);
    if (seen === undefined) return true;
    if (seen !== m.checksum) throw new Error(`migrate: ${m.name} was edited after it was applied; add a new migration instead`);
    return false;
  });
}

async function applyPending(
  conn: Connection,
  table: string,
  migrations: Migration[],
  opts: MigrateOptions,
  log: (msg: string) => void,
  stillHeld: () => void,
): Promise<string[]> {
  // Read again under the lease: another instance may have applied some while this one waited.
  const done: string[] = [];
  for (const m of await pendingMigrations(conn, table, migrations)) {
    for (const statement of splitStatements(render(m.sql, opts.tablePrefix, opts.wpTablePrefix))) {
      stillHeld();
      await conn.query(statement);
    }
    stillHeld();
    await conn.query(`INSERT INTO ${table} (name, checksum) VALUES (?, ?)`, [m.name, m.checksum]);
    log(`applied ${m.name}`);
    done.push(m.name);
  }
  return done;
}

// Applies the ordered plain-SQL files in sql/ once each; safe when several instances start together.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection, type Connection } from 'mysql2/promise';
import { parseDatabaseUrl } from './database-url.js';

export const SQL_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../sql');
const LOCK_TIMEOUT_S = 60;

export interface MigrateOptions {
  url: string;
  tablePrefix: string;
  wpTablePrefix: string;
  dir?: string;
  log?: (msg: string) => void;
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

/** Applies pending migrations under a named lock; returns the names applied by this call. */
export async function migrate(opts: MigrateOptions): Promise<string[]> {
  const log = opts.log ?? (() => {});
  const migrations = await loadMigrations(opts.dir);
  const conn = await createConnection({ ...parseDatabaseUrl(opts.url), multipleStatements: false });
  const table = `\`${opts.tablePrefix}migrations\``;
  const lockName = `${opts.tablePrefix}migrate`;
  try {
    const [lockRows] = await conn.query('SELECT GET_LOCK(?, ?) AS got', [lockName, LOCK_TIMEOUT_S]);
    if ((lockRows as Array<{ got: number }>)[0]?.got !== 1) {
      throw new Error(`migrate: could not take the migration lock within ${LOCK_TIMEOUT_S}s`);
    }
    try {
      await conn.query(
        `CREATE TABLE IF NOT EXISTS ${table} (
           name VARCHAR(191) NOT NULL PRIMARY KEY,
           checksum CHAR(64) NOT NULL,
           applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      );
      return await applyPending(conn, table, migrations, opts, log);
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    await conn.end();
  }
}

async function applyPending(
  conn: Connection,
  table: string,
  migrations: Migration[],
  opts: MigrateOptions,
  log: (msg: string) => void,
): Promise<string[]> {
  const [rows] = await conn.query(`SELECT name, checksum FROM ${table}`);
  const applied = new Map((rows as Array<{ name: string; checksum: string }>).map((r) => [r.name, r.checksum]));
  const done: string[] = [];
  for (const m of migrations) {
    const seen = applied.get(m.name);
    if (seen !== undefined) {
      if (seen !== m.checksum) {
        throw new Error(`migrate: ${m.name} was edited after it was applied; add a new migration instead`);
      }
      continue;
    }
    for (const statement of splitStatements(render(m.sql, opts.tablePrefix, opts.wpTablePrefix))) {
      await conn.query(statement);
    }
    await conn.query(`INSERT INTO ${table} (name, checksum) VALUES (?, ?)`, [m.name, m.checksum]);
    log(`applied ${m.name}`);
    done.push(m.name);
  }
  return done;
}

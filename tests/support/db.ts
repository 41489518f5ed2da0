// A fresh MariaDB database per test file: migrated, with WordPress's core tables, dropped at the end.
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'mysql2/promise';
import { createDb, type Db } from '../../sidecar/src/db/database.js';
import { migrate, render, splitStatements, SQL_DIR } from '../../sidecar/src/db/migrator.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Server URL without a database; scripts/provision makes sure this login works. */
export const ADMIN_URL = process.env['TEST_DATABASE_ADMIN_URL'] ?? 'mysql://goldcoin:goldcoin@127.0.0.1:3306';
export const TABLE_PREFIX = 'wp_goldcoin_';
export const WP_PREFIX = 'wp_';

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** `adminUrl` picks another server than the shared one (a test's private MariaDB). */
export async function createTestDatabase(label: string, opts: { poolSize?: number; adminUrl?: string } = {}): Promise<TestDatabase> {
  const safe = basename(label).replace(/\.[a-z.]+$/, '').replace(/[^a-zA-Z0-9]/g, '_').slice(0, 30);
  const name = `gct_${safe}_${randomBytes(3).toString('hex')}`;
  const adminUrl = opts.adminUrl ?? ADMIN_URL;
  const url = await createEmptyDatabase(name, adminUrl);
  await installWordPressTables(url, WP_PREFIX);
  return attachTestDatabase(name, opts.poolSize ?? 20, adminUrl);
}

/** Creates an empty database (dropping one left by an earlier run of the same name); returns its URL. */
export async function createEmptyDatabase(name: string, adminUrl = ADMIN_URL): Promise<string> {
  await dropDatabase(name, adminUrl);
  const conn = await createConnection({ uri: adminUrl });
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  return `${adminUrl}/${name}`;
}

/**
 * A database named `name` with WordPress's tables and the migrations before `first` (e.g. '021') applied, to test a
 * migration on rows written before it; `drop` removes it.
 */
export async function migratedBefore(name: string, first: string): Promise<{ url: string; drop(): Promise<void> }> {
  const url = await createEmptyDatabase(name);
  await installWordPressTables(url, WP_PREFIX);
  const dir = await mkdtemp(join(tmpdir(), 'goldcoin-sql-'));
  try {
    for (const f of (await readdir(SQL_DIR)).filter((f) => f.endsWith('.sql') && f < first)) await cp(join(SQL_DIR, f), join(dir, f));
    await migrate({ url, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX, dir });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { url, drop: () => dropDatabase(name) };
}

export async function dropDatabase(name: string, adminUrl = ADMIN_URL): Promise<void> {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`bad database name ${name}`);
  const conn = await createConnection({ uri: adminUrl });
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.end();
}

/** The sidecar's side of an existing database: its migrations applied and a Kysely handle; drop() removes it all. */
export async function attachTestDatabase(name: string, poolSize = 10, adminUrl = ADMIN_URL): Promise<TestDatabase> {
  const url = `${adminUrl}/${name}`;
  await migrate({ url, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX });
  const db = createDb({ url, poolSize, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX });
  return {
    name,
    url,
    db,
    async drop() {
      await db.destroy();
      await dropDatabase(name, adminUrl);
    },
  };
}

export async function installWordPressTables(url: string, wpPrefix: string): Promise<void> {
  const schema = await readFile(join(here, 'wp-schema.sql'), 'utf8');
  const conn = await createConnection({ uri: url });
  for (const s of splitStatements(render(schema, TABLE_PREFIX, wpPrefix))) await conn.query(s);
  await conn.end();
}

let nextUser = 1;
/** Inserts a WordPress user row (as wp_insert_user would) and returns its ID. */
export async function createWpUser(db: Db, login = `user${nextUser++}_${randomBytes(2).toString('hex')}`): Promise<number> {
  const res = await db
    .insertInto('users')
    .values({ user_login: login, user_email: `${login}@example.test`, display_name: login } as never)
    .executeTakeFirstOrThrow();
  return Number(res.insertId);
}

// The Kysely instance over a mysql2 pool, with table prefixes and UTC dates.
import { Kysely, MysqlDialect, type Transaction } from 'kysely';
import { createPool, type Pool } from 'mysql2';
import { parseDatabaseUrl } from './database-url.js';
import { TablePrefixPlugin } from './prefix-plugin.js';
import type { Database } from './types.js';

export type Db = Kysely<Database>;
/** Domain functions take either the database or an open transaction. */
export type DbOrTx = Kysely<Database> | Transaction<Database>;

export interface DbOptions {
  url: string;
  poolSize: number;
  tablePrefix: string;
  wpTablePrefix: string;
}

export function createPoolFromUrl(url: string, poolSize: number): Pool {
  return createPool({
    ...parseDatabaseUrl(url),
    connectionLimit: poolSize,
    // DECIMAL stays a string; BIGINT is a number while it is safe (coins always are).
    decimalNumbers: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
    dateStrings: false,
    charset: 'utf8mb4_unicode_ci',
    connectTimeout: 5_000,
    enableKeepAlive: true,
    // Each connection sizes its prepared-statement cache up front (16,000 slots by default, some 250 KiB a
    // connection); every statement here is a text query (Kysely's query()), so one slot is enough.
    maxPreparedStatements: 1,
  });
}

export function createDb(opts: DbOptions): Db {
  const pool = createPoolFromUrl(opts.url, opts.poolSize);
  pool.on('connection', (conn) => {
    conn.query("SET time_zone = '+00:00'");
  });
  return new Kysely<Database>({
    dialect: new MysqlDialect({ pool }),
    plugins: [new TablePrefixPlugin(opts.tablePrefix, opts.wpTablePrefix)],
  });
}

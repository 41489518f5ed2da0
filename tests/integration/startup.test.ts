// Start-up: bad configuration exits with one line naming the variable; migrations apply once, concurrently.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../sidecar/src/config.js';
import { createDb } from '../../sidecar/src/db/database.js';
import { loadMigrations, migrate, SQL_DIR } from '../../sidecar/src/db/migrator.js';
import { applyMovement, readBalance } from '../../sidecar/src/ledger/ledger.js';
import { testEnv } from '../support/app.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort, startSidecar } from '../support/sidecar-process.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
});
afterAll(async () => tdb?.drop());

/** The test server's own unix socket, as it reports it. */
async function serverSocket(): Promise<string> {
  const conn = await createConnection({ uri: ADMIN_URL });
  try {
    const [rows] = await conn.query('SELECT @@socket AS socket');
    return (rows as Array<{ socket: string }>)[0]!.socket;
  } finally {
    await conn.end();
  }
}

function runSidecar(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sidecar/src/main.ts'], {
      env: { PATH: process.env['PATH'] ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('configuration', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['a missing DATABASE_URL', { DATABASE_URL: '' }, /^config: DATABASE_URL is required$/],
    ['a DATABASE_URL of another scheme', { DATABASE_URL: 'postgres://u:p@127.0.0.1/db' }, /^config: DATABASE_URL expected mysql:\/\/user:pass@host:port\/db$/],
    ['a DATABASE_URL passing a driver option', { DATABASE_URL: 'mysql://u:p@127.0.0.1/db?multipleStatements=true' }, /^config: DATABASE_URL unknown parameter multipleStatements/],
    ['a relative DATABASE_URL socket', { DATABASE_URL: 'mysql://u:p@localhost/db?socket=mysqld.sock' }, /^config: DATABASE_URL socket must be an absolute path$/],
    ['a short JWT secret', { GOLDCOIN_JWT_SECRET: 'short' }, /^config: GOLDCOIN_JWT_SECRET must be at least 32 bytes$/],
    ['a non-numeric PORT', { PORT: 'eighty' }, /^config: PORT /],
    ['a bad WP_HOME', { WP_HOME: 'not a url' }, /^config: WP_HOME /],
    ['a missing IPN secret', { COINPAYMENTS_IPN_SECRET: '' }, /^config: COINPAYMENTS_IPN_SECRET is required with the other legacy CoinPayments settings$/],
    ['half an integration', { COINPAYMENTS_CLIENT_ID: 'client-1' }, /^config: COINPAYMENTS_CLIENT_SECRET is required with the other CoinPayments integration settings$/],
    [
      'the new platform chosen without an integration',
      { COINPAYMENTS_PLATFORM: 'v2' },
      /^config: COINPAYMENTS_PLATFORM is v2 but COINPAYMENTS_CLIENT_ID and COINPAYMENTS_CLIENT_SECRET are not set$/,
    ],
    [
      'no platform at all',
      { COINPAYMENTS_PUBLIC_KEY: '', COINPAYMENTS_PRIVATE_KEY: '', COINPAYMENTS_MERCHANT_ID: '', COINPAYMENTS_IPN_SECRET: '' },
      /^config: COINPAYMENTS_CLIENT_ID and COINPAYMENTS_CLIENT_SECRET \(or the legacy .*\) are required$/,
    ],
    [
      "the tests' published JWT secret beside the real CoinPayments",
      { COINPAYMENTS_API_URL: 'https://www.coinpayments.net/api.php' },
      /^config: GOLDCOIN_JWT_SECRET is a published placeholder; set a random secret$/,
    ],
    [
      'a plain-http payment API off loopback',
      { COINPAYMENTS_API_URL: 'http://pay.example.com/api.php' },
      /^config: COINPAYMENTS_API_URL must be https unless it points at a loopback simulator$/,
    ],
  ];
  it.each(cases)('exits non-zero with one line naming the variable for %s', async (_name, override, message) => {
    const { code, stderr } = await runSidecar({ ...testEnv(tdb.url), ...override });
    expect(code).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('serves from a database reached through its unix socket (?socket=), as on a WordPress host', async () => {
    const socket = await serverSocket();
    const url = new URL(tdb.url);
    url.hostname = 'localhost';
    url.searchParams.set('socket', socket);
    const config = parseConfig(testEnv(url.toString()));
    const db = createDb({ url: config.databaseUrl, poolSize: 1, tablePrefix: config.tablePrefix, wpTablePrefix: config.wpTablePrefix });
    try {
      const via = await sql<{ v: string }>`SELECT @@socket AS socket, CURRENT_USER() AS v`.execute(db);
      expect(via.rows[0]!.v).toMatch(/@localhost$/);
      await applyMovement(db, { userId: 424242, deltaCoins: 7, kind: 'adjustment', idempotencyRef: 'socket-test', actor: 'test' });
      expect(await readBalance(tdb.db, 424242)).toBe(7);
    } finally {
      await db.destroy();
    }
  });

  it('never echoes a secret in its message', () => {
    expect(() => parseConfig({ ...testEnv(tdb.url), GOLDCOIN_JWT_SECRET: 'tiny-secret' })).toThrow(/^(?!.*tiny-secret)/);
  });
});

describe('metrics on an internal port', () => {
  it('serves /metrics on METRICS_PORT without a token, and refuses it on the public port when no token is set', async () => {
    const metricsPort = await freePort();
    const sidecar = await startSidecar({ env: testEnv(tdb.url, { METRICS_TOKEN: '', METRICS_PORT: String(metricsPort) }), label: 'metrics-port' });
    try {
      const internal = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(internal.status).toBe(200);
      expect(await internal.text()).toMatch(/^goldcoin_pending_payments \d+$/m);
      const publicPort = await fetch(`${sidecar.url}/metrics`);
      expect(publicPort.status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/api/wallet`)).status).toBe(404);
    } finally {
      await sidecar.stop();
    }
  });
});

describe('migrations', () => {
  it('apply each file once even when several instances start together', async () => {
    const conn = await createConnection({ uri: ADMIN_URL });
    const name = `${tdb.name}_m`;
    await conn.query(`CREATE DATABASE \`${name}\``);
    try {
      const url = `${ADMIN_URL}/${name}`;
      const runs = await Promise.all(
        Array.from({ length: 4 }, () => migrate({ url, tablePrefix: 'site2_', wpTablePrefix: 'wp_' })),
      );
      const files = await loadMigrations();
      expect(runs.flat().sort()).toEqual(files.map((f) => f.name).sort());
      const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM \`${name}\`.site2_migrations`);
      expect((rows as Array<{ n: number }>)[0]!.n).toBe(files.length);
      expect(await migrate({ url, tablePrefix: 'site2_', wpTablePrefix: 'wp_' })).toEqual([]);
    } finally {
      await conn.query(`DROP DATABASE \`${name}\``);
      await conn.end();
    }
  });

  it('starts at once on an up-to-date database even while a dead instance still holds the lease', async () => {
    const conn = await createConnection({ uri: ADMIN_URL });
    const name = `${tdb.name}_k`;
    await conn.query(`CREATE DATABASE \`${name}\``);
    try {
      const url = `${ADMIN_URL}/${name}`;
      await migrate({ url, tablePrefix: 'site4_', wpTablePrefix: 'wp_' });
      // Killed mid-start: its lease runs for another minute and is never renewed or released.
      await conn.query(`INSERT INTO \`${name}\`.site4_migration_lease (name, holder, expires_at) VALUES ('migrate', 'dead-instance', NOW(3) + INTERVAL 60 SECOND)`);
      const started = Date.now();
      expect(await migrate({ url, tablePrefix: 'site4_', wpTablePrefix: 'wp_' })).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1_000);
      const [rows] = await conn.query(`SELECT holder FROM \`${name}\`.site4_migration_lease`);
      expect(rows).toEqual([{ holder: 'dead-instance' }]);
    } finally {
      await conn.query(`DROP DATABASE \`${name}\``);
      await conn.end();
    }
  });

  it('waits for a lease held by another instance and takes over one left by an instance that died once it expires', async () => {
    const conn = await createConnection({ uri: ADMIN_URL });
    const name = `${tdb.name}_l`;
    await conn.query(`CREATE DATABASE \`${name}\``);
    // A migration this database has not had yet, so the start needs the lease.
    const dir = await mkdtemp(join(tmpdir(), 'goldcoin-sql-'));
    try {
      const url = `${ADMIN_URL}/${name}`;
      expect(await migrate({ url, tablePrefix: 'site3_', wpTablePrefix: 'wp_' })).toHaveLength((await loadMigrations()).length);
      await cp(SQL_DIR, dir, { recursive: true });
      await writeFile(join(dir, '999_later.sql'), 'CREATE TABLE {prefix}later (id INT PRIMARY KEY) ENGINE=InnoDB;\n');
      // An instance that died while migrating: its lease runs for two more seconds and is never renewed.
      await conn.query(`INSERT INTO \`${name}\`.site3_migration_lease (name, holder, expires_at) VALUES ('migrate', 'dead-instance', NOW(3) + INTERVAL 2 SECOND)`);
      const started = Date.now();
      expect(await migrate({ url, dir, tablePrefix: 'site3_', wpTablePrefix: 'wp_', leaseTtlS: 5 })).toEqual(['999_later.sql']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
      const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM \`${name}\`.site3_migration_lease`);
      expect((rows as Array<{ n: number }>)[0]!.n).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await conn.query(`DROP DATABASE \`${name}\``);
      await conn.end();
    }
  });

  it('keeps two sites apart in one database by table prefix', async () => {
    await migrate({ url: tdb.url, tablePrefix: 'othersite_', wpTablePrefix: 'wp_' });
    const conn = await createConnection({ uri: tdb.url });
    const [rows] = await conn.query("SHOW TABLES LIKE 'othersite\\_%'");
    await conn.end();
    expect((rows as unknown[]).length).toBeGreaterThanOrEqual(4);
  });
});

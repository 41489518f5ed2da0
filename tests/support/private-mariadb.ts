// A throwaway MariaDB server owned by one test file, so it can be SIGKILLed and restarted without touching the shared one.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { freePort } from './sidecar-process.js';

const run = promisify(execFile);
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const MARIADBD = '/usr/sbin/mariadbd';
const READY_POLL_MS = 50;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const INSTALL_TIMEOUT_MS = 60_000;
const MAX_LOG_BYTES = 200_000;
/** The project's login (as scripts/provision creates it on the shared server), so the sidecar authenticates for real. */
const LOGIN = { user: 'goldcoin', password: 'goldcoin' };

/** Small and quick to start: a test server, but durable like production (every commit reaches the redo log). */
const SERVER_ARGS = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=16M',
  '--innodb-flush-log-at-trx-commit=1',
  '--skip-log-bin',
  '--performance-schema=OFF',
  '--skip-name-resolve',
  '--max-connections=100',
];

export interface PrivateMariaDb {
  readonly port: number;
  /** Server URL without a database, for the project's login; pass it to createTestDatabase as adminUrl. */
  readonly adminUrl: string;
  pid(): number | undefined;
  /** What the server wrote to its error log and stderr across every start (bounded). */
  logs(): string;
  /** SIGKILL: no shutdown, no flush; the next start runs InnoDB crash recovery. Resolves once the process is gone. */
  crash(): Promise<void>;
  /** Starts again on the same data directory and port; resolves with the milliseconds until it accepted a login. */
  start(): Promise<number>;
  /** Kills the server and removes its data directory. */
  destroy(): Promise<void>;
}

/** Every server this process started, killed on exit so that a crashed test run leaves none behind. */
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, dir] of live) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

export async function startPrivateMariaDb(opts: { readyTimeoutMs?: number } = {}): Promise<PrivateMariaDb> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'goldcoin-mariadb-'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  // --user only matters when running as root; elsewhere the server runs as whoever starts it.
  const user = `--user=${userInfo().username}`;
  let logText = '';
  const append = (chunk: Buffer | string) => {
    logText += chunk.toString();
    if (logText.length > MAX_LOG_BYTES) logText = logText.slice(-MAX_LOG_BYTES / 2);
  };

  try {
    await run(INSTALL_DB, ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', user, ...SERVER_ARGS], {
      timeout: INSTALL_TIMEOUT_MS,
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(`mariadb-install-db failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`.slice(-4000));
  }

  const port = await freePort();
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const alive = () => child !== null && child.exitCode === null && child.signalCode === null;

  async function launch(): Promise<number> {
    if (alive()) throw new Error('the private MariaDB is still running');
    const started = performance.now();
    const proc = spawn(
      MARIADBD,
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${socket}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        // Another process may hold the port for a moment after a crash: wait for it rather than fail.
        '--port-open-timeout=10',
        user,
        ...SERVER_ARGS,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    live.set(proc, dir);
    proc.stdout!.on('data', append);
    proc.stderr!.on('data', append);
    exited = new Promise((resolve) =>
      proc.once('exit', () => {
        live.delete(proc);
        resolve();
      }),
    );
    const deadline = Date.now() + (opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    for (;;) {
      if (!alive()) throw new Error(`the private MariaDB exited during start-up:\n${logText.slice(-4000)}`);
      try {
        // Root over the socket until the project login exists, then that login over TCP, as the sidecar connects.
        const conn = await createConnection({ host: '127.0.0.1', port, ...LOGIN, connectTimeout: 1_000 }).catch(() =>
          createConnection({ socketPath: socket, user: 'root', connectTimeout: 1_000 }),
        );
        await conn.end();
        return performance.now() - started;
      } catch {
        // not accepting connections yet (or crash recovery still running)
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`the private MariaDB was not ready within ${opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS} ms:\n${logText.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  }

  async function kill() {
    if (alive()) child!.kill('SIGKILL');
    await exited;
  }

  try {
    await launch();
    const root = await createConnection({ socketPath: socket, user: 'root' });
    await root.query(`CREATE USER '${LOGIN.user}'@'127.0.0.1' IDENTIFIED BY '${LOGIN.password}'`);
    await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${LOGIN.user}'@'127.0.0.1'`);
    // The install leaves root without a password: keep it to the socket, in a directory only this user can enter.
    await root.query(`DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1'`);
    await root.end();
  } catch (err) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    adminUrl: `mysql://${LOGIN.user}:${LOGIN.password}@127.0.0.1:${port}`,
    pid: () => child?.pid,
    logs: () => logText,
    crash: kill,
    start: launch,
    async destroy() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A throwaway 3-node MariaDB Galera cluster on loopback (rsync SST, own datadirs and ports), for tests and by hand.
import { execFile, spawn } from 'node:child_process';
import { accessSync, chmodSync, chownSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { createConnection, type Connection } from 'mysql2/promise';
import type { Db } from '../../sidecar/src/db/database.js';
import type { Database } from '../../sidecar/src/db/types.js';
import { freePort } from './sidecar-process.js';

const run = promisify(execFile);
export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const INSTALL_DB = '/usr/bin/mariadb-install-db';
const MARIADBD = '/usr/sbin/mariadbd';
const NODES = 3;
const POLL_MS = 100;
const NODE_READY_TIMEOUT_MS = 60_000;
const INSTALL_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
/** The project's login, as scripts/provision creates it on the shared server. */
const LOGIN = { user: 'goldcoin', password: 'goldcoin' };
const STATE_FILE = 'cluster.json';

/**
 * Small, quick to start, and configured as Galera requires: row-based replication, InnoDB, interleaved
 * auto-increment locks. Commits flush to the OS only: a Galera node's durability is the group's (a lost
 * node rejoins by state transfer), which is also how Galera clusters are usually run.
 */
const SERVER_ARGS = [
  '--innodb-buffer-pool-size=32M',
  '--innodb-log-file-size=16M',
  '--innodb-flush-log-at-trx-commit=2',
  '--skip-log-bin',
  '--performance-schema=OFF',
  '--skip-name-resolve',
  '--max-connections=200',
  '--binlog-format=ROW',
  '--default-storage-engine=InnoDB',
  '--innodb-autoinc-lock-mode=2',
];

export interface GaleraNode {
  readonly name: string;
  /** SQL port on 127.0.0.1. */
  readonly port: number;
  /** Server URL without a database, for the project's login. */
  readonly adminUrl: string;
  readonly socket: string;
  readonly pid: number;
}

export interface GaleraCluster {
  readonly dir: string;
  readonly nodes: GaleraNode[];
  /** Milliseconds from the first install step until all three nodes were synced. */
  readonly startupMs: number;
  /** The tail of one node's error log. */
  logs(node: number): string;
  /** Stops every node and removes the cluster's directory. */
  stop(): Promise<void>;
}

interface ClusterState {
  dir: string;
  startupMs: number;
  nodes: GaleraNode[];
}

/** Why a Galera cluster cannot run on this machine, or null when it can. */
export function galeraUnavailable(): string | null {
  for (const path of [GALERA_PROVIDER, MARIADBD, INSTALL_DB]) {
    if (!existsSync(path)) return `${path} is missing (Debian's galera-4 and mariadb-server; scripts/provision installs them)`;
  }
  if (!pathHasExecutable('rsync')) return 'rsync is missing (the state transfer method; scripts/provision installs it)';
  if (process.getuid?.() === 0) {
    try {
      mysqlUser();
    } catch {
      return 'running as root but there is no mysql user to run the servers as';
    }
  }
  return null;
}

function pathHasExecutable(name: string): boolean {
  return (process.env['PATH'] ?? '').split(':').some((d) => {
    try {
      accessSync(join(d, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function mysqlUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('mysql:'));
  if (!line) throw new Error('no mysql user');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function status(conn: Connection, name: string): Promise<string | undefined> {
  const [rows] = await conn.query('SHOW GLOBAL STATUS LIKE ?', [name]);
  return (rows as Array<{ Value: string }>)[0]?.Value;
}

/** Polls one node over its socket until it is a synced member of a primary component of `size` nodes. */
async function waitSynced(node: GaleraNode, size: number, logPath: string, deadline: number): Promise<void> {
  for (;;) {
    if (!processAlive(node.pid)) throw new Error(`${node.name} exited during start-up:\n${tail(logPath)}`);
    let conn: Connection | undefined;
    try {
      conn = await createConnection({ socketPath: node.socket, user: 'root', connectTimeout: 1_000 });
      const ready = await status(conn, 'wsrep_ready');
      const clusterSize = Number(await status(conn, 'wsrep_cluster_size'));
      const state = await status(conn, 'wsrep_local_state_comment');
      if (ready === 'ON' && clusterSize === size && state === 'Synced') return;
    } catch {
      // not accepting connections yet (state transfer still running)
    } finally {
      await conn?.end().catch(() => {});
    }
    if (Date.now() > deadline) throw new Error(`${node.name} was not synced in a cluster of ${size} in time:\n${tail(logPath)}`);
    await sleep(POLL_MS);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(path: string, chars = 4000): string {
  try {
    return readFileSync(path, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/**
 * Starts three nodes: the first with --wsrep-new-cluster, the other two join it and copy its data by rsync.
 * The servers are detached (their own process group, logs in files) so the cluster can outlive the process
 * that started it; stopGaleraCluster(dir) stops it from anywhere.
 */
export async function startGaleraCluster(opts: { dir?: string; killOnExit?: boolean } = {}): Promise<GaleraCluster> {
  const reason = galeraUnavailable();
  if (reason) throw new Error(`galera: ${reason}`);
  const started = performance.now();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'goldcoin-galera-'));
  mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot ? 'mysql' : userInfo().username;
  // The servers run as mysql and must reach their datadirs through this directory.
  chmodSync(dir, 0o755);
  const ports = await distinctFreePorts(NODES * 4);
  const nodes: GaleraNode[] = [];
  const layout = Array.from({ length: NODES }, (_, i) => {
    const [sql, gcomm, ist, sst] = ports.slice(i * 4, i * 4 + 4) as [number, number, number, number];
    const name = `node${i + 1}`;
    return { name, sql, gcomm, ist, sst, datadir: join(dir, name), socket: join(dir, `${name}.sock`), log: join(dir, `${name}.err`) };
  });
  const clusterAddress = `gcomm://${layout.map((n) => `127.0.0.1:${n.gcomm}`).join(',')}`;
  // A test process that dies leaves no servers behind (they are detached, so nothing else would stop them).
  const onExit = () => {
    for (const n of nodes) if (processAlive(n.pid)) process.kill(n.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  if (opts.killOnExit) process.once('exit', onExit);
  const stopAll = async () => {
    process.off('exit', onExit);
    await stopNodes(nodes);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await run(INSTALL_DB, ['--no-defaults', `--datadir=${layout[0]!.datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', `--user=${runAs}`], {
      timeout: INSTALL_TIMEOUT_MS,
    });
    for (const n of layout.slice(1)) mkdirSync(n.datadir);
    if (asRoot) {
      const { uid, gid } = mysqlUser();
      // Sockets and pid files go beside the datadirs.
      chownSync(dir, uid, gid);
      for (const n of layout) chownTree(n.datadir, uid, gid);
    }

    const launch = (i: number): GaleraNode => {
      const n = layout[i]!;
      const out = openSync(n.log, 'a');
      const proc = spawn(
        MARIADBD,
        [
          '--no-defaults',
          `--datadir=${n.datadir}`,
          `--port=${n.sql}`,
          '--bind-address=127.0.0.1',
          `--socket=${n.socket}`,
          `--pid-file=${join(dir, `${n.name}.pid`)}`,
          `--user=${runAs}`,
          ...SERVER_ARGS,
          '--wsrep-on=ON',
          `--wsrep-provider=${GALERA_PROVIDER}`,
          `--wsrep-cluster-address=${clusterAddress}`,
          '--wsrep-cluster-name=goldcoin-test',
          `--wsrep-node-name=${n.name}`,
          `--wsrep-node-address=127.0.0.1:${n.gcomm}`,
          '--wsrep-sst-method=rsync',
          `--wsrep-sst-receive-address=127.0.0.1:${n.sst}`,
          '--wsrep-slave-threads=2',
          `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${n.gcomm};ist.recv_addr=127.0.0.1:${n.ist};gcache.size=64M`,
          ...(i === 0 ? ['--wsrep-new-cluster'] : []),
        ],
        { detached: true, stdio: ['ignore', out, out] },
      );
      closeSync(out);
      proc.unref();
      if (proc.pid === undefined) throw new Error(`${n.name} could not be spawned`);
      const node = { name: n.name, port: n.sql, adminUrl: `mysql://${LOGIN.user}:${LOGIN.password}@127.0.0.1:${n.sql}`, socket: n.socket, pid: proc.pid };
      nodes.push(node);
      return node;
    };

    const deadline = Date.now() + NODE_READY_TIMEOUT_MS;
    const first = launch(0);
    await waitSynced(first, 1, layout[0]!.log, deadline);
    // Created before the others join, so their state transfer brings the login along.
    const root = await createConnection({ socketPath: first.socket, user: 'root' });
    await root.query(`CREATE USER '${LOGIN.user}'@'127.0.0.1' IDENTIFIED BY '${LOGIN.password}'`);
    await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${LOGIN.user}'@'127.0.0.1'`);
    await root.query(`DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1'`);
    await root.end();
    const joiners = layout.slice(1).map((_, i) => launch(i + 1));
    await Promise.all(joiners.map((node, i) => waitSynced(node, NODES, layout[i + 1]!.log, deadline)));
    await waitSynced(first, NODES, layout[0]!.log, deadline);
  } catch (err) {
    await stopAll();
    throw err;
  }

  const state: ClusterState = { dir, startupMs: performance.now() - started, nodes };
  writeFileSync(join(dir, STATE_FILE), JSON.stringify(state, null, 2));
  return {
    dir,
    nodes,
    startupMs: state.startupMs,
    logs: (i) => tail(layout[i]!.log),
    stop: stopAll,
  };
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, e.name);
    if (e.isDirectory()) chownTree(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** SIGTERM every node at once (a clean shutdown), then SIGKILL whatever is still running past the bound. */
async function stopNodes(nodes: GaleraNode[]): Promise<void> {
  for (const n of nodes) if (processAlive(n.pid)) process.kill(n.pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (nodes.some((n) => processAlive(n.pid)) && Date.now() < deadline) await sleep(POLL_MS);
  for (const n of nodes) if (processAlive(n.pid)) process.kill(n.pid, 'SIGKILL');
  while (nodes.some((n) => processAlive(n.pid))) await sleep(POLL_MS);
}

/** Stops a cluster started by startGaleraCluster (possibly by another process) from its directory. */
export async function stopGaleraCluster(dir: string): Promise<void> {
  const state = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as ClusterState;
  await stopNodes(state.nodes);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs fn on one connection with wsrep_sync_wait=1: each read first waits until this node has applied every
 * write the cluster committed before it, so a check sees what the other nodes wrote.
 */
export async function synced<T>(db: Db, fn: (conn: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`SET SESSION wsrep_sync_wait = 1`.execute(conn);
    try {
      return await fn(conn);
    } finally {
      await sql`SET SESSION wsrep_sync_wait = 0`.execute(conn);
    }
  });
}

/** Waits until every node has applied everything committed so far and holds `database`. */
export async function waitForNodes(cluster: GaleraCluster, database: string): Promise<void> {
  await Promise.all(
    cluster.nodes.map(async (n) => {
      const conn = await createConnection({ uri: n.adminUrl });
      try {
        await conn.query('SET SESSION wsrep_sync_wait = 1');
        const [rows] = await conn.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
        if ((rows as unknown[]).length !== 1) throw new Error(`${n.name} has no database ${database}`);
      } finally {
        await conn.end();
      }
    }),
  );
}

/** Transactions aborted so far by a conflict with another node's write (certification failures and brute-force aborts), all nodes. */
export async function certificationFailures(cluster: GaleraCluster): Promise<number> {
  let total = 0;
  for (const n of cluster.nodes) {
    const conn = await createConnection({ uri: n.adminUrl });
    try {
      const [rows] = await conn.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')");
      for (const r of rows as Array<{ Value: string }>) total += Number(r.Value);
    } finally {
      await conn.end();
    }
  }
  return total;
}

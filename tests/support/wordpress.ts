// A real WordPress for one run: Debian's package, a fresh install in a given database, the plugin active, served by PHP's built-in server.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADMIN_URL } from './db.js';

export { attachTestDatabase as sidecarDatabase, createEmptyDatabase, dropDatabase } from './db.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WORDPRESS_DIR = '/usr/share/wordpress';
const CONFIG_DIR = '/etc/wordpress';
const PLUGIN_SOURCE = join(ROOT, 'wp-plugin-shim');
const ROUTER = join(ROOT, 'scripts', 'wp-router.php');
const SETUP = join(ROOT, 'scripts', 'wp-setup.php');
/** Marks config files this module wrote, so a leftover from a crashed run may be replaced but nobody else's. */
const CONFIG_MARKER = 'goldcoin-run-config';
const READY_TIMEOUT_MS = 20_000;
const READY_POLL_MS = 50;
const STOP_GRACE_MS = 5_000;
const SETUP_TIMEOUT_MS = 60_000;
const MAX_LOG_CHARS = 200_000;

export interface WordPressAdmin {
  user: string;
  password: string;
  email: string;
}

export interface WordPressOptions {
  /** Loopback host name of the run (127.0.0.2, 127.0.0.3, …): it picks /etc/wordpress/config-<host>.php. */
  host: string;
  port: number;
  /** An existing empty database on the project's server (WordPress refuses one with only some of its tables). */
  database: string;
  sidecarUrl: string;
  jwtSecret: string;
  title?: string;
  admin?: WordPressAdmin;
  /** A directory with goldcoin.js and goldcoin-admin.js (tests/support/browser.ts buildWidget), shipped as the plugin's assets/. */
  widgetDir?: string;
  /** PHP workers of the built-in server; the widget, the REST API and admin pages load in parallel. */
  workers?: number;
  /** false: WordPress alone, the plugin neither copied nor activated (a test installs it as a site owner would). */
  plugin?: boolean;
  /**
   * A file holding libfaketime's offset (`+0`, `+31d`): every PHP process of the site (the server and the set-up
   * scripts) reads the time through it, so a test moves WordPress's clock with the sidecar's injected one.
   */
  clockOffsetFile?: string;
}

/** Debian's libfaketime (scripts/provision installs it), preloaded into PHP for a site with a movable clock. */
export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** The environment that makes a process read the time through the offset in `file`. */
function fakeTimeEnv(file: string | undefined): Record<string, string> {
  if (!file) return {};
  if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} is missing: run scripts/provision (Debian package libfaketime)`);
  return {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: file,
    // Read the file at every call, so a moved offset applies at once; timeouts keep running on real time.
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

export interface WordPressSite {
  url: string;
  host: string;
  port: number;
  admin: WordPressAdmin;
  contentDir: string;
  protectedDir: string;
  /** Runs scripts/wp-setup.php steps (users, posts with prices and EA files, options, tokens) in this site. */
  setup<T = unknown[]>(steps: SetupStep[]): Promise<T>;
  /** The built-in server's request log (bounded), for diagnosing a failed run. */
  logs(): string;
  /** PHP errors, warnings and notices WordPress wrote (WP_DEBUG_LOG). */
  debugLog(): Promise<string>;
  stop(): Promise<void>;
}

export type SetupStep =
  | { op: 'activate'; plugin: string }
  | { op: 'uninstall'; plugin: string }
  | { op: 'option'; name: string; value: unknown }
  | { op: 'delete_option'; name: string }
  | { op: 'role'; name: string; display: string; caps: string[] }
  | { op: 'user_roles'; login: string }
  | { op: 'user_update'; login: string; password?: string; locale?: string }
  | { op: 'user'; login: string; password: string; email: string; role?: string; name?: string; locale?: string }
  | { op: 'quiet_editor'; login: string }
  | { op: 'post'; title: string; content?: string; status?: string; type?: string; author?: string; price?: number; ea_file?: string }
  | { op: 'token'; login: string; post?: number; scope?: 'visitor' | 'admin' };

/**
 * A loopback host of this run's own: `TEST_LOOPBACK_NET` (default 127.0.0) plus the file's last octet, so two
 * checkouts running the same end-to-end file at once pick different /etc/wordpress/config-<host>.php files.
 */
export function loopbackHost(lastOctet: number): string {
  const net = process.env['TEST_LOOPBACK_NET'] ?? '127.0.0';
  if (!/^127\.\d{1,3}\.\d{1,3}$/.test(net)) throw new Error(`TEST_LOOPBACK_NET must look like 127.0.0, not ${net}`);
  return `${net}.${lastOctet}`;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Debian's packages (php, wordpress, chromium, MariaDB) come from scripts/provision; runs it once when missing. */
export function ensureProvisioned(): void {
  if (wordpressPresent()) return;
  const res = spawnSync('bash', [join(ROOT, 'scripts', 'provision')], { stdio: 'inherit', cwd: ROOT });
  if (res.status !== 0 || !wordpressPresent()) throw new Error('WordPress and PHP are missing and scripts/provision could not install them');
}

/** The theme every run copies: Debian ships it as a separate package, and without a theme pages are blank. */
export const DEFAULT_THEME = 'twentytwentythree';

/** Debian's WordPress with its default theme, and a PHP that can talk to MariaDB. */
export function wordpressPresent(): boolean {
  return (
    existsSync(join(WORDPRESS_DIR, 'wp-load.php')) &&
    existsSync(join(WORDPRESS_DIR, 'wp-content', 'themes', DEFAULT_THEME, 'style.css')) &&
    spawnSync('php', ['-r', 'exit(extension_loaded("mysqli") ? 0 : 1);']).status === 0
  );
}

const phpString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function configFile(o: WordPressOptions, url: string, contentDir: string, protectedDir: string, debugLog: string): string {
  const sidecarHost = new URL(o.sidecarUrl).hostname;
  const server = new URL(ADMIN_URL);
  const constants: Record<string, string | boolean> = {
    DB_NAME: o.database,
    DB_USER: decodeURIComponent(server.username),
    DB_PASSWORD: decodeURIComponent(server.password),
    DB_HOST: `${server.hostname}:${server.port || '3306'}`,
    DB_CHARSET: 'utf8mb4',
    WP_HOME: url,
    WP_SITEURL: url,
    WP_CONTENT_DIR: contentDir,
    WP_CONTENT_URL: `${url}/wp-content`,
    GOLDCOIN_SIDECAR_URL: o.sidecarUrl,
    GOLDCOIN_JWT_SECRET: o.jwtSecret,
    GOLDCOIN_PROTECTED_DIR: protectedDir,
    // No internet here: without these, admin pages wait on api.wordpress.org and cron pings itself.
    WP_HTTP_BLOCK_EXTERNAL: true,
    WP_ACCESSIBLE_HOSTS: sidecarHost,
    DISABLE_WP_CRON: true,
    AUTOMATIC_UPDATER_DISABLED: true,
    FS_METHOD: 'direct',
    // Notices go to a file the tests read, never into pages.
    WP_DEBUG: true,
    WP_DEBUG_DISPLAY: false,
    WP_DEBUG_LOG: debugLog,
  };
  for (const key of ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT']) {
    constants[key] = randomBytes(32).toString('hex');
  }
  const lines = Object.entries(constants).map(
    ([k, v]) => `define('${k}', ${typeof v === 'boolean' ? String(v) : phpString(v)});`,
  );
  return `<?php\n// ${CONFIG_MARKER}: written by tests/support/wordpress.ts for one run, removed when it stops.\n${lines.join('\n')}\n$table_prefix = 'wp_';\n`;
}

/** Runs scripts/wp-setup.php against the site named by hostPort and returns its JSON result. */
function runSetup(hostPort: string, spec: unknown, env: Record<string, string> = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const proc = spawn('php', ['-d', 'memory_limit=256M', SETUP, hostPort], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), SETUP_TIMEOUT_MS);
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('GOLDCOIN_RESULT '));
      if (code !== 0 || !line) return reject(new Error(`wp-setup failed (exit ${code}):\n${err}\n${out}`.slice(0, 4000)));
      resolve(JSON.parse(line.slice('GOLDCOIN_RESULT '.length)));
    });
    proc.stdin.end(JSON.stringify(spec));
  });
}

async function writeConfig(path: string, content: string): Promise<void> {
  if (existsSync(path) && !(await readFile(path, 'utf8')).includes(CONFIG_MARKER)) {
    throw new Error(`${path} exists and was not written by a Gold Coins run; pick another host for the run`);
  }
  try {
    await mkdir(CONFIG_DIR, { recursive: true });
    await writeFile(path, content, { mode: 0o640 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') throw new Error(`cannot write ${path}: run as root (Debian's WordPress reads its site config from ${CONFIG_DIR})`);
    throw err;
  }
}

/** Installs WordPress into the given database with the plugin active, and serves it. */
export async function startWordPress(o: WordPressOptions): Promise<WordPressSite> {
  ensureProvisioned();
  const url = `http://${o.host}:${o.port}`;
  const hostPort = `${o.host}:${o.port}`;
  const admin = o.admin ?? { user: 'admin', password: randomBytes(9).toString('base64url'), email: 'admin@example.test' };
  const runDir = await mkdtemp(join(tmpdir(), `goldcoin-wp-${o.host}-`));
  const contentDir = join(runDir, 'wp-content');
  const protectedDir = join(runDir, 'protected');
  const debugLog = join(runDir, 'debug.log');
  const configPath = join(CONFIG_DIR, `config-${o.host.toLowerCase()}.php`);
  let server: ChildProcess | null = null;
  let logText = '';
  const timeEnv = fakeTimeEnv(o.clockOffsetFile);

  // The built-in server runs in its own process group (its workers are its children): signal the group.
  const signal = (name: NodeJS.Signals) => {
    if (server?.pid === undefined) return;
    try {
      process.kill(-server.pid, name);
    } catch {
      // already gone
    }
  };
  // A detached server would outlive a crashed test process and keep the port; kill it on any exit.
  const killOnExit = () => signal('SIGKILL');
  process.once('exit', killOnExit);

  const cleanup = async () => {
    process.removeListener('exit', killOnExit);
    if (server && server.exitCode === null && server.signalCode === null && server.pid !== undefined) {
      const exited = new Promise((r) => server!.once('exit', r));
      signal('SIGTERM');
      const force = setTimeout(() => signal('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    }
    await rm(configPath, { force: true });
    await rm(runDir, { recursive: true, force: true });
  };

  try {
    for (const dir of ['plugins', 'themes', 'uploads', 'upgrade', 'languages']) await mkdir(join(contentDir, dir), { recursive: true });
    await mkdir(protectedDir);
    await cp(join(WORDPRESS_DIR, 'wp-content', 'themes'), join(contentDir, 'themes'), { recursive: true, dereference: true });
    const withPlugin = o.plugin ?? true;
    // A copy, not a symlink: the router serves only files inside the content directory.
    if (withPlugin) await cp(PLUGIN_SOURCE, join(contentDir, 'plugins', 'goldcoin'), { recursive: true });
    if (withPlugin && o.widgetDir) await cp(o.widgetDir, join(contentDir, 'plugins', 'goldcoin', 'assets'), { recursive: true });
    await writeConfig(configPath, configFile(o, url, contentDir, protectedDir, debugLog));
    await runSetup(hostPort, { install: { title: o.title ?? 'Gold Coins test site', admin_user: admin.user, admin_password: admin.password, admin_email: admin.email } }, timeEnv);
    await runSetup(
      hostPort,
      { steps: [...(withPlugin ? [{ op: 'activate' as const, plugin: 'goldcoin/goldcoin.php' }] : []), { op: 'quiet_editor' as const, login: admin.user }] },
      timeEnv,
    );

    server = spawn(
      'php',
      ['-d', 'upload_max_filesize=64M', '-d', 'post_max_size=64M', '-d', 'memory_limit=256M', '-S', hostPort, '-t', WORDPRESS_DIR, ROUTER],
      {
        env: { ...process.env, ...timeEnv, PHP_CLI_SERVER_WORKERS: String(o.workers ?? 6), GOLDCOIN_WP_CONTENT_DIR: contentDir },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    const append = (c: Buffer) => {
      logText += c.toString();
      if (logText.length > MAX_LOG_CHARS) logText = logText.slice(-MAX_LOG_CHARS / 2);
    };
    server.stdout!.on('data', append);
    server.stderr!.on('data', append);
    await waitReady(url, server, () => logText);
  } catch (err) {
    await cleanup();
    throw err;
  }

  return {
    url,
    host: o.host,
    port: o.port,
    admin,
    contentDir,
    protectedDir,
    setup: <T>(steps: SetupStep[]) => runSetup(hostPort, { steps }, timeEnv) as Promise<T>,
    logs: () => logText,
    debugLog: async () => (existsSync(debugLog) ? readFile(debugLog, 'utf8') : ''),
    stop: cleanup,
  };
}

async function waitReady(url: string, proc: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`php -S exited (${proc.exitCode}):\n${logs().slice(-4000)}`);
    try {
      const res = await fetch(`${url}/wp-login.php`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`WordPress at ${url} not ready within ${READY_TIMEOUT_MS} ms:\n${logs().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
}

// Real sidecar processes for fault, scale-out and benchmark runs: spawn, wait for /readyz, SIGKILL, restart, logs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = join(ROOT, 'sidecar', 'src', 'main.ts');
/** What `npm start` runs, once `npm run build:sidecar` has compiled it. */
export const BUILT_MAIN = join(ROOT, 'sidecar', 'dist', 'main.js');
/** tsx's loader by absolute URL, so the child can run outside the repository (and never reads a stray .env). */
const TSX_LOADER = import.meta.resolve('tsx');
const READY_POLL_MS = 50;
const DEFAULT_READY_TIMEOUT_MS = 30_000;
const MAX_LOG_BYTES = 2_000_000;

export interface SidecarOptions {
  /** Complete sidecar environment (DATABASE_URL, secrets, …); PORT and PUBLIC_URL are filled in when absent. */
  env: Record<string, string>;
  port?: number;
  readyTimeoutMs?: number;
  label?: string;
  /** Extra node flags, e.g. --cpu-prof for the benchmarks. */
  nodeArgs?: string[];
  /** Run the compiled sidecar (BUILT_MAIN, as in production) instead of the TypeScript source through tsx. */
  built?: boolean;
}

export interface SidecarProcess {
  readonly url: string;
  readonly port: number;
  readonly label: string;
  pid(): number | undefined;
  /** Everything the current and earlier runs wrote to stdout and stderr (bounded). */
  logs(): string;
  /** Milliseconds from spawn to the first 200 from /readyz, for the latest start. */
  startupMs(): number;
  /** Peak resident set size of the running process (VmHWM), in kilobytes; null once it has exited. */
  peakRssKb(): number | null;
  /**
   * The peak (VmHWM) and the current (VmRSS) resident set size, and of the current the mapped file pages (RssFile), in
   * kilobytes; null once it has exited.
   */
  memoryKb(): { peak: number; now: number; file: number } | null;
  /** SIGKILL (no graceful shutdown) and wait for the exit. */
  kill(): Promise<void>;
  /** Starts again on the same port and waits for /readyz. */
  restart(): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  stop(graceMs?: number): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startSidecar(opts: SidecarOptions): Promise<SidecarProcess> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const label = opts.label ?? `sidecar:${port}`;
  const env = {
    PATH: process.env['PATH'] ?? '',
    PUBLIC_URL: url,
    LOG_LEVEL: 'warn',
    ...opts.env,
    PORT: String(port),
    HOST: '127.0.0.1',
  };
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let logText = '';
  let startedMs = 0;
  const append = (chunk: Buffer) => {
    logText += chunk.toString();
    if (logText.length > MAX_LOG_BYTES) logText = logText.slice(-MAX_LOG_BYTES / 2);
  };

  async function launch() {
    const started = performance.now();
    const entry = opts.built ? [BUILT_MAIN] : ['--import', TSX_LOADER, MAIN];
    const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...entry], {
      cwd: tmpdir(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout!.on('data', append);
    proc.stderr!.on('data', append);
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    const deadline = Date.now() + (opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    for (;;) {
      if (gone) throw new Error(`${label} exited during start-up:\n${logText.slice(-4000)}`);
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`${label} not ready within ${opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS} ms:\n${logText.slice(-4000)}`);
      }
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
    startedMs = performance.now() - started;
  }

  await launch();

  const alive = () => child !== null && child.exitCode === null && child.signalCode === null;
  function memoryKb(): { peak: number; now: number; file: number } | null {
    if (!alive() || child?.pid === undefined) return null;
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const peak = /VmHWM:\s+(\d+) kB/.exec(status);
      const now = /VmRSS:\s+(\d+) kB/.exec(status);
      const file = /RssFile:\s+(\d+) kB/.exec(status);
      return peak && now ? { peak: Number(peak[1]), now: Number(now[1]), file: Number(file?.[1] ?? 0) } : null;
    } catch {
      return null;
    }
  }
  return {
    url,
    port,
    label,
    pid: () => child?.pid,
    logs: () => logText,
    startupMs: () => startedMs,
    peakRssKb: () => memoryKb()?.peak ?? null,
    memoryKb,
    async kill() {
      if (alive()) child!.kill('SIGKILL');
      await exited;
    },
    async restart() {
      if (alive()) throw new Error(`${label} is still running`);
      await launch();
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return exited;
      child!.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

// A bounded closed-loop load driver on loopback: N workers, a deadline, latencies and throughput.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  /** Per-operation latencies in milliseconds (bounded sample). */
  latenciesMs: number[];
  /** CPU milliseconds by party (the driver, the server, MariaDB) while it ran, when measured (withCpu). */
  cpuMs?: Record<string, number>;
}

export interface Summary {
  ops: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU microseconds per successful operation by party, when measured. */
  cpuUsPerOp?: Record<string, number>;
}

const MAX_SAMPLES = 200_000;

/** Runs `op` from `concurrency` workers until `durationMs` has passed or `maxOps` were started. */
export async function runLoad(
  concurrency: number,
  durationMs: number,
  op: (i: number) => Promise<boolean>,
  maxOps = Number.MAX_SAFE_INTEGER,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let started = 0;
  let ok = 0;
  let errors = 0;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && started < maxOps) {
        const i = started++;
        const s = performance.now();
        let good = false;
        try {
          good = await op(i);
        } catch {
          good = false;
        }
        if (latenciesMs.length < MAX_SAMPLES) latenciesMs.push(performance.now() - s);
        if (good) ok++;
        else errors++;
      }
    }),
  );
  return { ops: ok, errors, seconds: (performance.now() - t0) / 1000, latenciesMs };
}

export function summarize(results: LoadResult[]): Summary {
  const ops = results.reduce((n, r) => n + r.ops, 0);
  const errors = results.reduce((n, r) => n + r.errors, 0);
  const seconds = results.reduce((n, r) => n + r.seconds, 0);
  const lat = results.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const pct = (p: number) => (lat.length === 0 ? 0 : lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!);
  const summary: Summary = { ops, errors, perSecond: seconds > 0 ? ops / seconds : 0, p50Ms: pct(50), p99Ms: pct(99) };
  if (ops > 0 && results.every((r) => r.cpuMs)) {
    const cpu: Record<string, number> = {};
    for (const r of results) for (const [k, ms] of Object.entries(r.cpuMs!)) cpu[k] = (cpu[k] ?? 0) + (ms * 1000) / ops;
    summary.cpuUsPerOp = cpu;
  }
  return summary;
}

export interface HttpClient {
  call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: string }>;
  close(): void;
}

/** Keep-alive HTTP/1.1 client with one socket per worker: the cheapest client node offers. */
export function httpClient(baseUrl: string, sockets: number): HttpClient {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  return {
    call(method, path, headers, body) {
      return new Promise((resolve, reject) => {
        const req = request(
          { host: url.hostname, port: url.port, method, path, agent, headers: body === undefined ? headers : { ...headers, 'Content-Length': Buffer.byteLength(body) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
            res.on('error', reject);
          },
        );
        // Nagle's algorithm on a keep-alive socket adds milliseconds to small request/response pairs.
        req.on('socket', (socket) => socket.setNoDelay(true));
        req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
        req.on('error', reject);
        if (body !== undefined) req.write(body);
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * Keep-alive HTTP/1.1 on raw sockets, one request in flight per socket: the request is written as one buffer
 * and only the status line, Content-Length (or chunked framing) and body are parsed. It costs the machine a
 * fraction of node:http's client, so on two shared cores more of them go to the server being measured.
 */
export function rawHttpClient(baseUrl: string, sockets: number): HttpClient {
  const url = new URL(baseUrl);
  const port = Number(url.port || 80);
  const idle: RawConnection[] = [];
  const waiters: Array<(c: RawConnection) => void> = [];
  const all = new Set<RawConnection>();
  const acquire = (): Promise<RawConnection> => {
    const free = idle.pop();
    if (free) return Promise.resolve(free);
    if (all.size < sockets) {
      const conn = new RawConnection(url.hostname, port, () => all.delete(conn));
      all.add(conn);
      return Promise.resolve(conn);
    }
    return new Promise((resolve) => waiters.push(resolve));
  };
  const release = (conn: RawConnection) => {
    const waiter = waiters.shift();
    if (waiter) waiter(conn);
    else if (!conn.closed) idle.push(conn);
  };
  return {
    async call(method, path, headers, body) {
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${url.host}\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      const payload = body === undefined ? '' : body;
      if (body !== undefined) head += `Content-Length: ${Buffer.byteLength(payload)}\r\n`;
      const conn = await acquire();
      try {
        return await conn.exchange(`${head}\r\n${payload}`);
      } finally {
        release(conn);
      }
    },
    close() {
      for (const c of all) c.destroy();
      all.clear();
    },
  };
}

const HEADER_END = Buffer.from('\r\n\r\n');
const RAW_TIMEOUT_MS = 30_000;

class RawConnection {
  closed = false;
  private readonly socket: Socket;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: { status: number; body: string }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | null = null;

  constructor(host: string, port: number, onClose: () => void) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    const fail = (err: Error) => {
      this.closed = true;
      onClose();
      this.settle(undefined, err);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed')));
  }

  exchange(request: string): Promise<{ status: number; body: string }> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        this.settle(undefined, new Error('request timed out'));
      }, RAW_TIMEOUT_MS);
      this.pending = { resolve, reject, timer };
      this.socket.write(request);
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private settle(result: { status: number; body: string } | undefined, err?: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    if (result) p.resolve(result);
    else p.reject(err ?? new Error('no response'));
  }

  private parse(): void {
    const end = this.buf.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const start = end + HEADER_END.length;
    if (length) {
      const n = Number(length[1]);
      if (this.buf.length < start + n) return;
      const body = this.buf.toString('utf8', start, start + n);
      this.buf = this.buf.subarray(start + n);
      this.settle({ status, body });
      return;
    }
    if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const parts: Buffer[] = [];
      let at = start;
      for (;;) {
        const lineEnd = this.buf.indexOf('\r\n', at);
        if (lineEnd < 0) return;
        const size = parseInt(this.buf.toString('latin1', at, lineEnd), 16);
        if (this.buf.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          this.buf = this.buf.subarray(lineEnd + 4);
          this.settle({ status, body: Buffer.concat(parts).toString('utf8') });
          return;
        }
        parts.push(this.buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
    }
    // No framing: the body ends with the connection; not something the servers measured here send.
    this.buf = this.buf.subarray(start);
    this.settle({ status, body: '' });
  }
}

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system, all threads) a process has used, in milliseconds, from /proc; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0;
  }
}

/** Process IDs whose command name is `name` (e.g. mariadbd). */
export function pidsNamed(name: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) out.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** CPU milliseconds each named party used while `run` ran; "driver" is this process, the one issuing the load. */
export async function withCpu(parties: Record<string, number[]>, run: () => Promise<LoadResult>): Promise<LoadResult> {
  const sample = () => Object.fromEntries(Object.entries(parties).map(([k, pids]) => [k, pids.reduce((t, p) => t + processCpuMs(p), 0)]));
  const before = sample();
  const self = process.cpuUsage();
  const result = await run();
  const after = sample();
  const used = process.cpuUsage(self);
  const cpuMs: Record<string, number> = { driver: (used.user + used.system) / 1000 };
  for (const k of Object.keys(parties)) cpuMs[k] = after[k]! - before[k]!;
  return { ...result, cpuMs };
}

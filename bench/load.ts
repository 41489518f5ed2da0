// A bounded closed-loop load driver on loopback: N workers, a deadline, latencies and throughput.
import { Agent, request } from 'node:http';

export interface LoadResult {
  ops: number;
  errors: number;
  seconds: number;
  /** Per-operation latencies in milliseconds (bounded sample). */
  latenciesMs: number[];
}

export interface Summary {
  ops: number;
  errors: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
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
  return { ops, errors, perSecond: seconds > 0 ? ops / seconds : 0, p50Ms: pct(50), p99Ms: pct(99) };
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

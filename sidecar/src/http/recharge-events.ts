// GET /api/recharges/:id/events: the SSE stream of one recharge's state, polled from the database.
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { findRecharge, type RechargeRow } from '../payments/recharges.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError } from './errors.js';
import { rechargeJson } from './serialize.js';

/** SSE comment lines keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/** Open streams per user on this instance: each holds a connection and polls the database until it ends. */
export class StreamSlots {
  private readonly open = new Map<number, number>();
  constructor(private readonly maxPerUser: number) {}

  /** A release function (safe to call twice), or null when the user already has their share open. */
  take(userId: number): (() => void) | null {
    const open = this.open.get(userId) ?? 0;
    if (open >= this.maxPerUser) return null;
    this.open.set(userId, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(userId) ?? 1) - 1;
      if (left > 0) this.open.set(userId, left);
      else this.open.delete(userId);
    };
  }
}

interface StreamLimits {
  pollMs: number;
  maxMs: number;
}

/**
 * Writes the recharge on connect and on every change, heartbeats in between, until it leaves pending, the
 * client goes away or the stream reaches its longest life. Polls the database rather than an in-process bus,
 * so any instance can serve any recharge's stream.
 */
async function followRecharge(deps: AppDeps, stream: SSEStreamingApi, first: RechargeRow, limits: StreamLimits, aborted: () => boolean) {
  const started = Date.now();
  let lastSent = '';
  let lastWriteAt = started;
  let row = first;
  for (;;) {
    const json = JSON.stringify(rechargeJson(row));
    if (json !== lastSent) {
      await stream.writeSSE({ event: 'status', data: json });
      lastSent = json;
      lastWriteAt = Date.now();
    }
    if (aborted() || row.status !== 'pending' || Date.now() - started >= limits.maxMs) return;
    if (Date.now() - lastWriteAt >= HEARTBEAT_MS) {
      await stream.write(': heartbeat\n\n');
      lastWriteAt = Date.now();
    }
    await stream.sleep(limits.pollMs);
    if (aborted()) return;
    row = (await findRecharge(deps.db, row.id)) ?? row;
  }
}

/** Answers with the stream of an already-authorised recharge, or 429 past the user's open streams. */
export function streamRecharge(deps: AppDeps, slots: StreamSlots, c: Context<AppEnv>, first: RechargeRow) {
  const cfg = deps.config.recharge;
  const release = slots.take(first.user_id);
  if (!release) {
    throw new ApiError(429, 'too_many_streams', `at most ${cfg.eventsMaxStreamsPerUser} open event streams per user`, undefined, {
      'Retry-After': String(Math.ceil(cfg.eventsPollMs / 1000)),
    });
  }
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    let aborted = false;
    stream.onAbort(() => {
      aborted = true;
      release();
    });
    try {
      await followRecharge(deps, stream, first, { pollMs: cfg.eventsPollMs, maxMs: cfg.eventsMaxMs }, () => aborted);
    } finally {
      release();
    }
  });
}

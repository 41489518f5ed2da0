// GET /api/recharges/:id/events: the SSE stream of one recharge's state, polled from the database.
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { Db } from '../db/database.js';
import { findRecharges, type RechargeRow } from '../payments/recharges.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError } from './errors.js';
import { rechargeJson } from './serialize.js';

/** SSE comment lines keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/**
 * Open streams on this instance, per user and in all: each holds a connection and polls the database until
 * it ends, so many users together must not exhaust the process or the pool either.
 */
export class StreamSlots {
  private readonly open = new Map<number, number>();
  private total = 0;
  constructor(
    private readonly maxPerUser: number,
    private readonly maxTotal: number,
  ) {}

  /** A release function (safe to call twice), or why no stream may open now. */
  take(userId: number): (() => void) | 'user_full' | 'instance_full' {
    const open = this.open.get(userId) ?? 0;
    if (open >= this.maxPerUser) return 'user_full';
    if (this.total >= this.maxTotal) return 'instance_full';
    this.open.set(userId, open + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.open.get(userId) ?? 1) - 1;
      if (left > 0) this.open.set(userId, left);
      else this.open.delete(userId);
    };
  }
}

/**
 * One poller per instance for all its open streams: every stream waiting for its recharge's next state joins the
 * next poll, and one query reads them all, so 2,000 open streams cost one query per poll interval, not 2,000.
 */
export class RechargePoller {
  private waiting = new Map<number, Array<(row: RechargeRow | undefined) => void>>();
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly db: Db,
    private readonly pollMs: number,
    /** Hears each poll's query (for the metrics), with how many recharges it read for how many streams. */
    private readonly onPoll: (recharges: number, streams: number) => void = () => undefined,
  ) {}

  /** The recharge as the next poll reads it; undefined when it is gone or the poll failed (the stream keeps what it has). */
  next(id: number): Promise<RechargeRow | undefined> {
    return new Promise((resolve) => {
      const list = this.waiting.get(id);
      if (list) list.push(resolve);
      else this.waiting.set(id, [resolve]);
      this.timer ??= setTimeout(() => void this.poll(), this.pollMs);
    });
  }

  private async poll(): Promise<void> {
    this.timer = null;
    const batch = this.waiting;
    this.waiting = new Map();
    let rows: RechargeRow[] = [];
    try {
      rows = await findRecharges(this.db, [...batch.keys()]);
    } catch {
      // A failed poll is a missed beat: every stream waits for the next one with the state it has.
    }
    this.onPoll(batch.size, [...batch.values()].reduce((n, l) => n + l.length, 0));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [id, listeners] of batch) for (const resolve of listeners) resolve(byId.get(id));
  }
}

interface StreamLimits {
  /** When the stream ends in any case (ms since the epoch, on deps.clock): its longest life or its token's expiry. */
  endsAtMs: number;
}

/**
 * Writes the recharge on connect and on every change, heartbeats in between, until it leaves pending, the
 * client goes away, the stream reaches its longest life or its token expires (a token is checked once, at
 * connect: past its `exp` the client must come back with a fresh one). Reads the database (through the instance's
 * poller) rather than an in-process bus, so any instance can serve any recharge's stream.
 */
async function followRecharge(
  deps: AppDeps,
  poller: RechargePoller,
  stream: SSEStreamingApi,
  first: RechargeRow,
  limits: StreamLimits,
  aborted: () => boolean,
) {
  const now = () => deps.clock.now().getTime();
  let lastSent = '';
  let lastWriteAt = now();
  let row = first;
  for (;;) {
    const json = JSON.stringify(rechargeJson(row));
    if (json !== lastSent) {
      await stream.writeSSE({ event: 'status', data: json });
      lastSent = json;
      lastWriteAt = now();
    }
    if (aborted() || row.status !== 'pending' || now() >= limits.endsAtMs) return;
    if (now() - lastWriteAt >= HEARTBEAT_MS) {
      await stream.write(': heartbeat\n\n');
      lastWriteAt = now();
    }
    const polled = await poller.next(row.id);
    if (aborted()) return;
    row = polled ?? row;
  }
}

/** Answers with the stream of an already-authorised recharge, or 429 past the user's or the instance's open streams. */
export function streamRecharge(deps: AppDeps, slots: StreamSlots, poller: RechargePoller, c: Context<AppEnv>, first: RechargeRow) {
  const cfg = deps.config.recharge;
  const release = slots.take(first.user_id);
  if (typeof release !== 'function') {
    const message =
      release === 'user_full'
        ? `at most ${cfg.eventsMaxStreamsPerUser} open event streams per user`
        : `this instance has its ${cfg.eventsMaxStreams} event streams open; poll GET /api/recharges/:id meanwhile`;
    throw new ApiError(429, 'too_many_streams', message, undefined, { 'Retry-After': String(Math.ceil(cfg.eventsPollMs / 1000)) });
  }
  const endsAtMs = Math.min(deps.clock.now().getTime() + cfg.eventsMaxMs, c.get('user').tokenExpS * 1000);
  c.header('Cache-Control', 'no-cache');
  c.header('X-Accel-Buffering', 'no');
  return streamSSE(c, async (stream) => {
    let aborted = false;
    stream.onAbort(() => {
      aborted = true;
      release();
    });
    try {
      await followRecharge(deps, poller, stream, first, { endsAtMs }, () => aborted);
    } finally {
      release();
    }
  });
}

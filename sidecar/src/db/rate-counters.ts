// Per-user fixed-window counters in MariaDB, shared by every sidecar instance: the SQL behind the rate limits.
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Db } from './database.js';
import { retryStatement } from './retry.js';

export interface WindowHit {
  hits: number;
  /** Seconds until the current window ends (at least 1). */
  retryAfterS: number;
}

/** A bucket's allowance: at most `limit` counted requests per user per window of `windowS` seconds. */
export interface WindowLimit {
  bucket: string;
  limit: number;
  windowS: number;
  clock: Clock;
  /** Hears a counter that could not be written even after its retries (the attempt was let through). */
  onUncounted?: (err: unknown) => void;
  /** This instance's leases from the shared counter (see countAttempt); absent: every attempt writes the counter. */
  leases?: Leases;
  /** Counted in this instance's memory alone, never in the shared table (a bound per instance). */
  local?: LocalCounts;
}

/** A fixed window counted in memory: attempts per user in the current window. */
export interface LocalCounts {
  windowStart: number;
  hits: Map<number, number>;
}

export const newLocalCounts = (): LocalCounts => ({ windowStart: -1, hits: new Map() });

/** Attempts this instance may admit in the current window without asking the database again, per user. */
export interface Leases {
  windowStart: number;
  /** Tokens left per user, or REFUSED once the shared counter refused the user for the rest of this window. */
  held: Map<number, number>;
  /** A claim on its way to the database, per user: concurrent attempts wait for it rather than claim again. */
  claims: Map<number, Promise<void>>;
}

export const newLeases = (): Leases => ({ windowStart: -1, held: new Map(), claims: new Map() });
const REFUSED = -1;

/**
 * How many attempts one counter write claims: a tenth of the limit, so a small limit (every test's, and the
 * default 30 a minute gives 3) stays close to exact per attempt, and a large one writes the row rarely.
 */
export const leaseSize = (limit: number) => Math.max(1, Math.floor(limit / 10));

export type AttemptVerdict = { ok: true } | { ok: false; retryAfterS: number };

const windowStartOf = (nowS: number, windowS: number) => nowS - (nowS % windowS);

/**
 * Counts `count` requests (one, or a lease's worth) in the current window with a single autocommit upsert; the row is reset when a new
 * window starts, so there is one row per (bucket, user). LAST_INSERT_ID(expr) hands the new count back in
 * the same statement, so no read can interleave between increment and check. Every request of a user on
 * every instance writes this row, so it is never part of a money transaction (where its conflicts would
 * abort the movement): deadlocks, and certification conflicts between the nodes of a Galera cluster, rerun
 * the statement alone with backoff.
 */
export async function hitWindow(db: Db, bucket: string, userId: number, windowS: number, now: Date, count = 1): Promise<WindowHit> {
  const nowS = Math.floor(now.getTime() / 1000);
  const windowStart = windowStartOf(nowS, windowS);
  const res = await retryStatement(
    () => sql`
      INSERT INTO ${sql.table('rate_limits')} (bucket, user_id, window_start, hits)
      VALUES (${bucket}, ${userId}, ${windowStart}, LAST_INSERT_ID(${count}))
      ON DUPLICATE KEY UPDATE
        hits = LAST_INSERT_ID(IF(window_start = VALUES(window_start), LEAST(hits + ${count}, 4000000000), ${count})),
        window_start = VALUES(window_start)`.execute(db),
  );
  return { hits: Number(res.insertId ?? 1n), retryAfterS: Math.max(1, windowStart + windowS - nowS) };
}

/**
 * Counts the user's attempt on its own, outside any transaction. A counter that cannot be written even after
 * its retries lets the attempt through: bookkeeping never decides a money answer, and the attempt's own
 * transaction still guards the money.
 *
 * With leases, an in-memory bucket per instance stands in front of the shared counter: one counter write claims
 * leaseSize(limit) attempts for this instance (fewer when the window has fewer left), which it then admits
 * without a round trip, and a user the counter refused is refused here until the window ends. The bound holds
 * across instances exactly as before (every admitted attempt was claimed from the shared row); what an instance
 * claimed and did not use is lost to the user's other instances for the rest of the window (at most
 * leaseSize - 1 each).
 */
export async function countAttempt(db: Db, limit: WindowLimit, userId: number): Promise<AttemptVerdict> {
  if (limit.local) return countLocally(limit, limit.local, userId);
  const leases = limit.leases;
  for (;;) {
    const now = limit.clock.now();
    const nowS = Math.floor(now.getTime() / 1000);
    const windowStart = windowStartOf(nowS, limit.windowS);
    if (leases) {
      if (leases.windowStart !== windowStart) {
        leases.windowStart = windowStart;
        leases.held.clear();
      }
      const held = leases.held.get(userId) ?? 0;
      if (held === REFUSED) return { ok: false, retryAfterS: Math.max(1, windowStart + limit.windowS - nowS) };
      if (held > 0) {
        leases.held.set(userId, held - 1);
        return { ok: true };
      }
      // One claim per user at a time: a burst of one user's attempts must not claim the window many times over.
      const inFlight = leases.claims.get(userId);
      if (inFlight) {
        await inFlight;
        continue;
      }
    }
    const claim = leases ? leaseSize(limit.limit) : 1;
    const counted = hitWindow(db, limit.bucket, userId, limit.windowS, now, claim);
    if (leases) leases.claims.set(userId, counted.then(() => undefined, () => undefined));
    let hit: WindowHit;
    try {
      hit = await counted;
    } catch (err) {
      limit.onUncounted?.(err);
      return { ok: true };
    } finally {
      leases?.claims.delete(userId);
    }
    // The claim's share that falls within the limit (the row may have had less left than the claim).
    const granted = Math.min(claim, limit.limit - (hit.hits - claim));
    if (!leases) return granted > 0 ? { ok: true } : { ok: false, retryAfterS: hit.retryAfterS };
    // Kept for the window it was claimed in; this attempt then takes its token like any other.
    if (leases.windowStart === windowStart) leases.held.set(userId, granted > 0 ? granted : REFUSED);
    else return granted > 0 ? { ok: true } : { ok: false, retryAfterS: hit.retryAfterS };
  }
}

/** The same fixed window, kept in this instance's memory: no round trip, and a bound per instance only. */
function countLocally(limit: WindowLimit, counts: LocalCounts, userId: number): AttemptVerdict {
  const nowS = Math.floor(limit.clock.now().getTime() / 1000);
  const windowStart = windowStartOf(nowS, limit.windowS);
  if (counts.windowStart !== windowStart) {
    counts.windowStart = windowStart;
    counts.hits.clear();
  }
  const hits = Math.min((counts.hits.get(userId) ?? 0) + 1, 4_000_000_000);
  counts.hits.set(userId, hits);
  return hits > limit.limit ? { ok: false, retryAfterS: Math.max(1, windowStart + limit.windowS - nowS) } : { ok: true };
}

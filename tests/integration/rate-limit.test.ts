// Per-user rate limits: 429 rate_limited with Retry-After; kept in MariaDB and shared by every instance (the unlock's
// only when RATE_LIMIT_UNLOCK_SHARED, else in each instance's memory), off when 0.
import { Hono } from 'hono';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../sidecar/src/db/database.js';
import type { Clock } from '../../sidecar/src/clock.js';
import type { AppEnv } from '../../sidecar/src/http/context.js';
import { ApiError, sendError } from '../../sidecar/src/http/errors.js';
import { hitWindow } from '../../sidecar/src/db/rate-counters.js';
import { rateLimit } from '../../sidecar/src/http/rate-limit.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { silentLogger } from '../../sidecar/src/log.js';
import { buildTestApp, mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, TABLE_PREFIX, WP_PREFIX, type TestDatabase } from '../support/db.js';
import { userWithCoins } from '../support/seeded.js';
import { insertPricedPost } from '../support/wp-content.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename, { poolSize: 30 });
});
afterAll(async () => tdb?.drop());

/** A clock 15 s into the next whole minute (ahead of real time, so freshly minted tokens stay valid). */
function steppedClock(): Clock & { advanceS(s: number): void } {
  let ms = (Math.floor(Date.now() / 60_000) + 1) * 60_000 + 15_000;
  return { now: () => new Date(ms), advanceS: (s) => (ms += s * 1000) };
}

const richUser = () => userWithCoins(tdb.db, 10_000);

describe('rate limits', () => {
  it('answers 429 rate_limited with Retry-After once a user passes the unlock limit, until the window ends', async () => {
    const clock = steppedClock();
    const t = buildTestApp(tdb, { clock, env: { RATE_LIMIT_UNLOCK: '3', RATE_LIMIT_WINDOW_S: '60' } });
    const u = await richUser();
    const { postId } = await insertPricedPost(tdb.db, 1);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token });
    expect(limited.headers.get('Retry-After')).toBe('45');
    expect(await limited.json()).toEqual({
      error: { code: 'rate_limited', message: expect.any(String), details: { limit: 3, window_s: 60, retry_after_s: 45 } },
    });
    const other = await richUser();
    expect((await t.call('POST', `/api/posts/${postId}/unlock`, { token: other.token })).status).toBe(200);
    clock.advanceS(45);
    expect((await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token })).status).toBe(200);
  });

  it('limits download links, referral binding and notification marking per user, each in its own bucket', async () => {
    const clock = steppedClock();
    const env = { RATE_LIMIT_DOWNLOAD: '2', RATE_LIMIT_REFERRAL_BIND: '2', RATE_LIMIT_NOTIFICATION_READ: '2', RATE_LIMIT_UNLOCK: '0' };
    const t = buildTestApp(tdb, { clock, env });
    const u = await richUser();
    const { postId } = await insertPricedPost(tdb.db, 1, { filePath: '2026/12/Limit.ex4' });
    expect((await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token })).status).toBe(200);
    const routes: Array<[string, unknown, number]> = [
      [`/api/posts/${postId}/download`, undefined, 200],
      // Counted before the code is looked up: the limit bounds guessing codes too.
      ['/api/referrals/bind', { code: 'NO-SUCH-CODE' }, 404],
      ['/api/notifications/read', { all: true }, 200],
    ];
    for (const [path, body, status] of routes) {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await t.call('POST', path, { token: u.token, body })).status);
      expect([path, ...statuses]).toEqual([path, status, status, 429, 429]);
      const limited = await t.call('POST', path, { token: u.token, body });
      expect(limited.headers.get('Retry-After')).toBe('45');
      expect((await limited.json()).error.code).toBe('rate_limited');
    }
    // A second user has counters of their own; a new window starts the count again.
    const other = await richUser();
    expect((await t.call('POST', '/api/notifications/read', { token: other.token, body: { all: true } })).status).toBe(200);
    clock.advanceS(45);
    expect((await t.call('POST', `/api/posts/${postId}/download`, { token: u.token })).status).toBe(200);
    const downloads = await tdb.db.selectFrom('downloads').select('id').where('user_id', '=', u.id).execute();
    expect(downloads).toHaveLength(3);
  });

  it('lets exactly the limit through 20 concurrent requests', async () => {
    const t = buildTestApp(tdb, { clock: steppedClock(), env: { RATE_LIMIT_UNLOCK: '5' } });
    const u = await richUser();
    const posts = await Promise.all(Array.from({ length: 20 }, () => insertPricedPost(tdb.db, 1)));
    const res = await Promise.all(posts.map((p) => t.call('POST', `/api/posts/${p.postId}/unlock`, { token: u.token })));
    expect(res.filter((r) => r.status === 200)).toHaveLength(5);
    expect(res.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it('counts across sidecar instances sharing the database when the unlock limit is shared', async () => {
    const clock = steppedClock();
    const env = { RATE_LIMIT_UNLOCK: '4', RATE_LIMIT_UNLOCK_SHARED: 'true' };
    const second = createDb({ url: tdb.url, poolSize: 4, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX });
    try {
      const one = buildTestApp(tdb, { clock, env });
      const two = buildTestApp(tdb, { clock, env, deps: { db: second } });
      const u = await richUser();
      const { postId } = await insertPricedPost(tdb.db, 1);
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        const app = i % 2 === 0 ? one : two;
        statuses.push((await app.call('POST', `/api/posts/${postId}/unlock`, { token: u.token })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    } finally {
      await second.destroy();
    }
  });

  it('writes the shared counter once per lease of a tenth of a large limit, and never admits more than the limit across instances', async () => {
    const clock = steppedClock();
    const env = { RATE_LIMIT_UNLOCK: '40', RATE_LIMIT_UNLOCK_SHARED: 'true' };
    const second = createDb({ url: tdb.url, poolSize: 4, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX });
    try {
      const one = buildTestApp(tdb, { clock, env });
      const two = buildTestApp(tdb, { clock, env, deps: { db: second } });
      const u = await richUser();
      const { postId } = await insertPricedPost(tdb.db, 1);
      const hits = async () =>
        (await tdb.db.selectFrom('rate_limits').select('hits').where('bucket', '=', 'unlock').where('user_id', '=', u.id).executeTakeFirst())?.hits;
      const call = async (app: typeof one) => (await app.call('POST', `/api/posts/${postId}/unlock`, { token: u.token })).status;
      // Four attempts on one instance claim one lease of 4 attempts: one counter write.
      for (let i = 0; i < 4; i++) expect(await call(one)).toBe(200);
      expect(await hits()).toBe(4);
      expect(await call(one)).toBe(200);
      expect(await hits()).toBe(8);
      // Both instances together: exactly 40 admitted in the window, whatever each holds unused.
      const statuses = [];
      for (let i = 0; i < 60; i++) statuses.push(await call(i % 2 === 0 ? two : one));
      expect(statuses.filter((s) => s === 200)).toHaveLength(40 - 5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(25);
      expect(await hits()).toBeLessThanOrEqual(48);
    } finally {
      await second.destroy();
    }
  });

  it('refuses no one for a burst: 64 concurrent attempts of one user claim one lease, not 64', async () => {
    const t = buildTestApp(tdb, { clock: steppedClock(), env: { RATE_LIMIT_UNLOCK: '1000', RATE_LIMIT_UNLOCK_SHARED: 'true' } });
    const u = await richUser();
    const posts = await Promise.all(Array.from({ length: 64 }, () => insertPricedPost(tdb.db, 1)));
    const res = await Promise.all(posts.map((p) => t.call('POST', `/api/posts/${p.postId}/unlock`, { token: u.token })));
    expect(res.map((r) => r.status)).toEqual(Array(64).fill(200));
    const row = await tdb.db.selectFrom('rate_limits').select('hits').where('bucket', '=', 'unlock').where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(row.hits).toBe(100);
  });

  it('keeps the unlock limit in each instance by default: no counter row, and each instance counts its own', async () => {
    const clock = steppedClock();
    const env = { RATE_LIMIT_UNLOCK: '2' };
    const one = buildTestApp(tdb, { clock, env });
    const two = buildTestApp(tdb, { clock, env });
    const u = await richUser();
    const { postId } = await insertPricedPost(tdb.db, 1);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await (i % 2 === 0 ? one : two).call('POST', `/api/posts/${postId}/unlock`, { token: u.token })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    expect(await tdb.db.selectFrom('rate_limits').selectAll().where('user_id', '=', u.id).execute()).toEqual([]);
    clock.advanceS(45);
    expect((await one.call('POST', `/api/posts/${postId}/unlock`, { token: u.token })).status).toBe(200);
  });

  it('counts refused unlocks too: not for sale, too expensive and already unlocked', async () => {
    const t = buildTestApp(tdb, { clock: steppedClock(), env: { RATE_LIMIT_UNLOCK: '4', RATE_LIMIT_UNLOCK_SHARED: 'true' } });
    const { id, token } = await userWithCoins(tdb.db, 5);
    const cheap = await insertPricedPost(tdb.db, 1);
    const dear = await insertPricedPost(tdb.db, 100);
    const call = (postId: number) => t.call('POST', `/api/posts/${postId}/unlock`, { token });
    const statuses = [];
    for (const postId of [cheap.postId, cheap.postId, dear.postId, 999_999_999, cheap.postId]) statuses.push((await call(postId)).status);
    expect(statuses).toEqual([200, 200, 402, 404, 429]);
    const row = await tdb.db.selectFrom('rate_limits').selectAll().where('bucket', '=', 'unlock').where('user_id', '=', id).executeTakeFirstOrThrow();
    // The counter is its own statement before the unlock, as on every other route, so the 429 counted too.
    expect(row.hits).toBe(5);
  });

  it('never turns a money answer into a 500 when the counter cannot be written: the unlock goes through, logged', async () => {
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (msg: string) => warnings.push(msg) };
    const t = buildTestApp(tdb, { clock: steppedClock(), env: { RATE_LIMIT_UNLOCK: '3', RATE_LIMIT_UNLOCK_SHARED: 'true' }, deps: { log } });
    const id = await createWpUser(tdb.db);
    await applyMovement(tdb.db, { userId: id, deltaCoins: 10, kind: 'adjustment', idempotencyRef: `seed:${id}`, actor: 'test' });
    const token = await mintToken(id);
    const cheap = await insertPricedPost(tdb.db, 6);
    const dear = await insertPricedPost(tdb.db, 6);
    // Every write to the counter fails as a Galera certification conflict does (1213), however often it is retried.
    const conflict = "SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'Deadlock found when trying to get lock'";
    await sql`CREATE TRIGGER rate_limits_conflict_insert BEFORE INSERT ON ${sql.table('rate_limits')} FOR EACH ROW ${sql.raw(conflict)}`.execute(tdb.db);
    await sql`CREATE TRIGGER rate_limits_conflict_update BEFORE UPDATE ON ${sql.table('rate_limits')} FOR EACH ROW ${sql.raw(conflict)}`.execute(tdb.db);
    try {
      const first = await t.call('POST', `/api/posts/${cheap.postId}/unlock`, { token });
      const second = await t.call('POST', `/api/posts/${dear.postId}/unlock`, { token });
      expect([first.status, second.status]).toEqual([200, 402]);
      expect(await first.json()).toMatchObject({ unlocked: true, balance: 4, charged_coins: 6 });
      expect(await second.json()).toMatchObject({ error: { code: 'insufficient_coins' } });
    } finally {
      await sql`DROP TRIGGER IF EXISTS rate_limits_conflict_insert`.execute(tdb.db);
      await sql`DROP TRIGGER IF EXISTS rate_limits_conflict_update`.execute(tdb.db);
    }
    expect(warnings).toEqual(['rate limit not counted; request let through', 'rate limit not counted; request let through']);
    expect((await checkInvariants(tdb.db, [id])).problems).toEqual([]);
  });

  it('limits redemptions per user', async () => {
    const t = buildTestApp(tdb, { clock: steppedClock(), env: { RATE_LIMIT_REDEEM: '1' } });
    const u = await richUser();
    const call = (key: string) => t.call('POST', '/api/rewards/premium-ea/redeem', { token: u.token, headers: { 'Idempotency-Key': key } });
    expect((await call(`rl-redeem-${u.id}-1`)).status).toBe(201);
    const r = await call(`rl-redeem-${u.id}-2`);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('Retry-After'))).toBeGreaterThan(0);
  });

  it('is off when the limit is 0, leaving no counter rows', async () => {
    const t = buildTestApp(tdb, { env: { RATE_LIMIT_UNLOCK: '0' } });
    const u = await richUser();
    const { postId } = await insertPricedPost(tdb.db, 1);
    const res = await Promise.all(Array.from({ length: 40 }, () => t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token })));
    expect(res.every((r) => r.status === 200)).toBe(true);
    expect(await tdb.db.selectFrom('rate_limits').selectAll().where('user_id', '=', u.id).execute()).toEqual([]);
  });

  it('works as middleware on any route, e.g. recharge creation', async () => {
    const clock = steppedClock();
    const t = buildTestApp(tdb, { clock, env: { RATE_LIMIT_RECHARGE: '2' } });
    const app = new Hono<AppEnv>();
    app.use('*', async (c, next) => {
      c.set('user', { id: 424242, email: '', name: '', locale: 'en_US', caps: ['read'], postId: null, tokenExpS: Math.floor(Date.now() / 1000) + 600 });
      await next();
    });
    app.post('/recharges', rateLimit(t.deps, 'recharge'), (c) => c.json({ ok: true }, 201));
    app.onError((err, c) => (err instanceof ApiError ? sendError(c, err) : c.text('bug', 500)));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.request('/recharges', { method: 'POST' })).status);
    expect(statuses).toEqual([201, 201, 429]);
  });

  it('keeps one counter row per bucket and user, reset when a new window starts', async () => {
    const start = new Date(Date.UTC(2026, 0, 1, 0, 0, 10));
    const later = new Date(Date.UTC(2026, 0, 1, 0, 1, 5));
    expect(await hitWindow(tdb.db, 'test', 99, 60, start)).toEqual({ hits: 1, retryAfterS: 50 });
    expect(await hitWindow(tdb.db, 'test', 99, 60, start)).toEqual({ hits: 2, retryAfterS: 50 });
    expect(await hitWindow(tdb.db, 'test', 99, 60, later)).toEqual({ hits: 1, retryAfterS: 55 });
    expect(await tdb.db.selectFrom('rate_limits').selectAll().where('bucket', '=', 'test').execute()).toHaveLength(1);
  });
});

// Per-user rate limits kept in MariaDB: 429 rate_limited with Retry-After, shared by every instance, off when 0.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../sidecar/src/db/database.js';
import type { Clock } from '../../sidecar/src/clock.js';
import type { AppEnv } from '../../sidecar/src/http/context.js';
import { ApiError, sendError } from '../../sidecar/src/http/errors.js';
import { hitWindow } from '../../sidecar/src/db/rate-counters.js';
import { rateLimit } from '../../sidecar/src/http/rate-limit.js';
import { buildTestApp } from '../support/app.js';
import { createTestDatabase, TABLE_PREFIX, WP_PREFIX, type TestDatabase } from '../support/db.js';
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

  it('lets exactly the limit through 20 concurrent requests', async () => {
    const t = buildTestApp(tdb, { clock: steppedClock(), env: { RATE_LIMIT_UNLOCK: '5' } });
    const u = await richUser();
    const posts = await Promise.all(Array.from({ length: 20 }, () => insertPricedPost(tdb.db, 1)));
    const res = await Promise.all(posts.map((p) => t.call('POST', `/api/posts/${p.postId}/unlock`, { token: u.token })));
    expect(res.filter((r) => r.status === 200)).toHaveLength(5);
    expect(res.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it('counts across sidecar instances sharing the database', async () => {
    const clock = steppedClock();
    const env = { RATE_LIMIT_UNLOCK: '4' };
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

  it('counts refused unlocks too: not for sale, too expensive and already unlocked', async () => {
    const t = buildTestApp(tdb, { clock: steppedClock(), env: { RATE_LIMIT_UNLOCK: '4' } });
    const { id, token } = await userWithCoins(tdb.db, 5);
    const cheap = await insertPricedPost(tdb.db, 1);
    const dear = await insertPricedPost(tdb.db, 100);
    const call = (postId: number) => t.call('POST', `/api/posts/${postId}/unlock`, { token });
    const statuses = [];
    for (const postId of [cheap.postId, cheap.postId, dear.postId, 999_999_999, cheap.postId]) statuses.push((await call(postId)).status);
    expect(statuses).toEqual([200, 200, 402, 404, 429]);
    const row = await tdb.db.selectFrom('rate_limits').selectAll().where('bucket', '=', 'unlock').where('user_id', '=', id).executeTakeFirstOrThrow();
    expect(row.hits).toBe(4);
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
      c.set('user', { id: 424242, email: '', name: '', locale: 'en_US', caps: ['read'], postId: null });
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

// The wallet, ledger and admin adjustment routes against a real database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement, readBalance } from '../../sidecar/src/ledger/ledger.js';
import { mintToken, TEST_METRICS_TOKEN } from '../support/app.js';
import { createWpUser, type TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp } from '../support/seeded.js';

let tdb: TestDatabase;
let t: SeededApp;
let adminToken: string;

beforeAll(async () => {
  t = await seededApp(import.meta.filename);
  tdb = t.tdb;
  const admin = await createWpUser(tdb.db);
  adminToken = await mintToken(admin, { caps: ['read', 'edit_posts', 'manage_options'] });
});
afterAll(async () => tdb?.drop());

describe('GET /api/wallet', () => {
  it('shows zero for a user who never had coins', async () => {
    const user = await createWpUser(tdb.db);
    const res = await t.call('GET', '/api/wallet', { token: await mintToken(user) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ balance: 0, last_recharge: null, recent: [], unread_notifications: 0, vip: null });
  });

  it('shows the balance and the newest entries first', async () => {
    const user = await createWpUser(tdb.db);
    for (let i = 1; i <= 3; i++) {
      await applyMovement(tdb.db, { userId: user, deltaCoins: i * 10, kind: 'adjustment', idempotencyRef: `w:${user}:${i}`, actor: 'test' });
    }
    const body = await (await t.call('GET', '/api/wallet', { token: await mintToken(user) })).json();
    expect(body.balance).toBe(60);
    expect(body.recent.map((e: { delta_coins: number }) => e.delta_coins)).toEqual([30, 20, 10]);
    expect(body.recent[0].balance_after).toBe(60);
  });
});

describe('GET /api/ledger', () => {
  it('pages through the history with a cursor and never shows another user', async () => {
    const user = await createWpUser(tdb.db);
    const other = await createWpUser(tdb.db);
    for (let i = 1; i <= 25; i++) {
      await applyMovement(tdb.db, { userId: user, deltaCoins: i, kind: 'adjustment', idempotencyRef: `l:${user}:${i}`, actor: 'test' });
    }
    await applyMovement(tdb.db, { userId: other, deltaCoins: 99, kind: 'adjustment', idempotencyRef: `l:${other}`, actor: 'test' });
    const token = await mintToken(user);
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await t.call('GET', `/api/ledger?limit=10${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(res.status).toBe(200);
      const body = await res.json();
      seen.push(...body.entries.map((e: { delta_coins: number }) => e.delta_coins));
      cursor = body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => 25 - i));
  });

  it.each(['cursor=abc', 'cursor=-1', 'limit=0', 'limit=101', "cursor=1%27%20OR%201%3D1"])('refuses %s with 400', async (q) => {
    const user = await createWpUser(tdb.db);
    const res = await t.call('GET', `/api/ledger?${q}`, { token: await mintToken(user) });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_query');
  });
});

describe('POST /api/admin/adjustments', () => {
  const adjust = (body: unknown, key: string | undefined, token = adminToken) =>
    t.call('POST', '/api/admin/adjustments', { token, body, headers: key ? { 'Idempotency-Key': key } : {} });

  it('credits and debits with a reason, audited in the ledger', async () => {
    const user = await createWpUser(tdb.db);
    const res = await adjust({ user_id: user, delta_coins: 100, reason: 'Goodwill credit' }, `adj-${user}-1`);
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body.balance).toBe(100);
    expect(body.entry).toMatchObject({ delta_coins: 100, kind: 'adjustment', memo: 'Goodwill credit' });
    const debit = await adjust({ user_id: user, delta_coins: -30, reason: 'Chargeback' }, `adj-${user}-2`);
    expect((await debit.json()).balance).toBe(70);
    const row = await tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', user).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(row.actor).toMatch(/^admin:\d+$/);
  });

  it('answers a retry with the same key with the same result and credits once', async () => {
    const user = await createWpUser(tdb.db);
    const payload = { user_id: user, delta_coins: 25, reason: 'Promo' };
    const results = await Promise.all(Array.from({ length: 10 }, () => adjust(payload, `adj-retry-${user}`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    for (const s of statuses) expect([201, 409]).toContain(s);
    const replay = await adjust(payload, `adj-retry-${user}`);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await readBalance(tdb.db, user)).toBe(25);
    expect((await checkInvariants(tdb.db, [user])).ok).toBe(true);
  });

  it('tells a retry of a claim its request died holding when it can take the claim over, and applies it once', async () => {
    const user = await createWpUser(tdb.db);
    const payload = { user_id: user, delta_coins: 9, reason: 'Stranded' };
    const key = `adj-stranded-${user}`;
    expect((await adjust(payload, key)).status).toBe(201);
    // As if the request had died after its claim (a crash, a lost database) and before it stored its answer.
    const strand = (ageS: number) =>
      tdb.db
        .updateTable('idempotency_keys')
        .set({ status_code: null, response_body: null, created_at: new Date(Date.now() - ageS * 1000) } as never)
        .where('idem_key', '=', key)
        .execute();
    await strand(2);
    const live = await adjust(payload, key);
    expect([live.status, (await live.json()).error.code, live.headers.get('Retry-After')]).toEqual([409, 'request_in_progress', '1']);
    await strand(45);
    const stranded = await adjust(payload, key);
    expect(stranded.status).toBe(409);
    expect(Number(stranded.headers.get('Retry-After'))).toBeGreaterThanOrEqual(14);
    expect(Number(stranded.headers.get('Retry-After'))).toBeLessThanOrEqual(15);
    await strand(61);
    const takenOver = await adjust(payload, key);
    expect(takenOver.status).toBe(201);
    expect((await takenOver.json()).balance).toBe(9);
    expect(await readBalance(tdb.db, user)).toBe(9);
  });

  it('refuses the same key for a different request', async () => {
    const user = await createWpUser(tdb.db);
    await adjust({ user_id: user, delta_coins: 5, reason: 'First' }, `adj-reuse-${user}`);
    const res = await adjust({ user_id: user, delta_coins: 500, reason: 'Second' }, `adj-reuse-${user}`);
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('idempotency_key_reused');
    expect(await readBalance(tdb.db, user)).toBe(5);
  });

  it('refuses a debit below zero with 402 and writes nothing', async () => {
    const user = await createWpUser(tdb.db);
    const res = await adjust({ user_id: user, delta_coins: -1, reason: 'Too much' }, `adj-neg-${user}`);
    expect(res.status).toBe(402);
    expect((await res.json()).error).toMatchObject({ code: 'insufficient_coins', details: { balance: 0, shortfall: 1 } });
    expect(await readBalance(tdb.db, user)).toBe(0);
  });

  const badBodies: Array<[string, unknown, string | undefined, number, string]> = [
    ['no key', { user_id: 1, delta_coins: 1, reason: 'abc' }, undefined, 400, 'idempotency_key_required'],
    ['short key', { user_id: 1, delta_coins: 1, reason: 'abc' }, 'k', 400, 'invalid_idempotency_key'],
    ['missing reason', { user_id: 1, delta_coins: 1 }, 'bad-body-1', 400, 'invalid_request'],
    ['blank reason', { user_id: 1, delta_coins: 1, reason: '   ' }, 'bad-body-2', 400, 'invalid_request'],
    ['zero delta', { user_id: 1, delta_coins: 0, reason: 'abc' }, 'bad-body-3', 400, 'invalid_request'],
    ['fractional delta', { user_id: 1, delta_coins: 1.5, reason: 'abc' }, 'bad-body-4', 400, 'invalid_request'],
    ['string delta', { user_id: 1, delta_coins: '10', reason: 'abc' }, 'bad-body-5', 400, 'invalid_request'],
    ['huge delta', { user_id: 1, delta_coins: 1e15, reason: 'abc' }, 'bad-body-6', 400, 'invalid_request'],
    ['unknown user', { user_id: 987654321, delta_coins: 1, reason: 'abc' }, 'bad-body-7', 404, 'user_not_found'],
    ['not JSON', '{"user_id":', 'bad-body-8', 400, 'invalid_json'],
  ];
  it.each(badBodies)('refuses %s', async (_name, body, key, status, code) => {
    const before = (await tdb.db.selectFrom('coin_ledger').select('id').execute()).length;
    const res = await adjust(body, key);
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe(code);
    expect((await tdb.db.selectFrom('coin_ledger').select('id').execute()).length).toBe(before);
  });
});

describe('service routes', () => {
  it('reports liveness, readiness, metrics and the OpenAPI document', async () => {
    expect((await t.app.request('/healthz')).status).toBe(200);
    expect(await (await t.app.request('/readyz')).json()).toEqual({ ok: true });
    const metrics = await (await t.call('GET', '/metrics', { token: TEST_METRICS_TOKEN })).text();
    expect(metrics).toContain('goldcoin_http_requests_total');
    const doc = await (await t.app.request('/openapi.json')).json();
    expect(doc.paths['/api/wallet']).toBeDefined();
  });

  it('documents every route it serves in the OpenAPI document, and nothing it does not serve', async () => {
    const doc = await (await t.app.request('/openapi.json')).json();
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const served = t.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`);
    expect([...new Set(served)].sort()).toEqual([...new Set(documented)].sort());
  });

  it('limits CORS to the configured site origin', async () => {
    const preflight = (origin: string) =>
      t.app.request('/api/wallet', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
      });
    const allowed = await preflight('http://wp.test');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://wp.test');
    expect(allowed.headers.get('access-control-max-age')).toBe('7200');
    expect((await preflight('http://evil.test')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses an oversized body with 413', async () => {
    const res = await t.call('POST', '/api/admin/adjustments', {
      token: adminToken,
      body: { user_id: 1, delta_coins: 1, reason: 'x'.repeat(100_000) },
      headers: { 'Idempotency-Key': 'too-big-body' },
    });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('answers unknown routes with a 404 error body, after authentication under /api', async () => {
    expect((await t.app.request('/api/nope')).status).toBe(401);
    const res = await t.call('GET', '/api/nope', { token: adminToken });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
    expect((await t.app.request('/nope')).status).toBe(404);
  });
});

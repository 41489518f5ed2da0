// Property-based fuzzing of every route: random params, queries, bodies and headers are always a 4xx with a
// stable code (never a 5xx) and move nothing; SQL-injection strings are stored or refused literally;
// oversized bodies are 413; a foreign origin gets no CORS grant.
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_HOME } from '../support/app.js';
import type { TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';

const RUNS = 150;
const STABLE_CODE = /^[a-z][a-z0-9_]{2,63}$/;

let tdb: TestDatabase;
let t: SeededApp;
let user: number;
let admin: number;
let userToken: string;
let adminToken: string;
let pricedPost: number;
const tried: Record<string, number> = {};
const count = (what: string) => (tried[what] = (tried[what] ?? 0) + 1);

async function insertPost(author: number, title: string, priceMeta: string | null): Promise<number> {
  const res = await sql`INSERT INTO ${sql.table('posts')}
      (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name,
       to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, post_type)
    VALUES (${author}, NOW(), NOW(), '', ${title}, '', 'publish', ${title.toLowerCase().replace(/\W+/g, '-')},
       '', '', NOW(), NOW(), '', 'post')`.execute(tdb.db);
  const id = Number(res.insertId);
  if (priceMeta !== null) {
    await tdb.db.insertInto('postmeta').values({ post_id: id, meta_key: '_goldcoin_price', meta_value: priceMeta }).execute();
  }
  return id;
}

beforeAll(async () => {
  // Rate limits off, so fuzzing reaches the validation behind them instead of a 429.
  t = await seededApp(import.meta.filename, {
    env: { RATE_LIMIT_UNLOCK: '0', RATE_LIMIT_RECHARGE: '0', RATE_LIMIT_REDEEM: '0', RATE_LIMIT_DOWNLOAD: '0', RATE_LIMIT_REFERRAL_BIND: '0', RATE_LIMIT_NOTIFICATION_READ: '0', COINPAYMENTS_API_URL: 'http://127.0.0.1:9/api.php', COINPAYMENTS_TIMEOUT_MS: '200' },
  });
  tdb = t.tdb;
  // Five coins: less than any price or reward, so no fuzzed request can be a valid purchase.
  ({ id: user, token: userToken } = await userWithCoins(tdb.db, 5));
  ({ id: admin, token: adminToken } = await userWithCoins(tdb.db, 0, { caps: ['read', 'edit_posts', 'manage_options'] }));
  pricedPost = await insertPost(admin, 'Priced EA', '10');
  await insertPost(admin, 'Free post', null);
});
afterAll(async () => {
  console.log(`attack: fuzz requests tried ${JSON.stringify(tried)}`);
  await tdb?.drop();
});

/** Everything a request could move: coins, entitlements, payments, redemptions, referrals, downloads, keys. */
async function moneyState() {
  const r = await sql<Record<string, string | number>>`SELECT
      (SELECT COUNT(*) FROM ${sql.table('coin_ledger')}) AS ledger_rows,
      (SELECT COALESCE(SUM(total_coins), 0) FROM ${sql.table('user_wallet')}) AS coins,
      (SELECT COUNT(*) FROM ${sql.table('user_wallet')}) AS wallets,
      (SELECT COUNT(*) FROM ${sql.table('entitlements')}) AS entitlements,
      (SELECT COUNT(*) FROM ${sql.table('recharge_transactions')}) AS recharges,
      (SELECT COUNT(*) FROM ${sql.table('reward_redemptions')}) AS redemptions,
      (SELECT COUNT(*) FROM ${sql.table('referral_bindings')}) AS referrals,
      (SELECT COUNT(*) FROM ${sql.table('downloads')}) AS downloads,
      (SELECT COUNT(*) FROM ${sql.table('idempotency_keys')}) AS idempotency_keys,
      (SELECT COUNT(*) FROM ${sql.table('users')}) AS wp_users`.execute(tdb.db);
  return Object.fromEntries(Object.entries(r.rows[0]!).map(([k, v]) => [k, String(v)]));
}

type Method = 'GET' | 'POST';
interface Route {
  method: Method;
  /** With :param placeholders. */
  path: string;
  admin?: boolean;
  /** The route reads a JSON body. */
  body?: boolean;
  /** A GET that may legitimately answer 200 to a fuzzed (but harmless) query or id. */
  readOnly?: boolean;
}

const ROUTES: Route[] = [
  { method: 'GET', path: '/api/wallet', readOnly: true },
  { method: 'GET', path: '/api/ledger', readOnly: true },
  { method: 'GET', path: '/api/packages', readOnly: true },
  { method: 'GET', path: '/api/notifications', readOnly: true },
  { method: 'POST', path: '/api/notifications/read', body: true },
  { method: 'POST', path: '/api/recharges', body: true },
  { method: 'GET', path: '/api/recharges', readOnly: true },
  { method: 'GET', path: '/api/recharges/:p' },
  { method: 'GET', path: '/api/recharges/:p/events' },
  { method: 'GET', path: '/api/posts/:p', readOnly: true },
  { method: 'POST', path: '/api/posts/:p/unlock' },
  { method: 'POST', path: '/api/posts/:p/download' },
  { method: 'GET', path: '/api/rewards', readOnly: true },
  { method: 'GET', path: '/api/rewards/redemptions', readOnly: true },
  { method: 'GET', path: '/api/rewards/grants', readOnly: true },
  { method: 'POST', path: '/api/rewards/:p/redeem', body: true },
  { method: 'GET', path: '/api/referrals', readOnly: true },
  { method: 'POST', path: '/api/referrals/bind', body: true },
  { method: 'GET', path: '/api/admin/payments', admin: true, readOnly: true },
  { method: 'GET', path: '/api/admin/ledger', admin: true, readOnly: true },
  { method: 'GET', path: '/api/admin/stats', admin: true, readOnly: true },
  { method: 'GET', path: '/api/admin/redemptions', admin: true, readOnly: true },
  { method: 'POST', path: '/api/admin/adjustments', admin: true, body: true },
  { method: 'GET', path: '/api/admin/payments/:p', admin: true },
  { method: 'POST', path: '/api/admin/payments/:p/resolve', admin: true, body: true },
];

/**
 * Sends one request and checks the contract: never a 5xx; every error has a stable code; a request that is
 * refused moves nothing; only read-only routes may answer 2xx to fuzz.
 */
async function probe(route: Route, init: { path?: string; query?: string; body?: string; headers?: Record<string, string> }) {
  const before = await moneyState();
  const path = (init.path ?? route.path) + (init.query ? `?${init.query}` : '');
  const res = await t.app.request(path, {
    method: route.method,
    headers: { Authorization: `Bearer ${route.admin ? adminToken : userToken}`, ...init.headers },
    body: route.method === 'POST' ? init.body : undefined,
  });
  const text = await res.text();
  expect(res.status, `${route.method} ${path} -> ${res.status} ${text.slice(0, 200)}`).toBeLessThan(500);
  if (res.status >= 400) {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    expect(typeof code === 'string' && STABLE_CODE.test(code), `code of ${res.status}: ${text.slice(0, 200)}`).toBe(true);
    expect(await moneyState()).toEqual(before);
  } else {
    expect(route.readOnly || res.status === 200, `${route.method} ${path} answered ${res.status}`).toBe(true);
    if (route.method === 'POST') expect(await moneyState()).toEqual(before);
  }
  count(`${route.method} ${route.path}`);
  return res.status;
}

const fill = (path: string, value: string) => path.replace(':p', encodeURIComponent(value));
const withParam = ROUTES.filter((r) => r.path.includes(':p'));
const withBody = ROUTES.filter((r) => r.body);
const queryable = ROUTES.filter((r) => r.method === 'GET' && !r.path.includes(':p'));

const SQLI = [
  "' OR '1'='1",
  "1' OR 1=1 -- ",
  '1; DROP TABLE wp_goldcoin_coin_ledger; --',
  "' UNION SELECT user_login, user_pass FROM wp_users -- ",
  '1 AND SLEEP(5)',
  "admin'/*",
  '\\"; DELETE FROM wp_users; --',
  '%27%20OR%201%3D1',
  '0x27204f5220313d31',
  "ʼ OR 1=1 --",
  '\u0000\u001a\\',
  '${7*7}{{7*7}}<script>alert(1)</script>',
];

describe('fuzzing every route', () => {
  it('answers any path parameter with a 4xx or a harmless read, never a 5xx (property)', async () => {
    const param = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(...SQLI, '0', '-1', '1e3', '0x10', '9007199254740993', '99999999999999999999', ' 1', '1 ', '+1', '01', 'premium-ea', 'vip-group', String(pricedPost)),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withParam), param, async (route, value) => {
        await probe(route, { path: fill(route.path, value), body: route.body ? '{}' : undefined, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'fuzz-param-key-1' } });
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('answers any query string with a 4xx or a harmless read (property)', async () => {
    const key = fc.constantFrom('cursor', 'limit', 'status', 'user_id', 'stuck', 'kind', 'ref', 'days', 'unread', 'x');
    const value = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom(...SQLI, '-1', '0', '1e9', 'NaN', '[]', '101', '9007199254740993'), fc.integer().map(String));
    const query = fc.array(fc.tuple(key, value), { maxLength: 4 }).map((pairs) => new URLSearchParams(pairs).toString());
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...queryable), query, async (route, q) => {
        await probe(route, { query: q });
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('refuses any JSON body that is not a valid purchase with a 4xx and moves nothing (property)', async () => {
    const text = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...SQLI));
    const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 10, 5));
    const shaped = fc.record(
      {
        coins: number,
        package_id: text,
        method: text,
        network: text,
        currency: text,
        code: text,
        ids: fc.array(number, { maxLength: 3 }),
        all: fc.oneof(fc.boolean(), text),
        user_id: fc.oneof(number, fc.constant(user)),
        delta_coins: fc.oneof(number, fc.constant(0)),
        reason: fc.oneof(text, fc.constant('')),
        action: fc.oneof(text, fc.constantFrom('credit_received', 'credit_full', 'reject')),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), shaped.map((v) => JSON.stringify(v)), fc.string({ maxLength: 60 }));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withBody), body, fc.uuid(), async (route, b, key) => {
        const path = fill(route.path, route.path.includes('payments') ? '1' : 'premium-ea');
        const parsed = (() => {
          try {
            return JSON.parse(b) as unknown;
          } catch {
            return undefined;
          }
        })();
        // Requests that are valid by construction are not fuzz: a real adjustment, or marking nothing read.
        if (route.path === '/api/admin/adjustments' && isValidAdjustment(parsed)) return;
        const status = await probe(route, { path, body: b, headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `fuzz-${key}` } });
        if (route.path !== '/api/notifications/read') expect(status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('answers odd headers (content types, idempotency keys, request ids) with a 4xx, never a 5xx (property)', async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 });
    const headers = fc.record(
      {
        'Content-Type': fc.oneof(printable, fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded')),
        'Idempotency-Key': fc.oneof(printable, fc.constantFrom('short', 'a'.repeat(129), 'ok-key-1234', ...SQLI.filter((x) => /^[\x20-\x7e]*$/.test(x)))),
        'X-Request-Id': printable,
        'X-Forwarded-For': printable,
        Accept: printable,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...withBody), headers, async (route, h) => {
        await probe(route, { path: fill(route.path, 'premium-ea'), body: '{"coins":"x","method":1}', headers: h });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('unknown routes and methods', () => {
  it('answers any other method or path with 404 not_found, never a 5xx (property)', async () => {
    const method = fc.constantFrom('PUT', 'PATCH', 'DELETE', 'GET', 'POST');
    const segment = fc.oneof(fc.constantFrom('api', 'admin', 'wallet', 'posts', '1', '..', '%2e%2e', 'ipn', 'coinpayments', '%00', 'metrics;'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
    const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join('/')}`);
    await fc.assert(
      fc.asyncProperty(method, path, async (m, p) => {
        const known = ROUTES.some((r) => r.method === m && new RegExp(`^${r.path.replace(':p', '[^/]+')}/?$`).test(p));
        fc.pre(!known && !['/healthz', '/readyz', '/metrics', '/openapi.json', '/ipn/coinpayments'].some((x) => p.startsWith(x)));
        const res = await t.app.request(p, { method: m, headers: { Authorization: `Bearer ${adminToken}` } });
        expect(res.status, `${m} ${p}`).toBeLessThan(500);
        expect(res.status, `${m} ${p}`).toBeGreaterThanOrEqual(400);
        count('unknown route');
      }),
      { numRuns: RUNS },
    );
  });
});

function isValidAdjustment(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return Number.isSafeInteger(o['user_id']) && Number.isSafeInteger(o['delta_coins']) && o['delta_coins'] !== 0 && typeof o['reason'] === 'string' && o['reason'].trim().length >= 3;
}

describe('SQL injection', () => {
  it('stores an injection string literally when it is a valid value (the adjustment reason)', async () => {
    for (const [i, payload] of SQLI.entries()) {
      const reason = `why ${payload}`.slice(0, 255);
      const res = await t.call('POST', '/api/admin/adjustments', {
        token: adminToken,
        body: { user_id: user, delta_coins: 1, reason },
        headers: { 'Idempotency-Key': `sqli-reason-${i}` },
      });
      expect(res.status).toBe(201);
      const row = await tdb.db.selectFrom('coin_ledger').select('memo').where('idempotency_ref', 'like', `%:sqli-reason-${i}`).executeTakeFirstOrThrow();
      expect(row.memo).toBe(reason.trim());
      count('sqli stored');
    }
    const search = await t.call('GET', `/api/admin/ledger?ref=${encodeURIComponent(SQLI[0]!)}`, { token: adminToken });
    expect(search.status).toBe(200);
    expect((await search.json()).entries).toEqual([]);
    const users = await tdb.db.selectFrom('users').select('ID').execute();
    expect(users.length).toBe(2);
  });
});

describe('oversized and streamed bodies', () => {
  it('refuses a body over BODY_LIMIT_BYTES with 413 payload_too_large on every POST route, declared or streamed', async () => {
    const big = JSON.stringify({ reason: 'x'.repeat(t.config.bodyLimitBytes + 10) });
    for (const route of ROUTES.filter((r) => r.method === 'POST')) {
      const path = fill(route.path, route.path.includes('posts') ? String(pricedPost) : 'premium-ea');
      const before = await moneyState();
      const declared = await t.app.request(path, {
        method: 'POST',
        headers: { Authorization: `Bearer ${route.admin ? adminToken : userToken}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'oversized-1' },
        body: big,
      });
      expect(declared.status, path).toBe(413);
      expect((await declared.json()).error.code).toBe('payload_too_large');
      const stream = new ReadableStream<Uint8Array>({
        start(ctrl) {
          for (let i = 0; i < 20; i++) ctrl.enqueue(new TextEncoder().encode('x'.repeat(t.config.bodyLimitBytes / 10)));
          ctrl.close();
        },
      });
      const streamed = await t.app.request(path, {
        method: 'POST',
        headers: { Authorization: `Bearer ${route.admin ? adminToken : userToken}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'oversized-2' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      expect(streamed.status, path).toBe(413);
      expect(await moneyState()).toEqual(before);
      count('oversized');
    }
    const ipn = await t.app.request('/ipn/coinpayments', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', HMAC: 'a'.repeat(128) }, body: 'a=' + 'x'.repeat(t.config.bodyLimitBytes) });
    expect(ipn.status).toBe(413);
  });
});

describe('CORS', () => {
  it('grants the WordPress origin and nobody else, on preflight and on simple requests', async () => {
    const preflight = (origin: string) =>
      t.app.request('/api/wallet', {
        method: 'OPTIONS',
        headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' },
      });
    const good = await preflight(new URL(TEST_HOME).origin);
    expect(good.headers.get('access-control-allow-origin')).toBe(new URL(TEST_HOME).origin);
    // Simple requests get the grant on success and on refusals alike (the widget reads Retry-After from a 429).
    for (const headers of [{ Authorization: `Bearer ${userToken}` }, {}] as Record<string, string>[]) {
      const simple = await t.app.request('/api/wallet', { headers: { Origin: new URL(TEST_HOME).origin, ...headers } });
      expect(simple.headers.get('access-control-allow-origin')).toBe(new URL(TEST_HOME).origin);
      expect(simple.headers.get('access-control-expose-headers')).toContain('Retry-After');
      expect(simple.headers.get('vary')).toContain('Origin');
    }
    for (const origin of ['http://evil.test', `${new URL(TEST_HOME).origin}.evil.test`, 'null', 'http://wp.test:8080', 'https://wp.test']) {
      const res = await preflight(origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      const simple = await t.app.request('/api/wallet', { headers: { Origin: origin, Authorization: `Bearer ${userToken}` } });
      expect(simple.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(simple.headers.get('access-control-allow-credentials')).toBeNull();
      count('foreign origin');
    }
  });
});

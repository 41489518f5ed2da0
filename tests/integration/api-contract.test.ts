// The API contract: every served route is in /openapi.json with all it answers, answers are checked against
// their schemas, and GET /api/admin/books reports what the ledger invariants find.
import { Hono, type Context } from 'hono';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../sidecar/src/http/context.js';
import { checkResponses } from '../../sidecar/src/http/response-check.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { buildTestApp, mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';

interface Operation {
  parameters?: { name: string; in: string }[];
  security?: unknown[];
  requestBody?: { content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: { properties?: { error?: { properties?: { code?: { enum?: string[] } } } } } }> }>;
}
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

let tdb: TestDatabase;
let t: ReturnType<typeof buildTestApp>;
let doc: Doc;
let adminToken: string;

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  t = buildTestApp(tdb);
  doc = (await (await t.call('GET', '/openapi.json')).json()) as Doc;
  adminToken = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
});
afterAll(async () => tdb?.drop());

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
const errorCodes = (op: Operation, status: number) =>
  op.responses[String(status)]?.content?.['application/json']?.schema.properties?.error?.properties?.code?.enum ?? [];

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists exactly the routes the app serves, /openapi.json included', () => {
    expect(doc.openapi).toBe('3.1.0');
    const served = new Set(t.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`));
    const documented = new Set(operations().map(({ path, method }) => `${method.toUpperCase()} ${path}`));
    expect([...served].sort()).toEqual([...documented].sort());
    expect(served.has('GET /openapi.json')).toBe(true);
  });

  it('documents each path parameter, and the statuses the middleware in front of each route answers', () => {
    for (const { path, method, op } of operations()) {
      const where = `${method} ${path}`;
      for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
        expect(op.parameters?.some((p) => p.in === 'path' && p.name === name), `${where} documents ${name}`).toBe(true);
      }
      expect(errorCodes(op, 500), where).toEqual(['internal_error']);
      expect(errorCodes(op, 503), where).toEqual(['database_unavailable']);
      if (op.security === undefined) expect(errorCodes(op, 401), where).toEqual(['unauthorized']);
      if (path.startsWith('/api/admin/')) expect(errorCodes(op, 403), where).toEqual(['forbidden']);
      if (method === 'post') expect(errorCodes(op, 413), where).toEqual(['payload_too_large']);
    }
  });

  it('documents each error answer with its stable codes', () => {
    const create = doc.paths['/api/recharges']!['post']!;
    expect(errorCodes(create, 400)).toEqual(expect.arrayContaining(['unknown_package', 'unsupported_method', 'idempotency_key_required', 'invalid_request']));
    expect(errorCodes(create, 409)).toEqual(['request_in_progress']);
    expect(errorCodes(create, 429)).toEqual(['rate_limited']);
    expect(errorCodes(create, 502)).toEqual(['provider_unavailable']);
    expect(errorCodes(doc.paths['/api/recharges/{id}/events']!['get']!, 429)).toEqual(['too_many_streams']);
    expect(errorCodes(doc.paths['/api/posts/{postId}/unlock']!['post']!, 402)).toEqual(['insufficient_coins']);
  });

  it('describes the recharge method as the validator reads it: any name, the offered ones listed', () => {
    const body = doc.paths['/api/recharges']!['post']!.requestBody!.content['application/json']!.schema as {
      properties: Record<string, { type?: string; examples?: string[] }>;
      required: string[];
    };
    expect(body.properties['method']).toMatchObject({ type: 'string', examples: ['USDT', 'CoinPayment'] });
    expect(body.required).toEqual(['method']);
  });
});

describe('the response check', () => {
  /** A stand-in for GET /api/wallet that answers whatever a test asks, held against the real schema. */
  function wallet(answer: (c: Context<AppEnv>) => Response) {
    const problems: string[] = [];
    const app = new Hono<AppEnv>();
    app.use('*', checkResponses((p) => problems.push(p)));
    app.get('/api/wallet', answer);
    return { app, problems };
  }

  it('passes an answer its schema describes', async () => {
    const { app, problems } = wallet((c) => c.json({ balance: 3, last_recharge: null, recent: [], unread_notifications: 0, vip: null }));
    expect((await app.request('/api/wallet')).status).toBe(200);
    expect(problems).toEqual([]);
  });

  it.each<[string, (c: Context<AppEnv>) => Response, RegExp]>([
    ['a body of the wrong shape', (c) => c.json({ balance: '3', recent: [] }), /body does not match/],
    ['a field the schema does not describe', (c) => c.json({ balance: 3, last_recharge: null, recent: [], unread_notifications: 0, vip: null, secret: 'x' }), /fields its schema does not describe/],
    ['an undocumented status', (c) => c.json({ balance: 3 }, 418), /status 418 is not documented/],
    ['an undocumented error code', (c) => c.json({ error: { code: 'teapot', message: 'no' } }, 401), /error code teapot is not documented for 401/],
  ])('turns %s into a 500 naming it', async (_what, answer, problem) => {
    const { app, problems } = wallet(answer);
    const res = await app.request('/api/wallet');
    expect(res.status).toBe(500);
    expect((await res.json()).error.code).toBe('undocumented_response');
    expect(problems).toEqual([expect.stringMatching(problem)]);
  });
});

describe('GET /api/admin/books', () => {
  const books = (query = '') => t.call('GET', `/api/admin/books${query}`, { token: adminToken });

  it('is for administrators only', async () => {
    const reader = await mintToken(await createWpUser(tdb.db));
    const res = await t.call('GET', '/api/admin/books', { token: reader });
    expect(res.status).toBe(403);
  });

  it('checks the wallets page by page with a cursor, and names a balance that disagrees with its ledger', async () => {
    const users: number[] = [];
    for (let i = 0; i < 3; i++) {
      const user = await createWpUser(tdb.db);
      await applyMovement(tdb.db, { userId: user, deltaCoins: 10, kind: 'adjustment', idempotencyRef: `books:${user}`, actor: 'test' });
      users.push(user);
    }
    const clean = await (await books()).json();
    expect(clean).toMatchObject({ ok: true, problems: [], next_cursor: null });
    expect(clean.users_checked).toBeGreaterThanOrEqual(3);

    const broken = users[1]!;
    await sql`UPDATE ${sql.table('user_wallet')} SET total_coins = 11 WHERE user_id = ${broken}`.execute(tdb.db);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await books(`?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = await res.json();
      expect(page.users_checked).toBeLessThanOrEqual(1);
      seen.push(...page.problems);
      cursor = page.next_cursor;
    } while (cursor !== null && ++pages < 50);
    expect(cursor).toBeNull();
    expect(seen).toEqual([`user ${broken}: balance 11 but ledger sums to 10`]);
    await sql`UPDATE ${sql.table('user_wallet')} SET total_coins = 10 WHERE user_id = ${broken}`.execute(tdb.db);
  });

  it('refuses a bad cursor or limit with invalid_query', async () => {
    for (const q of ['?limit=0', '?limit=100000', '?cursor=abc']) {
      const res = await books(q);
      expect(res.status, q).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_query');
    }
  });
});

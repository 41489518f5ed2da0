// Bodies over node:http as the sidecar serves them (main.ts hands Hono the IncomingMessage): read once from the socket
// under BODY_LIMIT_BYTES (http/body.ts), the same answers as Hono's own reader gives in-process: JSON parsed and
// validated, a UTF-8 BOM skipped, bad JSON refused, an idempotent replay matched byte for byte, an oversized body
// refused with 413 whether declared or streamed, and nothing charged by a refused one.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { createWpUser } from '../support/db.js';
import { mintToken } from '../support/app.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';
import { insertPricedPost } from '../support/wp-content.js';

const LIMIT = 2_048;
let t: SeededApp;
let server: ServerType;
let port: number;
beforeAll(async () => {
  t = await seededApp(import.meta.filename, { env: { BODY_LIMIT_BYTES: String(LIMIT), AUTHOR_SHARE_PERCENT: '0' } });
  // As main.ts serves it: Hono gets node's request and response as its env.
  server = serve({ fetch: t.app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await t?.tdb.drop();
});

/** One POST over a socket; `chunks` are written one by one (chunked encoding) unless a length is declared. */
function post(path: string, token: string, chunks: (string | Buffer)[], headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null }));
    });
    // A server that answers before the whole body is sent may close the socket under the rest of it.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('request bodies read from the socket', () => {
  it('parses and validates JSON, skips a UTF-8 BOM, and refuses bad JSON and a bad field', async () => {
    const u = await userWithCoins(t.tdb.db, 100);
    const a = await insertPricedPost(t.tdb.db, 10);
    const b = await insertPricedPost(t.tdb.db, 10);
    const sent = JSON.stringify({ expected_price_coins: 10 });
    // Split inside the JSON, so the body is read to its end from more than one chunk.
    const first = await post(`/api/posts/${a.postId}/unlock`, u.token, [sent.slice(0, 7), sent.slice(7)]);
    expect(first).toEqual({ status: 200, body: { unlocked: true, balance: 90, charged_coins: 10, access_until: null } });
    const bom = await post(`/api/posts/${b.postId}/unlock`, u.token, [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(sent)])]);
    expect(bom.status).toBe(200);
    expect(bom.body.charged_coins).toBe(10);
    const c = await insertPricedPost(t.tdb.db, 10);
    const broken = await post(`/api/posts/${c.postId}/unlock`, u.token, ['{"expected_price_coins":']);
    expect([broken.status, broken.body.error.code]).toEqual([400, 'invalid_json']);
    const invalid = await post(`/api/posts/${c.postId}/unlock`, u.token, [JSON.stringify({ expected_price_coins: 'ten' })]);
    expect([invalid.status, invalid.body.error.code]).toEqual([400, 'invalid_request']);
    expect(await readBalance(t.tdb.db, u.id)).toBe(80);
  });

  it('matches an idempotent replay by its bytes: the same body replays, another body is a conflict', async () => {
    const admin = await mintToken(await createWpUser(t.tdb.db), { caps: ['read', 'manage_options'] });
    const user = await createWpUser(t.tdb.db);
    const body = JSON.stringify({ user_id: user, delta_coins: 7, reason: 'body test' });
    const key = { 'Idempotency-Key': 'request-body-1' };
    const once = await post('/api/admin/adjustments', admin, [body], key);
    const again = await post('/api/admin/adjustments', admin, [body.slice(0, 3), body.slice(3)], key);
    expect([once.status, again.status]).toEqual([201, 201]);
    expect(again.body).toEqual(once.body);
    const other = await post('/api/admin/adjustments', admin, [JSON.stringify({ user_id: user, delta_coins: 8, reason: 'body test' })], key);
    expect(other.status).toBe(422);
    expect(await readBalance(t.tdb.db, user)).toBe(7);
  });

  it('refuses a body over the limit with 413, declared or streamed, and charges nothing', async () => {
    const u = await userWithCoins(t.tdb.db, 100);
    const { postId } = await insertPricedPost(t.tdb.db, 10);
    const big = JSON.stringify({ expected_price_coins: 10, pad: 'x'.repeat(LIMIT) });
    const declared = await post(`/api/posts/${postId}/unlock`, u.token, [big], { 'Content-Length': String(Buffer.byteLength(big)) });
    expect([declared.status, declared.body.error.code]).toEqual([413, 'payload_too_large']);
    const streamed = await post(`/api/posts/${postId}/unlock`, u.token, Array.from({ length: 8 }, (_, i) => big.slice((i * big.length) / 8, ((i + 1) * big.length) / 8)));
    expect([streamed.status, streamed.body.error.code]).toEqual([413, 'payload_too_large']);
    // Exactly at the limit is allowed.
    const fits = JSON.stringify({ expected_price_coins: 10 }).padEnd(LIMIT, ' ');
    const ok = await post(`/api/posts/${postId}/unlock`, u.token, [fits]);
    expect([ok.status, ok.body.charged_coins]).toEqual([200, 10]);
    expect(await readBalance(t.tdb.db, u.id)).toBe(90);
  });
});

// References served by a bare Hono app on @hono/node-server: the wallet JSON as a constant, and the sidecar's unlock
// transaction (bench/raw-unlock.ts) behind the same JWT check, so the table can separate HTTP+JWT from the rest.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { jwtVerify } from 'jose';
import { createPool } from 'mysql2/promise';
import { parseDatabaseUrl } from '../sidecar/src/db/database-url.js';
import { sameTransactionUnlock } from './raw-unlock.js';

const env = (k: string) => process.env[k] ?? '';
const body = JSON.parse(env('BARE_BODY') || '{}') as Record<string, unknown>;
const price = Number(env('BARE_PRICE_COINS') || '1');
const unlock = sameTransactionUnlock({ prefix: env('BARE_TABLE_PREFIX'), wpPrefix: env('BARE_WP_TABLE_PREFIX') || 'wp_' });
const key = new TextEncoder().encode(env('BARE_JWT_SECRET'));
const pool = env('BARE_DATABASE_URL') ? createPool({ ...parseDatabaseUrl(env('BARE_DATABASE_URL')), connectionLimit: Number(env('BARE_POOL_SIZE') || '16'), timezone: 'Z' }) : null;

const app = new Hono();
app.get('/api/wallet', (c) => c.json(body));
app.get('/readyz', (c) => c.json({ ok: true }));
app.post('/api/posts/:postId/unlock', async (c) => {
  const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  if (!token || !pool) return c.json({ error: 'unauthorized' }, 401);
  const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: env('BARE_WP_HOME'), audience: 'goldcoin' });
  const conn = await pool.getConnection();
  try {
    await unlock(conn, Number(payload.sub), Number(c.req.param('postId')));
    return c.json({ unlocked: true, charged_coins: price });
  } finally {
    conn.release();
  }
});
serve({ fetch: app.fetch, port: Number(env('PORT')), hostname: '127.0.0.1' });

// References served by a bare Hono app on @hono/node-server: the wallet JSON as a constant, and the unlock
// transaction behind the same JWT check as the sidecar, so the table can separate HTTP+JWT from the rest.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { jwtVerify } from 'jose';
import { createPool, type ResultSetHeader } from 'mysql2/promise';

const env = (k: string) => process.env[k] ?? '';
const body = JSON.parse(env('BARE_BODY') || '{}') as Record<string, unknown>;
const prefix = env('BARE_TABLE_PREFIX');
const price = Number(env('BARE_PRICE_COINS') || '1');
const key = new TextEncoder().encode(env('BARE_JWT_SECRET'));
const pool = env('BARE_DATABASE_URL') ? createPool({ uri: env('BARE_DATABASE_URL'), connectionLimit: Number(env('BARE_POOL_SIZE') || '16'), timezone: 'Z' }) : null;

const app = new Hono();
app.get('/api/wallet', (c) => c.json(body));
app.get('/readyz', (c) => c.json({ ok: true }));
app.post('/api/posts/:postId/unlock', async (c) => {
  const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  if (!token || !pool) return c.json({ error: 'unauthorized' }, 401);
  const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: env('BARE_WP_HOME'), audience: 'goldcoin' });
  const userId = Number(payload.sub);
  const postId = Number(c.req.param('postId'));
  const conn = await pool.getConnection();
  try {
    await conn.query('START TRANSACTION');
    const [upd] = await conn.query<ResultSetHeader>(`UPDATE ${prefix}user_wallet SET total_coins = total_coins - ? WHERE user_id = ? AND total_coins >= ?`, [price, userId, price]);
    if (upd.affectedRows !== 1) {
      await conn.query('ROLLBACK');
      return c.json({ error: 'insufficient_coins' }, 402);
    }
    const ref = `unlock:${userId}:${postId}`;
    await conn.query(
      `INSERT INTO ${prefix}coin_ledger (user_id, delta_coins, balance_after, kind, ref_type, ref_id, idempotency_ref, actor, memo)
       SELECT ?, ?, total_coins, 'unlock', 'post', ?, ?, ?, ? FROM ${prefix}user_wallet WHERE user_id = ?`,
      [userId, -price, String(postId), ref, `user:${userId}`, 'Bench EA', userId],
    );
    await conn.query(`INSERT INTO ${prefix}entitlements (user_id, post_id, price_coins, source, ledger_ref) VALUES (?, ?, ?, 'unlock', ?)`, [userId, postId, price, ref]);
    await conn.query('COMMIT');
    return c.json({ unlocked: true, charged_coins: price });
  } catch (err) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    conn.release();
  }
});
serve({ fetch: app.fetch, port: Number(env('PORT')), hostname: '127.0.0.1' });

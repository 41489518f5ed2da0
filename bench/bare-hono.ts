// The reference for GET /api/wallet: a bare Hono app on @hono/node-server, the same HS256 check (jose), and the
// sidecar's own wallet statements by hand over a mysql2 pool (balance, last completed recharge, the ten latest ledger
// rows, the VIP membership, and the unread count: notification rows and unlock receipts, as notify/inbox.ts counts
// them), answered as the same JSON. No Kysely, no middleware, no token cache.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { jwtVerify } from 'jose';
import { createPool, type RowDataPacket } from 'mysql2/promise';
import { parseDatabaseUrl } from '../sidecar/src/db/database-url.js';

const env = (k: string) => process.env[k] ?? '';
const key = new TextEncoder().encode(env('BARE_JWT_SECRET'));
const pool = createPool({ ...parseDatabaseUrl(env('BARE_DATABASE_URL')), connectionLimit: Number(env('BARE_POOL_SIZE') || '16'), timezone: 'Z' });
const t = (name: string) => `${env('BARE_TABLE_PREFIX')}${name}`;
const RECENT = 10;

const rows = async (q: string, args: unknown[]) => (await pool.query<RowDataPacket[]>(q, args))[0];
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

const app = new Hono();
app.get('/readyz', (c) => c.json({ ok: true }));
app.get('/api/wallet', async (c) => {
  const token = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1];
  if (!token) return c.json({ error: 'unauthorized' }, 401);
  const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: env('BARE_WP_HOME'), audience: 'goldcoin' });
  const user = Number(payload.sub);
  const [wallet, last, recent, member, notes, receipts] = await Promise.all([
    rows(`SELECT total_coins FROM ${t('user_wallet')} WHERE user_id = ?`, [user]),
    rows(
      `SELECT id, coins_credited, bonus_credited, price_amount, price_currency, payment_method, completed_at FROM ${t('recharge_transactions')}
       WHERE user_id = ? AND status = 'completed' ORDER BY completed_at DESC LIMIT 1`,
      [user],
    ),
    rows(`SELECT * FROM ${t('coin_ledger')} WHERE user_id = ? ORDER BY id DESC LIMIT ?`, [user, RECENT + 1]),
    rows(`SELECT * FROM ${t('vip_memberships')} WHERE user_id = ?`, [user]),
    rows(`SELECT COUNT(*) AS n FROM ${t('notifications')} WHERE user_id = ? AND read_at IS NULL`, [user]),
    rows(
      `SELECT COUNT(*) AS n FROM ${t('coin_ledger')} AS l WHERE l.user_id = ? AND l.kind = 'unlock'
         AND NOT EXISTS (SELECT 1 FROM ${t('notifications')} AS n WHERE n.dedupe_key = l.idempotency_ref)
         AND l.id > COALESCE((SELECT read_through FROM ${t('receipt_marks')} WHERE user_id = ?), 0)
         AND NOT EXISTS (SELECT 1 FROM ${t('receipt_reads')} AS r WHERE r.user_id = ? AND r.ledger_id = l.id)`,
      [user, user, user],
    ),
  ]);
  const r = last[0];
  const m = member[0];
  return c.json({
    balance: wallet[0]?.['total_coins'] ?? 0,
    last_recharge: r
      ? { id: r['id'], coins: r['coins_credited'], bonus_coins: r['bonus_credited'], price_amount: r['price_amount'], price_currency: r['price_currency'], payment_method: r['payment_method'], completed_at: iso(r['completed_at']) }
      : null,
    recent: recent.slice(0, RECENT).map((e) => ({
      id: e['id'],
      delta_coins: e['delta_coins'],
      balance_after: e['balance_after'],
      kind: e['kind'],
      ref_type: e['ref_type'],
      ref_id: e['ref_id'],
      memo: e['memo'],
      created_at: iso(e['created_at']),
    })),
    unread_notifications: Number(notes[0]?.['n'] ?? 0) + Number(receipts[0]?.['n'] ?? 0),
    vip: m && (m['expires_at'] === null || (m['expires_at'] as Date).getTime() > Date.now()) ? { tier_key: m['tier_key'], tier: m['tier_key'], expires_at: iso(m['expires_at']) } : null,
  });
});
serve({ fetch: app.fetch, port: Number(env('PORT')), hostname: '127.0.0.1' });

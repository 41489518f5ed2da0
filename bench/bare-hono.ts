// The reference for wallet reads: a bare Hono route on @hono/node-server returning a fixed JSON body.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const body = JSON.parse(process.env['BARE_BODY'] ?? '{}') as Record<string, unknown>;
const app = new Hono();
app.get('/api/wallet', (c) => c.json(body));
app.get('/readyz', (c) => c.json({ ok: true }));
serve({ fetch: app.fetch, port: Number(process.env['PORT']), hostname: '127.0.0.1' });

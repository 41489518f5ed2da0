// The physical reference for an unlock over HTTP: a bare node:http server that checks the same HS256 token (jose,
// as the sidecar) and runs the money writes alone (bench/raw-unlock.ts minimalUnlock: a conditional UPDATE of the
// balance, the ledger row, the entitlement; 5 statements) on a mysql2 pool. No framework, no price read, no limit.
import { createServer, type IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';
import { createPool } from 'mysql2/promise';
import { parseDatabaseUrl } from '../sidecar/src/db/database-url.js';
import { minimalUnlock, onPool } from './raw-unlock.js';

const env = (k: string) => process.env[k] ?? '';
const price = Number(env('BARE_PRICE_COINS') || '1');
const key = new TextEncoder().encode(env('BARE_JWT_SECRET'));
const pool = createPool({ ...parseDatabaseUrl(env('BARE_DATABASE_URL')), connectionLimit: Number(env('BARE_POOL_SIZE') || '16'), timezone: 'Z' });
const unlock = onPool(pool, minimalUnlock({ prefix: env('BARE_TABLE_PREFIX'), wpPrefix: 'wp_' }, price));
const UNLOCK_PATH = /^\/api\/posts\/([1-9][0-9]{0,15})\/unlock$/;

/** The request body, read to its end as any server must (the load client sends the widget's JSON). */
async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

const server = createServer(async (req, res) => {
  const answer = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  };
  try {
    if (req.url === '/readyz') return answer(200, { ok: true });
    const m = req.method === 'POST' ? UNLOCK_PATH.exec(req.url ?? '') : null;
    if (!m) return answer(404, { error: 'not_found' });
    const body = await bodyOf(req);
    if (body) JSON.parse(body);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return answer(401, { error: 'unauthorized' });
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: env('BARE_WP_HOME'), audience: 'goldcoin' });
    await unlock(Number(payload.sub), Number(m[1]));
    return answer(200, { unlocked: true, charged_coins: price });
  } catch {
    return answer(500, { error: 'failed' });
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(env('PORT')), '127.0.0.1');

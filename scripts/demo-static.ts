// The demo's host page where PHP or WordPress cannot be installed: the widget with demo tokens, posts and downloads served by Node.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createDb } from '../sidecar/src/db/database.js';
import { verifyDownloadToken } from '../sidecar/src/spending/download-token.js';
import { installWordPressTables, TABLE_PREFIX, WP_PREFIX, createWpUser } from '../tests/support/db.js';
import { insertPricedPost } from '../tests/support/wp-content.js';

const TOKEN_LIFETIME_S = 12 * 60;

export interface StaticHost {
  url: string;
  userLogin: string;
  stop(): Promise<void>;
}

export interface StaticHostOptions {
  host: string;
  port: number;
  databaseUrl: string;
  sidecarUrl: string;
  secret: string;
  /** goldcoin.js and goldcoin-admin.js, from tests/support/browser.ts buildWidget. */
  widgetDir: string;
  eas: { title: string; file: string; price: number; text: string }[];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Prepares WordPress's core tables with a reader, an admin and the sample posts (before the sidecar
 * migrates the same database), then serves the page.
 */
export async function startStaticHost(o: StaticHostOptions): Promise<StaticHost> {
  const url = `http://${o.host}:${o.port}`;
  await installWordPressTables(o.databaseUrl, WP_PREFIX);
  const db = createDb({ url: o.databaseUrl, poolSize: 2, tablePrefix: TABLE_PREFIX, wpTablePrefix: WP_PREFIX });
  const adminId = await createWpUser(db, 'admin');
  const readerId = await createWpUser(db, 'reader');
  const files = new Map<number, { name: string; bytes: Buffer }>();
  const posts: { id: number; title: string; price: number; text: string }[] = [];
  for (const ea of o.eas) {
    const { postId, fileId } = await insertPricedPost(db, ea.price, { title: ea.title, authorId: adminId, filePath: `2026/01/${ea.file}` });
    files.set(fileId!, { name: ea.file, bytes: Buffer.concat([Buffer.from(`${ea.file} demo build\0`), randomBytes(2048)]) });
    posts.push({ id: postId, title: ea.title, price: ea.price, text: ea.text });
  }
  await db.destroy();

  const key = new TextEncoder().encode(o.secret);
  const mint = (userId: number, caps: string[], post?: number) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: `user${userId}@demo.test`, name: userId === adminId ? 'Site owner' : 'Rita Reader', locale: 'en_US', caps, ...(post ? { post } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(url)
      .setAudience('goldcoin')
      .setSubject(String(userId))
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_LIFETIME_S)
      .setJti(crypto.randomUUID())
      .sign(key);
  };
  const widget = async (view: string, userId: number, caps: string[], post?: number) =>
    `<goldcoin-widget view="${view}"${post ? ` post-id="${post}"` : ''} api="${escapeHtml(o.sidecarUrl)}" token="${await mint(userId, caps, post)}" refresh-url="${url}/token?user=${userId}${post ? `&post=${post}` : ''}"></goldcoin-widget>`;
  const page = (title: string, script: string, body: string) =>
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2rem auto;padding:0 1rem}article{margin:2rem 0}</style></head><body><h1>${escapeHtml(title)}</h1>${body}<script async src="/${script}"></script></body></html>`;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url ?? '/', url);
    const send = (status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...headers });
      res.end(body);
    };
    const download = u.searchParams.get('goldcoin_download');
    if (download !== null) {
      const v = await verifyDownloadToken(download, { secret: o.secret, issuer: o.sidecarUrl, now: new Date() });
      const file = v.ok ? files.get(v.grant.fileId) : undefined;
      if (!file) return send(403, 'text/plain', 'This download link is invalid or has expired.\n');
      return send(200, 'application/octet-stream', file.bytes, {
        'Content-Disposition': `attachment; filename="${file.name}"`,
        'X-Content-Type-Options': 'nosniff',
      });
    }
    // The two scripts and the chunks goldcoin.js fetches from beside itself.
    if (/^\/goldcoin[\w.-]*\.js$/.test(u.pathname)) {
      return send(200, 'text/javascript; charset=utf-8', await readFile(join(o.widgetDir, u.pathname.slice(1))));
    }
    if (u.pathname === '/token' && req.method === 'POST') {
      const userId = u.searchParams.get('user') === String(adminId) ? adminId : readerId;
      const post = Number(u.searchParams.get('post')) || undefined;
      const caps = userId === adminId ? ['read', 'edit_posts', 'manage_options'] : ['read'];
      return send(200, 'application/json', JSON.stringify({ token: await mint(userId, caps, post) }));
    }
    if (u.pathname === '/admin') {
      return send(200, 'text/html; charset=utf-8', page('Gold Coins: admin', 'goldcoin-admin.js', await widget('admin', adminId, ['read', 'edit_posts', 'manage_options'])));
    }
    if (u.pathname === '/') {
      const articles = await Promise.all(
        posts.map(async (p) => `<article><h2>${escapeHtml(p.title)}</h2><p>${escapeHtml(p.text)}</p>${await widget('unlock', readerId, ['read'], p.id)}</article>`),
      );
      const body = `<p>Logged in as <b>reader</b> (demo tokens minted by this page).</p>${articles.join('')}<h2>Wallet</h2>${await widget('wallet', readerId, ['read'])}`;
      return send(200, 'text/html; charset=utf-8', page('Gold Coins demo (static host)', 'goldcoin.js', body));
    }
    send(404, 'text/plain', 'Not found\n');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return { url, userLogin: 'reader', stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

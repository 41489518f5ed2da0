// JWT auth: every forged, malformed or expired token is a 401 and nothing is read or written.
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeSpecs } from '../../sidecar/src/http/schemas/index.js';
import { buildTestApp, mintToken, TEST_HOME, TEST_SECRET } from '../support/app.js';
import type { TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';

let tdb: TestDatabase;
let t: SeededApp;
let user: number;

beforeAll(async () => {
  t = await seededApp(import.meta.filename);
  tdb = t.tdb;
  user = (await userWithCoins(tdb.db, 40)).id;
});
afterAll(async () => tdb?.drop());

async function ledgerRows() {
  return (await tdb.db.selectFrom('coin_ledger').select('id').execute()).length;
}

const bad: Record<string, () => Promise<string | undefined>> = {
  missing: async () => undefined,
  malformed: async () => 'not.a.jwt',
  'alg none': async () =>
    new UnsecuredJWT({ caps: ['read', 'manage_options'] })
      .setIssuer(TEST_HOME)
      .setAudience('goldcoin')
      .setSubject(String(user))
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('x')
      .encode(),
  'wrong key': async () => mintToken(user, { secret: 'another-secret-that-is-long-enough-000000' }),
  'wrong aud': async () => mintToken(user, { audience: 'goldcoin-download' }),
  'wrong iss': async () => mintToken(user, { issuer: 'http://evil.test' }),
  expired: async () => mintToken(user, { iatOffsetS: -3600, expiresInS: 600 }),
  'issued in the future': async () => mintToken(user, { iatOffsetS: 3600 }),
  'lifetime over 15 minutes': async () => mintToken(user, { expiresInS: 24 * 3600 }),
  'HS512 instead of HS256': async () =>
    new SignJWT({ caps: ['read'] })
      .setProtectedHeader({ alg: 'HS512' })
      .setIssuer(TEST_HOME)
      .setAudience('goldcoin')
      .setSubject(String(user))
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('x')
      .sign(new TextEncoder().encode(TEST_SECRET)),
  'non-numeric subject': async () =>
    new SignJWT({ caps: ['read'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(TEST_HOME)
      .setAudience('goldcoin')
      .setSubject('admin')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('x')
      .sign(new TextEncoder().encode(TEST_SECRET)),
  'numeric subject (the contract says a string)': async () =>
    new SignJWT({ caps: ['read'], sub: user as unknown as string })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(TEST_HOME)
      .setAudience('goldcoin')
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('x')
      .sign(new TextEncoder().encode(TEST_SECRET)),
  'tampered payload': async () => {
    const [h, p, s] = (await mintToken(user)).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    claims.caps = ['read', 'manage_options'];
    return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  },
};

describe('JWT auth', () => {
  for (const [name, make] of Object.entries(bad)) {
    it(`refuses a ${name} token with 401 and writes nothing`, async () => {
      const before = await ledgerRows();
      const token = await make();
      const wallet = await t.call('GET', '/api/wallet', { token });
      expect(wallet.status).toBe(401);
      expect((await wallet.json()).error.code).toBe('unauthorized');
      const adj = await t.call('POST', '/api/admin/adjustments', {
        token,
        body: { user_id: user, delta_coins: 1000, reason: 'forged' },
        headers: { 'Idempotency-Key': `forged-${name.replace(/\W/g, '-')}` },
      });
      expect(adj.status).toBe(401);
      expect(await ledgerRows()).toBe(before);
    });
  }

  it('accepts a token within the 30 s clock skew', async () => {
    const res = await t.call('GET', '/api/wallet', { token: await mintToken(user, { iatOffsetS: 20 }) });
    expect(res.status).toBe(200);
  });

  it('refuses a remembered token once it expires, and never serves a tampered twin from memory', async () => {
    let now = new Date();
    const timed = buildTestApp(tdb, { clock: { now: () => now } });
    const token = await mintToken(user, { expiresInS: 120 });
    // From the mint on: building the app on a loaded machine can take the mint into the next second.
    now = new Date();
    expect((await timed.call('GET', '/api/wallet', { token })).status).toBe(200);
    expect((await timed.call('GET', '/api/wallet', { token })).status).toBe(200);
    const [h, p] = token.split('.');
    expect((await timed.call('GET', '/api/wallet', { token: `${h}.${p}.AAAA` })).status).toBe(401);
    now = new Date(now.getTime() + (120 + 31) * 1000);
    expect((await timed.call('GET', '/api/wallet', { token })).status).toBe(401);
  });

  it('answers 403 to an admin route with a non-admin token, and writes nothing', async () => {
    const before = await ledgerRows();
    const res = await t.call('POST', '/api/admin/adjustments', {
      token: await mintToken(user, { caps: ['read', 'edit_posts'] }),
      body: { user_id: user, delta_coins: 5, reason: 'not allowed' },
      headers: { 'Idempotency-Key': 'editor-attempt-1' },
    });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('forbidden');
    expect(await ledgerRows()).toBe(before);
  });
});

describe('capabilities the token carries', () => {
  const concrete = (path: string) => path.replace(/:[A-Za-z]+/g, '1');
  const visitorRoutes = routeSpecs.filter((r) => r.auth === 'user');
  const adminRoutes = routeSpecs.filter((r) => r.auth === 'admin');

  it('refuses every visitor route with 403 forbidden to a token without read, writing nothing', async () => {
    expect(visitorRoutes.length).toBeGreaterThan(10);
    const before = await ledgerRows();
    for (const caps of [[], ['edit_posts'], ['manage_options']] as const) {
      const token = await mintToken(user, { caps: [...caps] });
      for (const r of visitorRoutes) {
        const res = await t.call(r.method.toUpperCase(), concrete(r.path), { token, body: r.method === 'post' ? {} : undefined });
        expect([r.method, r.path, caps.join(','), res.status]).toEqual([r.method, r.path, caps.join(','), 403]);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error).toEqual({ code: 'forbidden', message: 'requires the read capability' });
      }
    }
    expect(await ledgerRows()).toBe(before);
  });

  it('lets read through to the visitor routes and keeps manage_options the one key to the admin routes', async () => {
    const reader = await mintToken(user, { caps: ['read'] });
    expect((await t.call('GET', '/api/wallet', { token: reader })).status).toBe(200);
    for (const r of adminRoutes) {
      const res = await t.call(r.method.toUpperCase(), concrete(r.path), { token: reader, body: r.method === 'post' ? {} : undefined });
      expect([r.path, res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([r.path, 403, 'forbidden']);
    }
    const admin = await mintToken(user, { caps: ['manage_options'] });
    expect((await t.call('GET', '/api/admin/stats', { token: admin })).status).toBe(200);
  });
});

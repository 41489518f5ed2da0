// Protected EA downloads: a short-lived HS256 token bound to user, post and file, and every way a bad one is refused.
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../sidecar/src/config.js';
import { DOWNLOAD_AUDIENCE, verifyDownloadToken } from '../../sidecar/src/spending/download-token.js';
import { buildTestApp, mintToken, TEST_HOME, TEST_SECRET, testEnv } from '../support/app.js';
import { createWpUser, type TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';
import { insertPricedPost, setPostMeta } from '../support/wp-content.js';

const PUBLIC_URL = 'http://127.0.0.1:8787';
let tdb: TestDatabase;
let t: SeededApp;
beforeAll(async () => {
  t = await seededApp(import.meta.filename, { env: { RATE_LIMIT_UNLOCK: '0' } });
  tdb = t.tdb;
});
afterAll(async () => tdb?.drop());

async function unlockedUser(price = 10, filePath: string | null = '2026/11/GoldScalper-v3.ex4') {
  const { id, token } = await userWithCoins(tdb.db, 100);
  const post = await insertPricedPost(tdb.db, price, filePath === null ? {} : { filePath });
  expect((await t.call('POST', `/api/posts/${post.postId}/unlock`, { token })).status).toBe(200);
  return { id, token, ...post };
}

async function download(token: string, postId: number) {
  return t.call('POST', `/api/posts/${postId}/download`, { token });
}

function tokenOf(url: string): string {
  const u = new URL(url);
  expect(`${u.origin}${u.pathname}`).toBe(`${TEST_HOME}/`);
  return u.searchParams.get('goldcoin_download')!;
}

const key = new TextEncoder().encode(TEST_SECRET);
function claims(over: Record<string, unknown> = {}) {
  const now = Math.floor(Date.now() / 1000);
  return { iss: PUBLIC_URL, aud: DOWNLOAD_AUDIENCE, sub: '7', post: 11, file: 12, iat: now, exp: now + 300, jti: crypto.randomUUID(), ...over };
}
const sign = (c: Record<string, unknown>, secret = key) => new SignJWT(c).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
const verify = (token: string, extra: { userId?: number; postId?: number; now?: Date } = {}) =>
  verifyDownloadToken(token, { secret: TEST_SECRET, issuer: PUBLIC_URL, now: extra.now ?? new Date(), ...extra });

describe('POST /api/posts/:postId/download', () => {
  it('issues a signed URL bound to the user, post and file, valid for 5 minutes, and logs it', async () => {
    const u = await unlockedUser();
    const r = await download(u.token, u.postId);
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(Object.keys(body).sort()).toEqual(['expires_at', 'file_name', 'url']);
    expect(body.file_name).toBe('GoldScalper-v3.ex4');
    const token = tokenOf(body.url);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256' });
    const c = decodeJwt(token);
    expect(c).toMatchObject({ iss: PUBLIC_URL, aud: 'goldcoin-download', sub: String(u.id), post: u.postId, file: u.fileId });
    expect(c.exp! - c.iat!).toBe(300);
    expect(new Date(body.expires_at).getTime()).toBe(c.exp! * 1000);
    expect(c.jti).toMatch(/^[0-9a-f-]{36}$/);

    const v = await verify(token, { userId: u.id, postId: u.postId });
    expect(v).toMatchObject({ ok: true, grant: { userId: u.id, postId: u.postId, fileId: u.fileId, jti: c.jti } });
    const logged = await tdb.db.selectFrom('downloads').selectAll().where('user_id', '=', u.id).execute();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ jti: c.jti, post_id: u.postId, file_id: u.fileId });
    await download(u.token, u.postId);
    expect(await tdb.db.selectFrom('downloads').select('id').where('user_id', '=', u.id).execute()).toHaveLength(2);
  });

  it('refuses users without the entitlement with 403 not_unlocked', async () => {
    const owner = await unlockedUser();
    const other = await mintToken(await createWpUser(tdb.db));
    const r = await download(other, owner.postId);
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe('not_unlocked');
  });

  it('answers 404 no_file when the post has no file, or names something that is not an attachment', async () => {
    const u = await unlockedUser(10, null);
    const r = await download(u.token, u.postId);
    expect(r.status).toBe(404);
    expect((await r.json()).error.code).toBe('no_file');
    await setPostMeta(tdb.db, u.postId, '_goldcoin_file', String(u.postId));
    expect((await download(u.token, u.postId)).status).toBe(404);
  });

  it('takes the token lifetime from DOWNLOAD_TOKEN_TTL_MIN, in minutes, never hours', async () => {
    const short = buildTestApp(tdb, { env: { DOWNLOAD_TOKEN_TTL_MIN: '2' } });
    const u = await unlockedUser();
    const body = await (await short.call('POST', `/api/posts/${u.postId}/download`, { token: u.token })).json();
    const c = decodeJwt(tokenOf(body.url));
    expect(c.exp! - c.iat!).toBe(120);
    expect(() => parseConfig(testEnv(tdb.url, { DOWNLOAD_TOKEN_TTL_MIN: '60' }))).toThrow(/DOWNLOAD_TOKEN_TTL_MIN/);
  });

  it('is not accepted as an API bearer token', async () => {
    const u = await unlockedUser();
    const body = await (await download(u.token, u.postId)).json();
    expect((await t.call('GET', '/api/wallet', { token: tokenOf(body.url) })).status).toBe(401);
  });
});

describe('verifyDownloadToken', () => {
  it('accepts a well-formed token', async () => {
    expect(await verify(await sign(claims()), { userId: 7, postId: 11 })).toMatchObject({ ok: true, grant: { userId: 7, postId: 11, fileId: 12 } });
  });

  it('refuses a token signed with another key', async () => {
    expect(await verify(await sign(claims(), new TextEncoder().encode('another-secret-0123456789-abcdefghijkl')))).toEqual({
      ok: false,
      code: 'invalid_token',
    });
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [h, , s] = (await sign(claims())).split('.');
    const forged = Buffer.from(JSON.stringify(claims({ sub: '8' }))).toString('base64url');
    expect(await verify(`${h}.${forged}.${s}`)).toEqual({ ok: false, code: 'invalid_token' });
  });

  it('refuses an unsigned (alg none) token', async () => {
    const c = claims();
    const unsigned = new UnsecuredJWT({ post: c.post, file: c.file, jti: c.jti })
      .setIssuer(PUBLIC_URL)
      .setAudience(DOWNLOAD_AUDIENCE)
      .setSubject('7')
      .setIssuedAt()
      .setExpirationTime('5m')
      .encode();
    expect(await verify(unsigned)).toEqual({ ok: false, code: 'invalid_token' });
  });

  it('refuses an expired token, allowing 30 s of clock skew', async () => {
    const token = await sign(claims());
    const exp = decodeJwt(token).exp! * 1000;
    expect((await verify(token, { now: new Date(exp + 20_000) })).ok).toBe(true);
    expect(await verify(token, { now: new Date(exp + 31_000) })).toEqual({ ok: false, code: 'expired' });
  });

  it('refuses the wrong audience (the widget token), the wrong issuer, and a lifetime over 15 minutes', async () => {
    expect(await verify(await sign(claims({ aud: 'goldcoin' })))).toEqual({ ok: false, code: 'invalid_token' });
    expect(await verify(await sign(claims({ iss: TEST_HOME })))).toEqual({ ok: false, code: 'invalid_token' });
    const now = Math.floor(Date.now() / 1000);
    expect(await verify(await sign(claims({ iat: now, exp: now + 3600 })))).toEqual({ ok: false, code: 'invalid_token' });
  });

  it("refuses another user's token and a token for another post", async () => {
    const token = await sign(claims());
    expect(await verify(token, { userId: 8 })).toEqual({ ok: false, code: 'wrong_user' });
    expect(await verify(token, { userId: 7, postId: 99 })).toEqual({ ok: false, code: 'wrong_post' });
  });

  it('refuses tokens without post, file or jti claims, or with non-integer ones', async () => {
    for (const bad of [{ post: undefined }, { file: undefined }, { jti: undefined }, { post: '11' }, { file: 1.5 }, { sub: 'admin' }]) {
      expect(await verify(await sign(claims(bad)))).toEqual({ ok: false, code: 'invalid_token' });
    }
  });
});

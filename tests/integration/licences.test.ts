// EA licences against real MariaDB: activation limits under concurrency, demo accounts, expiry, revocation,
// release and re-activation, and the signed answer checked by the reference client (the MQL include's twin).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../sidecar/src/clock.js';
import { canonicalAnswer, signAnswer, SIGNATURE_VERSION, SIGNED_FIELD_ORDER, type SignedFields } from '../../sidecar/src/licences/signature.js';
import { generateLicenceKey, KEY_PATTERN } from '../../sidecar/src/licences/licences.js';
import { mintToken } from '../support/app.js';
import type { TestDatabase } from '../support/db.js';
import {
  GcBuildBody,
  GcCanonical,
  GcCheckAnswer,
  GcHmacSha256Hex,
  GcLicence,
  GcNonce,
  GcNormalizeKey,
  type GcRequest,
  type GcTransport,
} from '../support/licence-client.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';
import { insertPricedPost, setPostMeta } from '../support/wp-content.js';

const DAY_MS = 86_400_000;
let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

let tdb: TestDatabase;
let t: SeededApp;
beforeAll(async () => {
  t = await seededApp(import.meta.filename, {
    poolSize: 40,
    clock,
    env: { RATE_LIMIT_UNLOCK: '0', RATE_LIMIT_LICENCE_KEY: '1000', RATE_LIMIT_LICENCE_ADDRESS: '0', LICENCE_RELEASES_PER_MONTH: '2' },
  });
  tdb = t.tdb;
});
afterAll(async () => tdb?.drop());
beforeEach(() => {
  offsetMs = 0;
});

const tokenOf = (id: number, caps: ('read' | 'edit_posts' | 'manage_options')[] = ['read']) => mintToken(id, { iatOffsetS: Math.floor(offsetMs / 1000), caps });

let productSeq = 0;
/** An EA post sold for 10 coins with the meta box's licence settings. */
async function eaPost(opts: { max?: number; demoFree?: boolean; days?: number; accessDays?: number } = {}) {
  const { postId } = await insertPricedPost(tdb.db, 10, { title: 'Gold Scalper' });
  const productId = `gold-scalper-${++productSeq}`;
  await setPostMeta(tdb.db, postId, '_goldcoin_ea_product', productId);
  if (opts.max !== undefined) await setPostMeta(tdb.db, postId, '_goldcoin_ea_max_activations', opts.max);
  if (opts.demoFree) await setPostMeta(tdb.db, postId, '_goldcoin_ea_demo_free', '1');
  if (opts.days !== undefined) await setPostMeta(tdb.db, postId, '_goldcoin_ea_licence_days', opts.days);
  if (opts.accessDays !== undefined) await setPostMeta(tdb.db, postId, '_goldcoin_access_days', opts.accessDays);
  return { postId, productId };
}

/** A buyer who unlocked the post, and the licence the unlock's follow-up hands them. */
async function buyer(postId: number) {
  const u = await userWithCoins(tdb.db, 100);
  // The post's answer says a licence comes with it: the widget asks for the key only then.
  expect((await (await t.call('GET', `/api/posts/${postId}`, { token: u.token })).json()).licence).toBe(true);
  expect((await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token })).status).toBe(200);
  const res = await t.call('GET', `/api/posts/${postId}/license`, { token: await tokenOf(u.id) });
  expect(res.status).toBe(200);
  const { licence } = await res.json();
  return { ...u, licence: licence as { id: number; key: string } };
}

const verify = async (body: Record<string, string>, headers: Record<string, string> = {}) => t.call('POST', '/api/licenses/verify', { body, headers });
function check(key: string, productId: string, account: string, accountType: 'demo' | 'real' = 'real', nonce = GcNonce()) {
  return verify({ key, account, account_type: accountType, server: 'Broker-Live01', product_id: productId, ea_version: '1.0.0', nonce });
}
const reasonOf = async (res: Response) => ((await res.json()) as { reason: string }).reason;

describe('activation', () => {
  it('activates exactly the allowed 3 of 20 concurrent first checks from 20 accounts', async () => {
    const { postId, productId } = await eaPost();
    const b = await buyer(postId);
    const res = await Promise.all(Array.from({ length: 20 }, (_, i) => check(b.licence.key, productId, String(5_000_000 + i))));
    expect(res.every((r) => r.status === 200)).toBe(true);
    const reasons = await Promise.all(res.map(reasonOf));
    expect(reasons.filter((r) => r === 'activated')).toHaveLength(3);
    expect(reasons.filter((r) => r === 'activation_limit')).toHaveLength(17);
    const rows = await tdb.db.selectFrom('licence_activations').selectAll().where('licence_id', '=', b.licence.id).execute();
    expect(rows).toHaveLength(3);
    // An activated account checks again without using another activation.
    const again = await check(b.licence.key, productId, rows[0]!.account);
    expect(await again.json()).toMatchObject({ status: 'valid', reason: 'ok' });
    const events = await tdb.db.selectFrom('licence_events').select('action').where('licence_id', '=', b.licence.id).execute();
    expect(events.map((e) => e.action).sort()).toEqual(['activate', 'activate', 'activate', 'issue']);
  });

  it('does not count demo accounts when demos are free, and counts them when not', async () => {
    const free = await eaPost({ max: 1, demoFree: true });
    const a = await buyer(free.postId);
    const demos = await Promise.all(Array.from({ length: 5 }, (_, i) => check(a.licence.key, free.productId, String(7_000 + i), 'demo')));
    expect(await Promise.all(demos.map(reasonOf))).toEqual(Array(5).fill('activated'));
    expect(await reasonOf(await check(a.licence.key, free.productId, '8000', 'real'))).toBe('activated');
    expect(await reasonOf(await check(a.licence.key, free.productId, '8001', 'real'))).toBe('activation_limit');
    // A free demo account turned real asks for an activation like any new real one.
    expect(await reasonOf(await check(a.licence.key, free.productId, '7000', 'real'))).toBe('activation_limit');
    const list = await (await t.call('GET', '/api/licenses', { token: await tokenOf(a.id) })).json();
    const mine = list.licences.find((l: { id: number }) => l.id === a.licence.id);
    expect(mine).toMatchObject({ max_activations: 1, demo_free: true, used_activations: 1 });
    expect(mine.activations).toHaveLength(6);

    const counted = await eaPost({ max: 1 });
    const c = await buyer(counted.postId);
    expect(await reasonOf(await check(c.licence.key, counted.productId, '9000', 'demo'))).toBe('activated');
    expect(await reasonOf(await check(c.licence.key, counted.productId, '9001', 'demo'))).toBe('activation_limit');
  });

  it('refuses another product id with the right key', async () => {
    const { postId } = await eaPost();
    const b = await buyer(postId);
    const res = await check(b.licence.key, 'another-ea', '1');
    expect(await res.json()).toMatchObject({ status: 'invalid', reason: 'wrong_product', expires_at: '', latest_version: '' });
  });
});

describe('expiry and revocation', () => {
  it('answers expired after the licence days, counted from the purchase', async () => {
    const { postId, productId } = await eaPost({ days: 30 });
    const b = await buyer(postId);
    const first = await (await check(b.licence.key, productId, '42')).json();
    expect(first).toMatchObject({ status: 'valid', reason: 'activated' });
    const expires = new Date(first.expires_at).getTime();
    expect(Math.abs(expires - (Date.now() + 30 * DAY_MS))).toBeLessThan(60_000);
    offsetMs = 31 * DAY_MS;
    expect(await (await check(b.licence.key, productId, '42')).json()).toMatchObject({ status: 'invalid', reason: 'expired', expires_at: first.expires_at });
    const list = await (await t.call('GET', '/api/licenses', { token: await tokenOf(b.id) })).json();
    expect(list.licences.find((l: { id: number }) => l.id === b.licence.id).status).toBe('expired');
  });

  it("ends with a time-limited entitlement when the post sets no licence days", async () => {
    const { postId, productId } = await eaPost({ accessDays: 7 });
    const b = await buyer(postId);
    expect(await reasonOf(await check(b.licence.key, productId, '43'))).toBe('activated');
    offsetMs = 8 * DAY_MS;
    expect(await reasonOf(await check(b.licence.key, productId, '43'))).toBe('expired');
  });

  it('answers revoked after an admin revokes, valid again when reinstated, and extends with the audit trail', async () => {
    const { postId, productId } = await eaPost({ days: 10 });
    const b = await buyer(postId);
    const admin = await tokenOf(1, ['read', 'manage_options']);
    expect(await reasonOf(await check(b.licence.key, productId, '44'))).toBe('activated');
    const revoked = await t.call('POST', `/api/admin/licenses/${b.licence.id}/revoke`, { token: admin, body: { reason: 'chargeback' } });
    expect(revoked.status).toBe(200);
    expect((await revoked.json()).licence.status).toBe('revoked');
    expect(await (await check(b.licence.key, productId, '44')).json()).toMatchObject({ status: 'invalid', reason: 'revoked' });
    await t.call('POST', `/api/admin/licenses/${b.licence.id}/reinstate`, { token: admin, body: { reason: 'resolved' } });
    expect(await reasonOf(await check(b.licence.key, productId, '44'))).toBe('ok');

    const until = new Date(Date.now() + 400 * DAY_MS).toISOString();
    const extended = await t.call('POST', `/api/admin/licenses/${b.licence.id}/extend`, { token: admin, body: { expires_at: until, reason: 'goodwill' } });
    const detail = await extended.json();
    expect(detail.licence.expires_at).toBe(until);
    expect(detail.events.map((e: { action: string; actor: string }) => `${e.action}:${e.actor}`)).toEqual([
      'extend:admin:1',
      'reinstate:admin:1',
      'revoke:admin:1',
      'activate:ea',
      'issue:system',
    ]);
    offsetMs = 100 * DAY_MS;
    expect(await reasonOf(await check(b.licence.key, productId, '44'))).toBe('ok');
    const past = await t.call('POST', `/api/admin/licenses/${b.licence.id}/extend`, { token: await tokenOf(1, ['read', 'manage_options']), body: { expires_at: new Date().toISOString(), reason: 'x' } });
    expect(past.status).toBe(400);
    const page = await (await t.call('GET', `/api/admin/licenses?post_id=${postId}`, { token: await tokenOf(1, ['read', 'manage_options']) })).json();
    expect(page.licences).toEqual([expect.objectContaining({ id: b.licence.id, key_tail: b.licence.key.slice(-4), status: 'active', active_accounts: 1 })]);
    expect((await t.call('GET', '/api/admin/licenses', { token: await tokenOf(b.id) })).status).toBe(403);
  });
});

describe('release', () => {
  it('frees an activation for another account, at most the monthly number of times, saying when it frees up', async () => {
    const { postId, productId } = await eaPost({ max: 1 });
    const b = await buyer(postId);
    const release = async (activationId: number) =>
      t.call('POST', `/api/licenses/${b.licence.id}/activations/${activationId}/release`, { token: await tokenOf(b.id) });
    const activeId = async () => (await tdb.db.selectFrom('licence_activations').select('id').where('licence_id', '=', b.licence.id).where('released_at', 'is', null).executeTakeFirstOrThrow()).id;

    expect(await reasonOf(await check(b.licence.key, productId, '100'))).toBe('activated');
    expect(await reasonOf(await check(b.licence.key, productId, '200'))).toBe('activation_limit');
    const first = await release(await activeId());
    expect(first.status).toBe(200);
    expect((await first.json()).licence).toMatchObject({ used_activations: 0, activations: [], releases_left: 1 });
    expect(await reasonOf(await check(b.licence.key, productId, '200'))).toBe('activated');
    // The released account now finds the activation taken.
    expect(await reasonOf(await check(b.licence.key, productId, '100'))).toBe('activation_limit');
    offsetMs = 1 * DAY_MS;
    expect((await release(await activeId())).status).toBe(200);
    expect(await reasonOf(await check(b.licence.key, productId, '100'))).toBe('activated');
    const refused = await release(await activeId());
    expect(refused.status).toBe(429);
    const err = (await refused.json()).error;
    expect(err.code).toBe('release_limit_reached');
    // The first release leaves the 30-day window first.
    expect(Math.abs(new Date(err.details.frees_at).getTime() - (Date.now() + 30 * DAY_MS))).toBeLessThan(60_000);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(28 * 86_400);
    offsetMs = 31 * DAY_MS;
    expect((await release(await activeId())).status).toBe(200);
    // Someone else's licence is not found.
    const other = await userWithCoins(tdb.db, 0);
    expect((await t.call('POST', `/api/licenses/${b.licence.id}/activations/1/release`, { token: await tokenOf(other.id) })).status).toBe(404);
  });
});

describe('the licence itself', () => {
  it('is created once per entitlement under concurrent first asks, with a 160-bit key', async () => {
    const { postId } = await eaPost();
    const u = await userWithCoins(tdb.db, 100);
    await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token });
    const token = await tokenOf(u.id);
    const res = await Promise.all(Array.from({ length: 10 }, (_, i) => t.call('GET', i % 2 ? '/api/licenses' : `/api/posts/${postId}/license`, { token })));
    const keys = new Set<string>();
    for (const r of res) {
      const body = await r.json();
      keys.add(body.licence?.key ?? body.licences[0].key);
    }
    expect(keys.size).toBe(1);
    const [key] = [...keys];
    expect(key).toMatch(KEY_PATTERN);
    const rows = await tdb.db.selectFrom('licences').selectAll().where('user_id', '=', u.id).execute();
    expect(rows).toHaveLength(1);
    const issued = await tdb.db.selectFrom('licence_events').selectAll().where('licence_id', '=', rows[0]!.id).where('action', '=', 'issue').execute();
    expect(issued).toHaveLength(1);
    expect(new Set(Array.from({ length: 50 }, generateLicenceKey)).size).toBe(50);
  });

  it('is refused before an unlock and for a post that sells no licence', async () => {
    const { postId } = await eaPost();
    const u = await userWithCoins(tdb.db, 100);
    expect((await t.call('GET', `/api/posts/${postId}/license`, { token: u.token })).status).toBe(403);
    const plain = await insertPricedPost(tdb.db, 5);
    await t.call('POST', `/api/posts/${plain.postId}/unlock`, { token: u.token });
    expect((await t.call('GET', `/api/posts/${plain.postId}/license`, { token: u.token })).status).toBe(404);
    expect((await (await t.call('GET', '/api/licenses', { token: u.token })).json()).licences).toEqual([]);
  });
});

describe('the signed answer', () => {
  const golden: SignedFields = {
    nonce: '0123456789abcdef0123456789abcdef',
    product_id: 'goldscalper',
    account: '12345678',
    status: 'valid',
    reason: 'activated',
    expires_at: '2027-01-01T00:00:00Z',
    latest_version: '3.1.0',
    server_time: '2026-12-02T06:00:00Z',
  };
  const goldenKey = 'GCTESTKEY234567ABCDEFGHIJKLMNOPQ';
  const goldenSignature = '3a4a8a55280b2064fd36fe742c6cccca9dd53a93272dbb6bb495f073f27d7a89';

  it('matches the golden vector in the sidecar and in the reference client (docs/licences.md)', () => {
    expect(signAnswer(goldenKey, golden)).toBe(goldenSignature);
    const json = JSON.stringify({ ...golden, signature: goldenSignature });
    expect(GcCanonical(json)).toBe(canonicalAnswer(golden));
    expect(GcHmacSha256Hex(goldenKey, GcCanonical(json))).toBe(goldenSignature);
    const req: GcRequest = { key: goldenKey, account: '12345678', accountType: 'real', server: 'S', productId: 'goldscalper', eaVersion: '3.0', nonce: golden.nonce };
    expect(GcCheckAnswer(goldenKey, req, json)).toBe('valid');
  });

  it('is verified by the reference client, and a tampered or replayed one is refused', async () => {
    const { postId, productId } = await eaPost();
    const b = await buyer(postId);
    const req: GcRequest = { key: GcNormalizeKey(b.licence.key.toLowerCase().replace(/(.{8})/g, '$1-')), account: '31337', accountType: 'real', server: 'ICMarkets-Live07', productId, eaVersion: '1.2.0', nonce: GcNonce() };
    expect(req.key).toBe(b.licence.key);
    const res = await t.call('POST', '/api/licenses/verify', { body: GcBuildBody(req), headers: { 'Content-Type': 'application/json' } });
    const text = await res.text();
    expect(GcCheckAnswer(req.key, req, text)).toBe('valid');
    expect(GcCheckAnswer(req.key, req, text.replace('"status":"valid"', '"status":"invalid"'))).toBe('tampered');
    expect(GcCheckAnswer(req.key, req, text.replace(/"expires_at":"[^"]*"/, '"expires_at":"2099-01-01T00:00:00Z"'))).toBe('tampered');
    // The same answer replayed to a later check (another nonce) fails.
    expect(GcCheckAnswer(req.key, { ...req, nonce: GcNonce() }, text)).toBe('tampered');
    // Signed with another key (a hand-made answer) fails.
    const forged = JSON.parse(text);
    forged.signature = signAnswer(generateLicenceKey(), forged);
    expect(GcCheckAnswer(req.key, req, JSON.stringify(forged))).toBe('tampered');
  });

  it('gives an unknown key the same status, shape and signature scheme as any refusal, rate-limited the same', async () => {
    const { postId, productId } = await eaPost();
    const b = await buyer(postId);
    const unknown = generateLicenceKey();
    const a = await check(unknown, productId, '1');
    const bad = await check('not-a-key', productId, '1');
    const other = await check(b.licence.key, 'wrong-product', '1');
    expect([a.status, bad.status, other.status]).toEqual([200, 200, 200]);
    const [ja, jb, jo] = [await a.json(), await bad.json(), await other.json()];
    expect(Object.keys(ja).sort()).toEqual(Object.keys(jo).sort());
    expect(ja).toMatchObject({ status: 'invalid', reason: 'invalid_key', expires_at: '', latest_version: '' });
    expect(jb).toMatchObject({ status: 'invalid', reason: 'invalid_key' });
    const { signature, ...fields } = ja;
    expect(signature).toBe(signAnswer(unknown, fields));
  });

  it('lets the EA run in the Strategy Tester and through an outage within the grace period', async () => {
    const { postId, productId } = await eaPost();
    const b = await buyer(postId);
    let online = true;
    const transport: GcTransport = async (_url, body) => {
      if (!online) return { status: -1, body: '' };
      const res = await t.call('POST', '/api/licenses/verify', { body, headers: { 'Content-Type': 'application/json' } });
      return { status: res.status, body: await res.text() };
    };
    const settings = { url: 'http://sidecar/api/licenses/verify', key: b.licence.key, productId, eaVersion: '1.0.0', account: '555', accountType: 'real' as const, server: 'Demo-Server', checkHours: 4, graceHours: 24, inTester: false };
    const ea = new GcLicence(settings, transport);
    const t0 = Date.now();
    expect(await ea.Check(t0)).toBe(true);
    expect(ea.StatusText()).toBe('Gold Coins licence: valid (activated)');
    online = false;
    expect(await ea.Check(t0 + 5 * 3_600_000)).toBe(true);
    expect(ea.status).toBe('offline (grace)');
    expect(await ea.Check(t0 + 25 * 3_600_000)).toBe(false);
    online = true;
    expect(await ea.Check(t0 + 30 * 3_600_000)).toBe(true);
    const tester = new GcLicence({ ...settings, key: 'anything', inTester: true }, async () => {
      throw new Error('WebRequest does not run in the tester');
    });
    expect(await tester.Check(t0)).toBe(true);
  });
});

describe('rate limits', () => {
  it('count per key whether or not it exists, and per address', async () => {
    const limited = await seededApp(`${import.meta.filename}-limits`, {
      env: { RATE_LIMIT_LICENCE_KEY: '2', RATE_LIMIT_LICENCE_ADDRESS: '5', TRUST_PROXY: 'true' },
    });
    try {
      const call = (key: string, ip: string) =>
        limited.call('POST', '/api/licenses/verify', {
          body: { key, account: '1', account_type: 'real', server: 'S', product_id: 'p', nonce: GcNonce() },
          headers: { 'X-Forwarded-For': ip },
        });
      const k = generateLicenceKey();
      expect([(await call(k, '10.0.0.1')).status, (await call(k, '10.0.0.2')).status, (await call(k, '10.0.0.3')).status]).toEqual([200, 200, 429]);
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await call(generateLicenceKey(), '10.0.0.9')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      const refused = await call(generateLicenceKey(), '10.0.0.9');
      expect((await refused.json()).error.code).toBe('rate_limited');
    } finally {
      await limited.tdb.drop();
    }
  });
});

describe('versions', () => {
  it('records a version once, notifies every entitled reader, and answers it as the latest in verify', async () => {
    const { postId, productId } = await eaPost();
    const [a, b] = [await buyer(postId), await buyer(postId)];
    const outsider = await userWithCoins(tdb.db, 0);
    const author = await tokenOf(1, ['read', 'edit_posts']);
    const publish = (version: string, token = author) =>
      t.call('POST', `/api/posts/${postId}/versions`, { token, body: { version, notes: 'Faster entries on news.', file_id: 77 } });
    const first = await publish('3.1.0');
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ versions: [{ version: '3.1.0', notes: 'Faster entries on news.' }], notified: 2 });
    expect((await publish('3.1.0')).status).toBe(409);
    expect((await publish('3.2.0', await tokenOf(outsider.id, ['read', 'edit_posts']))).status).toBe(403);
    const notes = await tdb.db.selectFrom('notifications').select(['user_id', 'kind']).where('kind', '=', 'ea_version').execute();
    expect(notes.map((n) => Number(n.user_id)).sort()).toEqual([a.id, b.id].sort());
    const inbox = await (await t.call('GET', '/api/notifications', { token: await tokenOf(a.id) })).json();
    expect(JSON.stringify(inbox)).toContain('3.1.0');
    expect(await (await check(a.licence.key, productId, '1')).json()).toMatchObject({ status: 'valid', latest_version: '3.1.0' });
    const history = await t.call('GET', `/api/posts/${postId}/versions`, { token: await tokenOf(b.id) });
    expect((await history.json()).versions.map((v: { version: string }) => v.version)).toEqual(['3.1.0']);
    expect((await t.call('GET', `/api/posts/${postId}/versions`, { token: await tokenOf(outsider.id) })).status).toBe(403);
  });
});

describe('the MQL include', () => {
  it('signs over the same fields in the same order, with the same steps as the reference client', async () => {
    const { readFile } = await import('node:fs/promises');
    const mqh = await readFile(new URL('../../wp-plugin-shim/mql/GoldCoinsLicense.mqh', import.meta.url), 'utf8');
    const fields = /string fields\[8\] = \{([^}]*)\}/.exec(mqh)![1]!.split(',').map((f) => f.trim().replaceAll('"', ''));
    expect(fields).toEqual([...SIGNED_FIELD_ORDER]);
    expect(mqh).toContain(`#define GC_SIGNATURE_VERSION "${SIGNATURE_VERSION}"`);
    for (const fn of ['GcNormalizeKey', 'GcNonce', 'GcJsonEscape', 'GcBuildBody', 'GcJsonField', 'GcHmacSha256Hex', 'GcCanonical', 'GcCheckAnswer']) {
      expect(mqh, fn).toMatch(new RegExp(`^string ${fn}\\(`, 'm'));
    }
    // The body's fields in the order the reference client sends them.
    const body = JSON.parse(GcBuildBody({ key: 'K', account: '1', accountType: 'demo', server: 'S', productId: 'p', eaVersion: 'v', nonce: 'n' }));
    const mqlOrder = [...mqh.matchAll(/\\"(\w+)\\":\\"" \+/g)].map((m) => m[1]);
    expect(mqlOrder).toEqual(Object.keys(body));
  });
});

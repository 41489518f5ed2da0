// JWT forgeries beyond tests/integration/auth.test.ts: algorithm confusion, header tricks, odd claims and
// random corruption of a valid token. Every one is a 401 and nothing is read or written.
import { generateKeyPairSync, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken, TEST_HOME, TEST_SECRET } from '../support/app.js';
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

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const nowS = () => Math.floor(Date.now() / 1000);

function claims(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: TEST_HOME,
    aud: 'goldcoin',
    sub: String(user),
    iat: nowS(),
    exp: nowS() + 300,
    jti: crypto.randomUUID(),
    caps: ['read', 'manage_options'],
    ...over,
  };
}

/** Hand-assembled token: any header, any claims, HMAC-SHA256 with the given key (the shared secret by default). */
function handSigned(header: Record<string, unknown>, payload: Record<string, unknown>, key: string | Buffer = TEST_SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPublicPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const forged: Record<string, () => Promise<string>> = {
  'RS256 header over an HMAC made with the shared secret (HS/RS confusion)': async () => handSigned({ alg: 'RS256', typ: 'JWT' }, claims()),
  'HS256 keyed with an RSA public key (the classic confusion payload)': async () => handSigned({ alg: 'HS256', typ: 'JWT' }, claims(), rsaPublicPem),
  'genuine RS256 from an attacker key pair': async () =>
    new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256' })
      .sign(await importPKCS8(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'RS256')),
  'alg "None" in mixed case with an empty signature': async () => `${b64({ alg: 'None', typ: 'JWT' })}.${b64(claims())}.`,
  'alg "none" with the valid token\'s signature kept': async () => {
    const sig = (await mintToken(user)).split('.')[2];
    return `${b64({ alg: 'none' })}.${b64(claims())}.${sig}`;
  },
  'a critical header parameter nobody understands': async () => handSigned({ alg: 'HS256', crit: ['x-goldcoin'], 'x-goldcoin': 1 }, claims()),
  'a jwk embedded in the header': async () => handSigned({ alg: 'HS256', jwk: { kty: 'oct', k: b64('attacker-key-attacker-key-attacker-key') } }, claims(), 'attacker-key-attacker-key-attacker-key'),
  'far-future iat (year 2500)': async () => handSigned({ alg: 'HS256' }, claims({ iat: 16_725_225_600, exp: 16_725_225_600 + 300 })),
  'negative iat and a lifetime of centuries': async () => handSigned({ alg: 'HS256' }, claims({ iat: -1, exp: nowS() + 300 })),
  'iat and exp as strings': async () => handSigned({ alg: 'HS256' }, claims({ iat: String(nowS()), exp: String(nowS() + 300) })),
  'no exp at all': async () => handSigned({ alg: 'HS256' }, claims({ exp: undefined })),
  'no jti': async () => handSigned({ alg: 'HS256' }, claims({ jti: undefined })),
  'nbf in the future': async () => handSigned({ alg: 'HS256' }, claims({ nbf: nowS() + 3_600 })),
  'aud as a list without goldcoin': async () => handSigned({ alg: 'HS256' }, claims({ aud: ['wordpress', 'goldcoin-download'] })),
  'iss with a trailing slash': async () => handSigned({ alg: 'HS256' }, claims({ iss: `${TEST_HOME}/` })),
  'sub "0"': async () => handSigned({ alg: 'HS256' }, claims({ sub: '0' })),
  'sub beyond the safe integer range': async () => handSigned({ alg: 'HS256' }, claims({ sub: '90071992547409930' })),
  'sub with SQL in it': async () => handSigned({ alg: 'HS256' }, claims({ sub: `${user} OR 1=1` })),
  'caps as a string': async () => handSigned({ alg: 'HS256' }, claims({ caps: 'manage_options' })),
  'caps with a non-string element': async () => handSigned({ alg: 'HS256' }, claims({ caps: ['read', { manage_options: true }] })),
  'a JWE-shaped token (five parts)': async () => `${b64({ alg: 'dir', enc: 'A256GCM' })}..${b64('iv')}.${b64('ct')}.${b64('tag')}`,
  'two tokens glued together': async () => `${await mintToken(user)}.${await mintToken(user)}`,
  'a token over 4 KB': async () => handSigned({ alg: 'HS256' }, claims({ pad: 'x'.repeat(5_000) })),
};

async function snapshot() {
  const ledger = await tdb.db.selectFrom('coin_ledger').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const wallet = await tdb.db.selectFrom('user_wallet').select('total_coins').where('user_id', '=', user).executeTakeFirstOrThrow();
  return { ledger: Number(ledger.n), balance: wallet.total_coins };
}

describe('JWT forgeries', () => {
  for (const [name, make] of Object.entries(forged)) {
    it(`refuses ${name} with 401 unauthorized on a read and an admin write`, async () => {
      const before = await snapshot();
      const token = await make();
      const read = await t.call('GET', '/api/wallet', { headers: { Authorization: `Bearer ${token}` } });
      expect(read.status).toBe(401);
      expect((await read.json()).error.code).toBe('unauthorized');
      const write = await t.call('POST', '/api/admin/adjustments', {
        headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': `forged-${crypto.randomUUID()}` },
        body: { user_id: user, delta_coins: 1_000_000, reason: 'forged token' },
      });
      expect(write.status).toBe(401);
      expect(await snapshot()).toEqual(before);
    });
  }

  it('refuses malformed Authorization headers around a valid token', async () => {
    const token = await mintToken(user);
    const headers = [`bearer ${token}`, `Bearer  ${token}`, `Basic ${token}`, token, `Bearer ${token},${token}`, `Bearer "${token}"`];
    for (const h of headers) {
      const res = await t.call('GET', '/api/wallet', { headers: { Authorization: h } });
      expect(res.status, h.slice(0, 20)).toBe(401);
    }
    const viaQuery = await t.call('GET', `/api/wallet?access_token=${token}`);
    expect(viaQuery.status).toBe(401);
  });

  it('refuses every single-character corruption of a valid admin token (property)', async () => {
    const token = await mintToken(user, { caps: ['read', 'manage_options'] });
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(...alphabet), async (at, ch) => {
        fc.pre(token[at] !== '.' && token[at] !== ch);
        const bad = token.slice(0, at) + ch + token.slice(at + 1);
        // The last character of a base64url segment carries unused bits: some changes decode to the same bytes.
        const parts = token.split('.');
        fc.pre(!bad.split('.').every((part, i) => Buffer.from(part, 'base64url').equals(Buffer.from(parts[i]!, 'base64url'))));
        tried++;
        const res = await t.call('GET', '/api/admin/stats', { headers: { Authorization: `Bearer ${bad}` } });
        expect(res.status).toBe(401);
      }),
      { numRuns: 300 },
    );
    console.log(`attack: ${Object.keys(forged).length} forged tokens and ${tried} corrupted tokens refused`);
  });
});

// Unlocking posts priced in WordPress post meta, against real wp_posts/wp_postmeta tables in MariaDB.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { buildTestApp } from '../support/app.js';
import { createWpUser, type TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';
import { addPostMeta, insertPost, insertPricedPost, setPostMeta } from '../support/wp-content.js';

let tdb: TestDatabase;
let t: SeededApp;
beforeAll(async () => {
  t = await seededApp(import.meta.filename, { poolSize: 40, env: { RATE_LIMIT_UNLOCK: '0', AUTHOR_SHARE_PERCENT: '0' } });
  tdb = t.tdb;
});
afterAll(async () => tdb?.drop());

const userWith = (coins: number) => userWithCoins(tdb.db, coins);

const unlock = (token: string, postId: number, headers: Record<string, string> = {}) =>
  t.call('POST', `/api/posts/${postId}/unlock`, { token, headers });

/** The unlock receipts the user's inbox shows (GET /api/notifications). */
async function inboxUnlocks(token: string, call = t.call) {
  const body = (await (await call('GET', '/api/notifications', { token })).json()) as { notifications: Array<{ id: number; kind: string; data: Record<string, unknown> }> };
  return body.notifications.filter((n) => n.kind === 'unlock');
}

async function ledgerRows(userId: number, kind: string) {
  return tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', userId).where('kind', '=', kind as never).execute();
}

describe('POST /api/posts/:postId/unlock', () => {
  it('lets exactly 1 of 20 concurrent unlocks of 20 different 10-coin posts through a balance of 10', async () => {
    const u = await userWith(10);
    const posts = await Promise.all(Array.from({ length: 20 }, (_, i) => insertPricedPost(tdb.db, 10, { title: `EA ${i}` })));
    const res = await Promise.all(posts.map((p) => unlock(u.token, p.postId)));
    const bodies = await Promise.all(res.map((r) => r.json()));
    const ok = res.filter((r) => r.status === 200);
    const refused = res.filter((r) => r.status === 402);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(19);
    expect(bodies.find((b) => b.unlocked)).toEqual({ unlocked: true, balance: 0, charged_coins: 10, access_until: null });
    for (const b of bodies.filter((x) => x.error)) {
      expect(b.error.code).toBe('insufficient_coins');
      expect(b.error.details.price_coins).toBe(10);
      expect(b.error.details.shortfall).toBe(10 - b.error.details.balance);
    }
    expect(await readBalance(tdb.db, u.id)).toBe(0);
    expect(await ledgerRows(u.id, 'unlock')).toHaveLength(1);
    const ents = await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', u.id).execute();
    expect(ents).toHaveLength(1);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('charges once for 20 concurrent unlocks of the same post, and answers every one with 200', async () => {
    const u = await userWith(100);
    const { postId } = await insertPricedPost(tdb.db, 10);
    const res = await Promise.all(Array.from({ length: 20 }, () => unlock(u.token, postId)));
    const bodies = await Promise.all(res.map((r) => r.json()));
    expect(res.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(bodies.filter((b) => b.charged_coins === 10)).toHaveLength(1);
    expect(bodies.filter((b) => b.charged_coins === 0)).toHaveLength(19);
    for (const b of bodies) expect(b).toMatchObject({ unlocked: true, balance: 90 });
    expect(await readBalance(tdb.db, u.id)).toBe(90);
    expect(await ledgerRows(u.id, 'unlock')).toHaveLength(1);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('answers 402 with the shortfall and writes nothing when the balance is short', async () => {
    const u = await userWith(7);
    const { postId } = await insertPricedPost(tdb.db, 25);
    const r = await unlock(u.token, postId);
    expect(r.status).toBe(402);
    expect(await r.json()).toEqual({
      error: { code: 'insufficient_coins', message: expect.any(String), details: { balance: 7, price_coins: 25, shortfall: 18 } },
    });
    expect(await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', u.id).execute()).toEqual([]);
    expect(await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', u.id).execute()).toEqual([]);
  });

  it('neither charges again nor revokes access after the editor changes the price or unpublishes', async () => {
    const u = await userWith(50);
    const { postId } = await insertPricedPost(tdb.db, 20);
    expect(await (await unlock(u.token, postId)).json()).toEqual({ unlocked: true, balance: 30, charged_coins: 20, access_until: null });
    await setPostMeta(tdb.db, postId, '_goldcoin_price', '35');
    expect(await (await unlock(u.token, postId)).json()).toEqual({ unlocked: true, balance: 30, charged_coins: 0, access_until: null });
    const view = await (await t.call('GET', `/api/posts/${postId}`, { token: u.token })).json();
    expect(view).toMatchObject({ post_id: postId, price_coins: 35, unlocked: true, balance: 30 });
    await tdb.db.updateTable('posts').set({ post_status: 'draft' }).where('ID', '=', postId).execute();
    const after = await t.call('GET', `/api/posts/${postId}`, { token: u.token });
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ unlocked: true, price_coins: 20 });
    expect((await unlock(u.token, postId)).status).toBe(200);
    const ent = await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
    expect(ent.price_coins).toBe(20);
    expect(await readBalance(tdb.db, u.id)).toBe(30);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('refuses with 404 post_not_for_sale: unpublished, unpriced, zero, negative, fractional or non-numeric prices, attachments, missing posts', async () => {
    const u = await userWith(1000);
    const cases: number[] = [];
    cases.push((await insertPricedPost(tdb.db, 10, { status: 'draft' })).postId);
    cases.push((await insertPricedPost(tdb.db, 10, { status: 'private' })).postId);
    cases.push((await insertPricedPost(tdb.db, 10, { status: 'trash' })).postId);
    cases.push((await insertPricedPost(tdb.db, 10, { status: 'future' })).postId);
    cases.push(await insertPost(tdb.db));
    for (const bad of ['0', '-5', '10.5', 'ten', '', '1e3', '0x10', '10 coins', '99999999999999']) {
      cases.push((await insertPricedPost(tdb.db, bad)).postId);
    }
    cases.push((await insertPricedPost(tdb.db, 10, { type: 'attachment', status: 'publish' })).postId);
    cases.push((await insertPricedPost(tdb.db, 10, { type: 'revision' })).postId);
    cases.push(987_654_321);
    for (const postId of cases) {
      const get = await t.call('GET', `/api/posts/${postId}`, { token: u.token });
      const post = await unlock(u.token, postId);
      expect([postId, get.status, post.status]).toEqual([postId, 404, 404]);
      expect((await post.json()).error.code).toBe('post_not_for_sale');
    }
    expect(await readBalance(tdb.db, u.id)).toBe(1000);
  });

  it('reads the price WordPress would (the first meta row) and never from the request', async () => {
    const u = await userWith(100);
    const { postId } = await insertPricedPost(tdb.db, 15);
    await addPostMeta(tdb.db, postId, '_goldcoin_price', '1');
    const r = await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token, body: { price_coins: 1, price: 1 } });
    expect(await r.json()).toEqual({ unlocked: true, balance: 85, charged_coins: 15, access_until: null });
  });

  it('charges no more than the price the buyer saw: a raise answers 409 price_changed and charges nothing, a cut charges the lower', async () => {
    const u = await userWith(100);
    const { postId } = await insertPricedPost(tdb.db, 20);
    const shown = (await (await t.call('GET', `/api/posts/${postId}`, { token: u.token })).json()).price_coins;
    expect(shown).toBe(20);
    await setPostMeta(tdb.db, postId, '_goldcoin_price', '35');
    const raised = await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token, body: { expected_price_coins: shown } });
    expect(raised.status).toBe(409);
    expect(await raised.json()).toEqual({
      error: { code: 'price_changed', message: expect.any(String), details: { price_coins: 35, expected_price_coins: 20 } },
    });
    expect(await readBalance(tdb.db, u.id)).toBe(100);
    expect(await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', u.id).execute()).toEqual([]);
    expect(await ledgerRows(u.id, 'unlock')).toEqual([]);

    await setPostMeta(tdb.db, postId, '_goldcoin_price', '12');
    const cut = await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token, body: { expected_price_coins: 35 } });
    expect(await cut.json()).toEqual({ unlocked: true, balance: 88, charged_coins: 12, access_until: null });
    // Once held, a raised price is no reason to refuse: the repeat charges nothing.
    await setPostMeta(tdb.db, postId, '_goldcoin_price', '50');
    const again = await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token, body: { expected_price_coins: 12 } });
    expect(await again.json()).toEqual({ unlocked: true, balance: 88, charged_coins: 0, access_until: null });
    for (const bad of [{ expected_price_coins: -1 }, { expected_price_coins: 1.5 }, { expected_price_coins: '20' }]) {
      expect((await t.call('POST', `/api/posts/${postId}/unlock`, { token: u.token, body: bad })).status).toBe(400);
    }
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('accepts a price with surrounding whitespace as WordPress may store it', async () => {
    const u = await userWith(100);
    const { postId } = await insertPricedPost(tdb.db, ' 12 ');
    expect(await (await unlock(u.token, postId)).json()).toEqual({ unlocked: true, balance: 88, charged_coins: 12, access_until: null });
  });

  it('shows price, unlock state, file name and balance on GET', async () => {
    const u = await userWith(40);
    const { postId } = await insertPricedPost(tdb.db, 30, { title: 'Gold Scalper', filePath: '2026/11/GoldScalper-v3.ex4' });
    const before = await (await t.call('GET', `/api/posts/${postId}`, { token: u.token })).json();
    expect(before).toEqual({
      post_id: postId,
      title: 'Gold Scalper',
      price_coins: 30,
      unlocked: false,
      file_name: 'GoldScalper-v3.ex4',
      licence: false,
      balance: 40,
      vip: null,
      member: false,
      your_price_coins: 30,
      access_days: null,
      access_until: null,
    });
    await unlock(u.token, postId);
    const after = await (await t.call('GET', `/api/posts/${postId}`, { token: u.token })).json();
    expect(after).toMatchObject({ unlocked: true, balance: 10 });
    const plain = await insertPricedPost(tdb.db, 5);
    expect((await (await t.call('GET', `/api/posts/${plain.postId}`, { token: u.token })).json()).file_name).toBeNull();
  });

  it('restores a hand-deleted entitlement at the price paid, charging nothing, whatever the price is now', async () => {
    for (const newPrice of [20, 35, 90]) {
      const u = await userWith(50);
      const { postId } = await insertPricedPost(tdb.db, 20);
      expect(await (await unlock(u.token, postId)).json()).toEqual({ unlocked: true, balance: 30, charged_coins: 20, access_until: null });
      await tdb.db.deleteFrom('entitlements').where('user_id', '=', u.id).where('post_id', '=', postId).execute();
      await setPostMeta(tdb.db, postId, '_goldcoin_price', String(newPrice));
      const again = await unlock(u.token, postId);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ unlocked: true, balance: 30, charged_coins: 0, access_until: null });
      const ent = await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', u.id).executeTakeFirstOrThrow();
      expect(ent).toMatchObject({ post_id: postId, price_coins: 20, ledger_ref: `unlock:${u.id}:${postId}` });
      expect(await ledgerRows(u.id, 'unlock')).toHaveLength(1);
      expect(await inboxUnlocks(u.token)).toHaveLength(1);
      expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
    }
  });

  it('sells pages too', async () => {
    const u = await userWith(10);
    const { postId } = await insertPricedPost(tdb.db, 10, { type: 'page' });
    expect((await unlock(u.token, postId)).status).toBe(200);
  });

  it('credits the configured author share in the same transaction, never to an author buying their own post', async () => {
    const shared = buildTestApp(tdb, { env: { RATE_LIMIT_UNLOCK: '0', AUTHOR_SHARE_PERCENT: '30' } });
    const author = await createWpUser(tdb.db);
    const buyer = await userWith(100);
    const { postId } = await insertPricedPost(tdb.db, 15, { authorId: author });
    const res = await Promise.all(Array.from({ length: 5 }, () => shared.call('POST', `/api/posts/${postId}/unlock`, { token: buyer.token })));
    expect(res.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await readBalance(tdb.db, buyer.id)).toBe(85);
    expect(await readBalance(tdb.db, author)).toBe(4);
    const share = await ledgerRows(author, 'author_share');
    expect(share).toHaveLength(1);
    expect(share[0]).toMatchObject({ delta_coins: 4, ref_type: 'post', ref_id: String(postId) });

    const own = await insertPricedPost(tdb.db, 10, { authorId: buyer.id });
    await shared.call('POST', `/api/posts/${own.postId}/unlock`, { token: buyer.token });
    expect(await ledgerRows(buyer.id, 'author_share')).toHaveLength(0);
    expect((await checkInvariants(tdb.db, [buyer.id, author])).problems).toEqual([]);
  });

  it('has the ledger row as its receipt, shown once in the inbox, and writes no notification row while unlock emails are off', async () => {
    const u = await userWith(10);
    const { postId } = await insertPricedPost(tdb.db, 10, { title: 'Night Owl EA' });
    await Promise.all([unlock(u.token, postId), unlock(u.token, postId), unlock(u.token, postId)]);
    expect(await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', u.id).execute()).toEqual([]);
    const [debit] = await ledgerRows(u.id, 'unlock');
    const receipts = await inboxUnlocks(u.token);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({ id: -debit!.id, data: { post_id: postId, title: 'Night Owl EA', coins: 10, balance: 0 } });
  });

  it('enqueues one unlock notification and its email in the same transaction when the site emails unlock receipts', async () => {
    const mailing = buildTestApp(tdb, { env: { RATE_LIMIT_UNLOCK: '0', AUTHOR_SHARE_PERCENT: '0', UNLOCK_EMAIL: 'true' } });
    const u = await userWith(10);
    const { postId } = await insertPricedPost(tdb.db, 10, { title: 'Night Owl EA' });
    const body = { expected_price_coins: 10 };
    await Promise.all([0, 1, 2].map(() => mailing.call('POST', `/api/posts/${postId}/unlock`, { token: u.token, body })));
    const rows = await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', u.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'unlock', dedupe_key: `unlock:${u.id}:${postId}` });
    expect(JSON.parse(rows[0]!.data)).toMatchObject({ post_id: postId, title: 'Night Owl EA', coins: 10 });
    expect(await tdb.db.selectFrom('email_outbox').select('id').where('notification_id', '=', rows[0]!.id).execute()).toHaveLength(1);
    // The notification row stands for the receipt: the ledger row is not listed a second time.
    expect((await inboxUnlocks(u.token, mailing.call)).map((n) => n.id)).toEqual([rows[0]!.id]);
  });

  it('gives a retry with the same Idempotency-Key the first answer', async () => {
    const u = await userWith(30);
    const { postId } = await insertPricedPost(tdb.db, 10);
    const headers = { 'Idempotency-Key': `unlock-${u.id}-abcdef` };
    const first = await unlock(u.token, postId, headers);
    const again = await unlock(u.token, postId, headers);
    expect(await first.json()).toEqual({ unlocked: true, balance: 20, charged_coins: 10, access_until: null });
    expect(await again.json()).toEqual({ unlocked: true, balance: 20, charged_coins: 10, access_until: null });
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await readBalance(tdb.db, u.id)).toBe(20);
  });

  it('refuses bad post ids with 400 and missing tokens with 401', async () => {
    const u = await userWith(0);
    expect((await t.call('POST', '/api/posts/abc/unlock', { token: u.token })).status).toBe(400);
    expect((await t.call('POST', '/api/posts/0/unlock', { token: u.token })).status).toBe(400);
    expect((await t.call('POST', '/api/posts/5/unlock')).status).toBe(401);
  });

  it('is documented in the OpenAPI document with the spending routes', async () => {
    const doc = await (await t.call('GET', '/openapi.json')).json();
    const paths = ['/api/posts/{postId}', '/api/posts/{postId}/unlock', '/api/posts/{postId}/download', '/api/rewards'];
    paths.push('/api/rewards/{key}/redeem', '/api/referrals', '/api/referrals/bind', '/api/admin/redemptions');
    for (const path of paths) expect(Object.keys(doc.paths)).toContain(path);
  });
});

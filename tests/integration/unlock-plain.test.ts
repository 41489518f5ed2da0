// The unlock's short way: a first purchase at the price the widget showed, read and checked by the entitlement
// insert itself (spending/prices.ts insertPlainEntitlement), with the same answers and guarantees as the general way.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { buildTestApp } from '../support/app.js';
import type { TestDatabase } from '../support/db.js';
import { type SeededApp, seededApp, userWithCoins } from '../support/seeded.js';
import { addPostMeta, insertPricedPost, setPostMeta } from '../support/wp-content.js';

let tdb: TestDatabase;
let t: SeededApp;
beforeAll(async () => {
  t = await seededApp(import.meta.filename, { poolSize: 40, env: { RATE_LIMIT_UNLOCK: '0', AUTHOR_SHARE_PERCENT: '0' } });
  tdb = t.tdb;
});
afterAll(async () => tdb?.drop());

const userWith = (coins: number) => userWithCoins(tdb.db, coins);
/** As the widget sends it: the price it showed. */
const unlockAt = (token: string, postId: number, price: number, call = t.call) =>
  call('POST', `/api/posts/${postId}/unlock`, { token, body: { expected_price_coins: price } });
const ledgerRows = (userId: number) => tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', userId).where('kind', '=', 'unlock').execute();

/** Counts the statements an app sends through Kysely (BEGIN and COMMIT are not among them). */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

describe('unlock at the price shown, read by the entitlement insert', () => {
  it('sends three statements in its transaction: the entitlement with the price read from postmeta, the ledger row, the balance', async () => {
    const counter = new StatementCounter();
    const counted = buildTestApp(tdb, { env: { RATE_LIMIT_UNLOCK: '0', AUTHOR_SHARE_PERCENT: '0' }, deps: { db: tdb.db.withPlugin(counter) } });
    const u = await userWith(50);
    const { postId } = await insertPricedPost(tdb.db, 20, { title: 'Counted EA' });
    // Authentication and the route may read before the unlock; count the unlock's own statements.
    const before = counter.count;
    const res = await unlockAt(u.token, postId, 20, counted.call);
    expect(await res.json()).toEqual({ unlocked: true, balance: 30, charged_coins: 20, access_until: null });
    expect(counter.count - before).toBe(3);
    const [row] = await ledgerRows(u.id);
    // The memo is the post's title, read by the ledger statement.
    expect(row).toMatchObject({ delta_coins: -20, balance_after: 30, memo: 'Counted EA', memo_code: 'post_unlock', ref_type: 'post', ref_id: String(postId) });
    // The title is read once, into the memo; the stored parameters name the post, and readers get the same
    // parameters the general way writes from the title it read.
    expect(JSON.parse(row!.memo_params!)).toEqual({ post_id: postId });
    const wallet = await (await t.call('GET', '/api/wallet', { token: u.token })).json();
    expect(wallet.recent[0]).toMatchObject({ memo_code: 'post_unlock', memo_params: { title: 'Counted EA', post_id: postId } });
  });

  it('lets exactly 1 of 20 concurrent unlocks of 20 different 10-coin posts through a balance of 10', async () => {
    const u = await userWith(10);
    const posts = await Promise.all(Array.from({ length: 20 }, (_, i) => insertPricedPost(tdb.db, 10, { title: `EA ${i}` })));
    const res = await Promise.all(posts.map((p) => unlockAt(u.token, p.postId, 10)));
    expect(res.filter((r) => r.status === 200)).toHaveLength(1);
    expect(res.filter((r) => r.status === 402)).toHaveLength(19);
    expect(await readBalance(tdb.db, u.id)).toBe(0);
    expect(await ledgerRows(u.id)).toHaveLength(1);
    expect(await tdb.db.selectFrom('entitlements').select('id').where('user_id', '=', u.id).execute()).toHaveLength(1);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('charges once for 20 concurrent unlocks of the same post, and answers every one with 200', async () => {
    const u = await userWith(100);
    const { postId } = await insertPricedPost(tdb.db, 10);
    const res = await Promise.all(Array.from({ length: 20 }, () => unlockAt(u.token, postId, 10)));
    const bodies = await Promise.all(res.map((r) => r.json()));
    expect(res.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(bodies.filter((b) => b.charged_coins === 10)).toHaveLength(1);
    for (const b of bodies) expect(b).toMatchObject({ unlocked: true, balance: 90 });
    expect(await ledgerRows(u.id)).toHaveLength(1);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('charges each of 64 concurrent unlocks of 64 posts from one wallet exactly once', async () => {
    const u = await userWith(1_000);
    const posts = await Promise.all(Array.from({ length: 64 }, () => insertPricedPost(tdb.db, 3)));
    const res = await Promise.all(posts.map((p) => unlockAt(u.token, p.postId, 3)));
    const failed = await Promise.all(res.filter((r) => r.status !== 200).map((r) => r.text()));
    expect(failed).toEqual([]);
    expect(await readBalance(tdb.db, u.id)).toBe(1_000 - 64 * 3);
    expect(await ledgerRows(u.id)).toHaveLength(64);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('answers 402 with the shortfall and writes nothing when the balance is short', async () => {
    const u = await userWith(7);
    const { postId } = await insertPricedPost(tdb.db, 10);
    const res = await unlockAt(u.token, postId, 10);
    expect(res.status).toBe(402);
    expect((await res.json()).error).toMatchObject({ code: 'insufficient_coins', details: { balance: 7, price_coins: 10, shortfall: 3 } });
    expect(await tdb.db.selectFrom('entitlements').select('id').where('user_id', '=', u.id).execute()).toEqual([]);
    expect(await ledgerRows(u.id)).toEqual([]);
  });

  it('keeps the price rule: a raise answers 409 and charges nothing, a cut charges the lower, a repeat charges nothing', async () => {
    const u = await userWith(100);
    const { postId } = await insertPricedPost(tdb.db, 35);
    const raised = await unlockAt(u.token, postId, 20);
    expect(raised.status).toBe(409);
    expect((await raised.json()).error).toMatchObject({ code: 'price_changed', details: { price_coins: 35, expected_price_coins: 20 } });
    await setPostMeta(tdb.db, postId, '_goldcoin_price', '15');
    expect(await (await unlockAt(u.token, postId, 20)).json()).toMatchObject({ charged_coins: 15, balance: 85 });
    expect(await (await unlockAt(u.token, postId, 15)).json()).toMatchObject({ charged_coins: 0, balance: 85 });
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });

  it('leaves to the general rules what it cannot read byte for byte: odd text, case, full-width digits, not published, attachments', async () => {
    const u = await userWith(100);
    const cases: Array<[string, Parameters<typeof insertPricedPost>[2], number]> = [
      [' 10 ', {}, 200], // WordPress may store surrounding whitespace: sold at 10 by the general way
      ['010', {}, 200],
      ['１０', {}, 404],
      ['10', { status: 'PUBLISH' }, 404],
      ['10', { status: 'draft' }, 404],
      ['10', { type: 'attachment' }, 404],
    ];
    for (const [price, spec, status] of cases) {
      const { postId } = await insertPricedPost(tdb.db, price, spec);
      expect([price, spec, (await unlockAt(u.token, postId, 10)).status]).toEqual([price, spec, status]);
    }
    expect(await readBalance(tdb.db, u.id)).toBe(80);
  });

  it('leaves VIP and timed terms to the general rules, the first price row winning as in WordPress', async () => {
    const u = await userWith(100);
    const only = await insertPricedPost(tdb.db, 10);
    await setPostMeta(tdb.db, only.postId, '_goldcoin_vip', 'only');
    const refused = await unlockAt(u.token, only.postId, 10);
    expect([refused.status, (await refused.json()).error.code]).toEqual([403, 'vip_required']);
    const timed = await insertPricedPost(tdb.db, 10);
    await setPostMeta(tdb.db, timed.postId, '_goldcoin_access_days', '7');
    expect(await (await unlockAt(u.token, timed.postId, 10)).json()).toMatchObject({ charged_coins: 10, access_until: expect.stringMatching(/^\d{4}-/) });
    const twice = await insertPricedPost(tdb.db, 10);
    await addPostMeta(tdb.db, twice.postId, '_goldcoin_price', '1');
    // Its second price row (1) is not the price: 10 is, so the buyer shown 1 is charged nothing.
    expect((await unlockAt(u.token, twice.postId, 1)).status).toBe(409);
    expect(await readBalance(tdb.db, u.id)).toBe(90);
    expect((await checkInvariants(tdb.db, [u.id])).problems).toEqual([]);
  });
});

// The wallet's loops on the sidecar: what the user bought (GET /api/posts, redemptions with their titles and codes,
// found again on every read and in the notification) and ledger memos as codes (new rows, and old rows mapped by sql/017).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render, splitStatements, SQL_DIR } from '../../sidecar/src/db/migrator.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, TABLE_PREFIX, WP_PREFIX, type TestDatabase } from '../support/db.js';
import { startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';
import { userWithCoins } from '../support/seeded.js';
import { insertPost, insertPricedPost } from '../support/wp-content.js';

let tdb: TestDatabase;
let h: PaymentsHarness;
let eaPost: { postId: number };
let plainPost: { postId: number };
let rewardPost: number;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  eaPost = await insertPricedPost(tdb.db, 40, { title: 'Grid EA', filePath: '2026/11/GridEA.ex5' });
  plainPost = await insertPricedPost(tdb.db, 10, { title: 'Market notes' });
  rewardPost = await insertPost(tdb.db, { title: 'Reward-only report' });
  const catalog = [
    { key: 'ea-code', title: 'EA licence code', cost_coins: 20, fulfilment: 'code', value: 'EA-' },
    { key: 'group', title: 'Private group', cost_coins: 5, fulfilment: 'link', value: 'https://t.me/+private' },
    { key: 'report', title: 'The report', cost_coins: 5, fulfilment: 'entitlement', value: String(rewardPost) },
  ];
  h = await startPaymentsHarness(tdb, { env: { REWARDS_CATALOG: JSON.stringify(catalog), RATE_LIMIT_REDEEM: '0' } });
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

let keys = 0;
const key = () => `purchases-${process.pid}-${++keys}`;
const get = async (token: string, path: string) => {
  const res = await h.call('GET', path, { token });
  expect(res.status, path).toBe(200);
  return (await res.json()) as Record<string, any>;
};
const post = async (token: string, path: string, body: unknown = {}) => {
  const res = await h.call('POST', path, { token, body, headers: { 'Idempotency-Key': key() } });
  expect(res.status, path).toBeLessThan(300);
  return (await res.json()) as Record<string, any>;
};

describe('GET /api/posts: what the user bought', () => {
  it('lists unlocked and redeemed posts newest first with title, address and file, only to their owner, paged', async () => {
    const u = await userWithCoins(tdb.db, 100);
    const stranger = await userWithCoins(tdb.db, 0);
    await post(u.token, `/api/posts/${eaPost.postId}/unlock`);
    await post(u.token, `/api/posts/${plainPost.postId}/unlock`);
    await post(u.token, '/api/rewards/report/redeem');
    const all = await get(u.token, '/api/posts');
    expect(all['posts']).toEqual([
      expect.objectContaining({ post_id: rewardPost, title: 'Reward-only report', source: 'reward', file_name: null, active: true }),
      expect.objectContaining({ post_id: plainPost.postId, title: 'Market notes', source: 'unlock', price_coins: 10, file_name: null }),
      expect.objectContaining({
        post_id: eaPost.postId,
        title: 'Grid EA',
        url: `${h.config.wpHome}/?p=${eaPost.postId}`,
        file_name: 'GridEA.ex5',
        source: 'unlock',
        price_coins: 40,
        access_until: null,
        active: true,
      }),
    ]);
    expect(all['next_cursor']).toBeNull();
    const first = await get(u.token, '/api/posts?limit=2');
    expect(first['posts'].map((p: { post_id: number }) => p.post_id)).toEqual([rewardPost, plainPost.postId]);
    const rest = await get(u.token, `/api/posts?limit=2&cursor=${first['next_cursor']}`);
    expect(rest['posts'].map((p: { post_id: number }) => p.post_id)).toEqual([eaPost.postId]);
    expect((await get(stranger.token, '/api/posts'))['posts']).toEqual([]);
    expect((await h.call('GET', '/api/posts?limit=51', { token: u.token })).status).toBe(400);
  });

  it('keeps a post whose page was deleted in WordPress, without a title', async () => {
    const gone = await insertPricedPost(tdb.db, 5, { title: 'Soon deleted' });
    const u = await userWithCoins(tdb.db, 5);
    await post(u.token, `/api/posts/${gone.postId}/unlock`);
    await tdb.db.deleteFrom('posts').where('ID', '=', gone.postId).execute();
    expect((await get(u.token, '/api/posts'))['posts']).toEqual([expect.objectContaining({ post_id: gone.postId, title: null, price_coins: 5 })]);
  });
});

describe('redeemed rewards are found again', () => {
  it('lists each redemption with its title and code or link on every read, and the notification repeats them', async () => {
    const u = await userWithCoins(tdb.db, 100);
    const code = (await post(u.token, '/api/rewards/ea-code/redeem'))['redemption'];
    expect(code).toMatchObject({ reward_key: 'ea-code', reward_title: 'EA licence code', fulfilment: { type: 'code' } });
    expect(code.fulfilment.value).toMatch(/^EA-[A-Z2-9]{12}$/);
    await post(u.token, '/api/rewards/group/redeem');
    // A reload reads them back: the same code, not a new one.
    for (let read = 0; read < 2; read++) {
      const page = await get(u.token, '/api/rewards/redemptions');
      expect(page['redemptions']).toEqual([
        expect.objectContaining({ reward_key: 'group', reward_title: 'Private group', fulfilment: { type: 'link', value: 'https://t.me/+private' } }),
        expect.objectContaining({ id: code.id, reward_title: 'EA licence code', fulfilment: code.fulfilment }),
      ]);
    }
    const notes = (await get(u.token, '/api/notifications'))['notifications'] as { kind: string; body: string }[];
    expect(notes.map((n) => n.body)).toEqual([
      'You redeemed “Private group” for 5 gold coins. Your link: https://t.me/+private Your balance is now 75 gold coins.',
      `You redeemed “EA licence code” for 20 gold coins. Your code: ${code.fulfilment.value}. Your balance is now 80 gold coins.`,
    ]);
    const zh = (await get(await mintToken(u.id, { locale: 'zh_CN' }), '/api/notifications'))['notifications'] as { body: string }[];
    expect(zh[1]!.body).toBe(`您已使用 20 金币 兑换「EA licence code」。兑换码：${code.fulfilment.value}。当前余额 80 金币。`);
  });
});

describe('ledger memos as codes', () => {
  it('writes a code and its parameters on every kind of movement the sidecar makes', async () => {
    const u = await userWithCoins(tdb.db, 0);
    const tokenOf = await mintToken(u.id);
    const recharge = await post(tokenOf, '/api/recharges', { coins: 1000, method: 'USDT' });
    await h.sim.pay(recharge['payment'].txn_id);
    await post(tokenOf, `/api/posts/${eaPost.postId}/unlock`);
    await post(tokenOf, '/api/rewards/group/redeem');
    const entries = (await get(tokenOf, '/api/ledger'))['entries'] as Record<string, unknown>[];
    expect(entries.map((e) => [e['kind'], e['memo_code'], e['memo_params']])).toEqual([
      ['reward', 'reward', { title: 'Private group' }],
      ['unlock', 'post_unlock', { title: 'Grid EA', post_id: eaPost.postId }],
      ['bonus', 'recharge_bonus', null],
      ['recharge', 'recharge', null],
    ]);
    // The English text stays for the books and the exports.
    expect(entries.map((e) => e['memo'])).toEqual(['Private group', 'Grid EA', 'recharge bonus', 'recharge']);
  });

  it('maps the memos written before the codes (sql/017), and leaves a memo it does not know without a code', async () => {
    const u = await createWpUser(tdb.db);
    const old = [
      ['adjustment', 500, null, null, 'seed'],
      ['recharge', 100, 'recharge', '1', 'recharge'],
      ['recharge', 75, 'recharge', '2', 'recharge (underpaid: credited in proportion)'],
      ['recharge', 50, 'recharge', '3', 'recharge, resolved: paid by bank'],
      ['recharge', 40, 'recharge', '4', 'recharge (underpaid: credited in proportion), resolved: rest refunded'],
      ['bonus', 10, 'recharge', '1', 'recharge bonus'],
      ['referral', 30, 'referee', '77', "referral reward for user 77's first recharge"],
      ['unlock', -20, 'post', '9', 'Old EA'],
      ['vip', -60, 'vip_tier', 'gold', 'Gold'],
      ['adjustment', -5, 'adjustment', null, 'fee'],
    ] as const;
    for (const [i, [kind, delta, refType, refId, memo]] of old.entries()) {
      const r = await applyMovement(tdb.db, {
        userId: u,
        deltaCoins: delta,
        kind,
        idempotencyRef: `old:${u}:${i}`,
        actor: 'test',
        ...(refType ? { refType } : {}),
        ...(refId ? { refId } : {}),
      });
      expect(r.ok).toBe(true);
      // As a sidecar before sql/017 wrote them: the text alone.
      await tdb.db.updateTable('coin_ledger').set({ memo: kind === 'adjustment' && i === 0 ? 'something else' : memo, memo_code: null, memo_params: null }).where('idempotency_ref', '=', `old:${u}:${i}`).execute();
    }
    const file = await readFile(join(SQL_DIR, '017_ledger_memo_codes.sql'), 'utf8');
    for (const statement of splitStatements(render(file, TABLE_PREFIX, WP_PREFIX)).filter((s) => s.startsWith('UPDATE'))) {
      await sql.raw(statement).execute(tdb.db);
    }
    const rows = await tdb.db.selectFrom('coin_ledger').select(['memo_code', 'memo_params']).where('user_id', '=', u).orderBy('id').execute();
    expect(rows.map((r) => [r.memo_code, r.memo_params === null ? null : JSON.parse(r.memo_params)])).toEqual([
      ['adjustment', { reason: 'something else' }],
      ['recharge', null],
      ['recharge_underpaid', null],
      ['recharge_resolved', { reason: 'paid by bank' }],
      ['recharge_underpaid_resolved', { reason: 'rest refunded' }],
      ['recharge_bonus', null],
      ['referral_reward', { referee_user_id: 77 }],
      ['post_unlock', { title: 'Old EA' }],
      ['vip', { title: 'Gold' }],
      ['adjustment', { reason: 'fee' }],
    ]);
    // A row with no memo at all keeps no code, and the API answers null for it.
    const bare = await applyMovement(tdb.db, { userId: u, deltaCoins: 1, kind: 'adjustment', idempotencyRef: `old:${u}:bare`, actor: 'test' });
    expect(bare.ok && bare.entry.memo_code).toBeNull();
  });
});

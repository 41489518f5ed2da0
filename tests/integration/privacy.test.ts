// Personal data against MariaDB and both CoinPayments simulators: the export holds the user's ledger, payments and
// their IPN/webhook bodies; erasure removes names and emails (also inside those bodies) but keeps the books, which still
// sum to every balance; old bodies are emptied after the retention days while their verdict rows stay.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement, readBalance } from '../../sidecar/src/ledger/ledger.js';
import { clearOldIpnBodies, ipnRetentionJob } from '../../sidecar/src/privacy/retention.js';
import { anonymiseBody, ERASED } from '../../sidecar/src/privacy/scrub.js';
import { EXPORT_PAGE_ITEMS } from '../../sidecar/src/privacy/privacy.js';
import { ensureLicence } from '../../sidecar/src/licences/licences.js';
import { verifyLicence } from '../../sidecar/src/licences/verify.js';
import { createLogger } from '../../sidecar/src/log.js';
import { mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { PLATFORMS, startPaymentsHarness, type PaymentsHarness, type Platform } from '../support/payments.js';
import { insertPost, setPostMeta } from '../support/wp-content.js';

let tdb: TestDatabase;
const harness = {} as Record<Platform, PaymentsHarness>;
let adminToken: string;

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename, { poolSize: 20 });
  for (const p of PLATFORMS) harness[p] = await startPaymentsHarness(tdb, { platform: p });
  adminToken = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
});
afterAll(async () => {
  for (const p of PLATFORMS) await harness[p]?.close();
  await tdb?.drop();
});

let seq = 0;
interface Item {
  group_id: string;
  group_label: string;
  item_id: string;
  data: { name: string; value: string }[];
}

/** A user who paid for 1000 (+100) coins with `email`, got a notification, spent 30 coins on an adjustment. */
async function payingUser(p: Platform, email: string) {
  const h = harness[p];
  const user = await createWpUser(tdb.db);
  const token = await mintToken(user, { email });
  const res = await h.call('POST', '/api/recharges', { token, body: { coins: 1000, method: 'USDT' }, headers: { 'Idempotency-Key': `privacy-${seq++}` } });
  expect(res.status).toBe(201);
  const r = (await res.json()) as { id: number; payment: { txn_id: string } };
  if (p === 'legacy') await h.sim.pay(r.payment.txn_id);
  else await h.simV2.pay(r.payment.txn_id, { complete: true });
  expect(await readBalance(tdb.db, user)).toBe(1100);
  const adj = await applyMovement(tdb.db, { userId: user, deltaCoins: -30, kind: 'adjustment', idempotencyRef: `privacy-adj-${user}`, actor: 'admin:1', memo: { code: 'adjustment', params: { reason: `refund asked by ${email.toUpperCase()}` }, text: `refund asked by ${email.toUpperCase()}` } });
  expect(adj.ok).toBe(true);
  return { user, rechargeId: r.id, txnId: r.payment.txn_id };
}

async function exportAll(user: number, email: string, locale = 'en_US'): Promise<Item[]> {
  const items: Item[] = [];
  for (let page = 1; page <= 50; page++) {
    const res = await harness.legacy.call('GET', `/api/admin/privacy/export?user_id=${user}&page=${page}&email=${encodeURIComponent(email)}&locale=${locale}`, { token: adminToken });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Item[]; done: boolean };
    items.push(...body.data);
    if (body.done) return items;
  }
  throw new Error('export never finished');
}

async function eraseAll(user: number, emails: string[] = []) {
  const answers = [];
  for (let call = 0; call < 20; call++) {
    const res = await harness.legacy.call('POST', '/api/admin/privacy/erase', { token: adminToken, body: { user_id: user, emails } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items_removed: number; items_retained: number; messages: string[]; done: boolean };
    answers.push(body);
    if (body.done) return answers;
  }
  throw new Error('erasure never finished');
}

const ipnRows = (txnId: string) => tdb.db.selectFrom('ipn_log').selectAll().where('txn_id', '=', txnId).orderBy('id').execute();
const value = (item: Item | undefined, name: string) => item?.data.find((d) => d.name === name)?.value;

describe.each(PLATFORMS)('on the %s platform', (p) => {
  it('the export holds the wallet, the ledger, the payment with its email and the provider notifications as received', async () => {
    const email = `buyer.${p}.${seq}@example.test`;
    const u = await payingUser(p, email);
    const items = await exportAll(u.user, email);
    const groups = new Set(items.map((i) => i.group_id));
    expect([...groups]).toEqual(expect.arrayContaining(['goldcoin-wallet', 'goldcoin-ledger', 'goldcoin-payments', 'goldcoin-notifications']));
    expect(value(items.find((i) => i.group_id === 'goldcoin-wallet'), 'Balance (coins)')).toBe('1070');
    const ledger = items.filter((i) => i.group_id === 'goldcoin-ledger');
    expect(ledger.map((i) => [value(i, 'Kind'), value(i, 'Coins')])).toEqual([
      ['recharge', '1000'],
      ['bonus', '100'],
      ['adjustment', '-30'],
    ]);
    const payment = items.find((i) => i.item_id === `recharge-${u.rechargeId}`);
    expect(payment).toMatchObject({ group_label: 'Gold Coins payments' });
    expect(value(payment, 'Payment email')).toBe(email);
    expect(value(payment, 'Status')).toBe('completed');
    const notices = items.filter((i) => i.item_id.startsWith('ipn-'));
    expect(notices.length).toBe((await ipnRows(u.txnId)).length);
    expect(notices.some((i) => (value(i, 'As received') ?? '').includes(p === 'legacy' ? encodeURIComponent(email) : email))).toBe(true);

    // Labels in the reader's language.
    const zh = await exportAll(u.user, email, 'zh_CN');
    expect(zh.find((i) => i.group_id === 'goldcoin-ledger')?.group_label).toBe('金币明细');
    expect(value(zh.find((i) => i.group_id === 'goldcoin-wallet'), '余额（金币）')).toBe('1070');
  });

  it('erasure removes the email and the name from the payment, its stored bodies and memos, keeps the books, and is safe to repeat', async () => {
    const email = `erase.${p}.${seq}@example.test`;
    const u = await payingUser(p, email);
    const other = await payingUser(p, `bystander.${p}.${seq}@example.test`);
    const before = await tdb.db.selectFrom('coin_ledger').select(['id', 'delta_coins', 'balance_after']).where('user_id', '=', u.user).orderBy('id').execute();
    const bodiesBefore = (await ipnRows(u.txnId)).map((r) => r.raw_body);
    expect(bodiesBefore.some((b) => b.includes(p === 'legacy' ? 'buyer_name=User' : '"buyer"'))).toBe(true);

    const [first] = await eraseAll(u.user);
    expect(first!.items_removed).toBeGreaterThan(0);
    expect(first!.items_retained).toBeGreaterThan(0);
    expect(first!.messages.join(' ')).toContain('Kept: payment records');

    const row = await tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', u.rechargeId).executeTakeFirstOrThrow();
    expect([row.buyer_email, row.status, row.coins_credited, row.price_amount]).toEqual([null, 'completed', 1000, row.price_amount]);
    const logged = await ipnRows(u.txnId);
    expect(logged.length).toBe(bodiesBefore.length);
    for (const r of logged) {
      expect(r.anonymised_at).not.toBeNull();
      expect(r.raw_body.toLowerCase()).not.toContain(email);
      expect(r.raw_body).not.toContain(encodeURIComponent(email));
      expect(r.raw_body).not.toContain(`User ${u.user}`);
      expect(r.verdict).toMatch(/processed|duplicate/);
    }
    expect(logged.some((r) => r.raw_body.includes(p === 'legacy' ? `email=${encodeURIComponent(ERASED)}` : `"buyer":"${ERASED}"`))).toBe(true);
    // The provider's identifiers and amounts stay readable in the body: a dispute can still be settled from it.
    expect(logged.every((r) => r.raw_body.includes(u.txnId))).toBe(true);

    const ledger = await tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', u.user).orderBy('id').execute();
    expect(ledger.map((l) => ({ id: l.id, delta_coins: l.delta_coins, balance_after: l.balance_after }))).toEqual(before);
    expect(ledger.find((l) => l.kind === 'adjustment')?.memo).toBe(`refund asked by ${ERASED}`);
    expect(JSON.parse(ledger.find((l) => l.kind === 'adjustment')!.memo_params!)).toEqual({ reason: `refund asked by ${ERASED}` });
    expect(await tdb.db.selectFrom('notifications').select('id').where('user_id', '=', u.user).execute()).toEqual([]);
    expect(await readBalance(tdb.db, u.user)).toBe(1070);
    expect((await checkInvariants(tdb.db, [u.user, other.user])).problems).toEqual([]);

    // Another user's payment is untouched.
    expect((await ipnRows(other.txnId)).every((r) => r.anonymised_at === null && r.raw_body.includes('bystander'))).toBe(true);
    // Once more: nothing left to remove, the same records kept.
    const [again] = await eraseAll(u.user);
    expect(again).toMatchObject({ items_removed: 0, done: true });
    expect((await exportAll(u.user, email)).some((i) => JSON.stringify(i).includes(email))).toBe(false);
  });
});

describe('a WordPress user deleted after erasure', () => {
  it('keeps its wallet row and ledger, so the books still balance, and exports what is kept', async () => {
    const email = `gone.${seq}@example.test`;
    const u = await payingUser('legacy', email);
    await eraseAll(u.user, [email]);
    await tdb.db.deleteFrom('users').where('ID', '=', u.user).execute();
    expect(await readBalance(tdb.db, u.user)).toBe(1070);
    expect((await checkInvariants(tdb.db, [u.user])).ok).toBe(true);
    const items = await exportAll(u.user, email);
    expect(items.filter((i) => i.group_id === 'goldcoin-ledger')).toHaveLength(3);
    expect(JSON.stringify(items)).not.toContain(email);
  });
});

describe('export paging', () => {
  it('pages of at most EXPORT_PAGE_ITEMS items that together hold every row once, in order', async () => {
    const user = await createWpUser(tdb.db);
    const movements = EXPORT_PAGE_ITEMS + 30;
    for (let i = 0; i < movements; i++) {
      expect((await applyMovement(tdb.db, { userId: user, deltaCoins: 1, kind: 'adjustment', idempotencyRef: `page-${user}-${i}`, actor: 'test' })).ok).toBe(true);
    }
    const first = await harness.legacy.call('GET', `/api/admin/privacy/export?user_id=${user}&page=1`, { token: adminToken });
    const page1 = (await first.json()) as { data: Item[]; done: boolean };
    expect([page1.data.length, page1.done]).toEqual([EXPORT_PAGE_ITEMS, false]);
    const items = await exportAll(user, `user${user}@example.test`);
    const ids = items.map((i) => i.item_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(items.filter((i) => i.group_id === 'goldcoin-ledger')).toHaveLength(movements);
    expect(items[0]!.group_id).toBe('goldcoin-wallet');
  });

  it('answers only administrators', async () => {
    const user = await createWpUser(tdb.db);
    const res = await harness.legacy.call('GET', `/api/admin/privacy/export?user_id=${user}`, { token: await mintToken(user) });
    expect(res.status).toBe(403);
    const erase = await harness.legacy.call('POST', '/api/admin/privacy/erase', { token: await mintToken(user), body: { user_id: user } });
    expect(erase.status).toBe(403);
  });
});

describe('licences', () => {
  it('are exported with their key, trading accounts and audit trail, and kept by erasure', async () => {
    const user = await createWpUser(tdb.db);
    const before = await exportAll(user, `user${user}@example.test`);
    expect(before.some((i) => i.group_id === 'goldcoin-licences')).toBe(false);
    const postId = await insertPost(tdb.db, { title: 'Gold Scalper EA' });
    await setPostMeta(tdb.db, postId, '_goldcoin_ea_product', 'gold-scalper');
    await tdb.db.insertInto('entitlements').values({ user_id: user, post_id: postId, price_coins: 0, source: 'reward', ledger_ref: null }).execute();
    const ent = await tdb.db.selectFrom('entitlements').selectAll().where('user_id', '=', user).executeTakeFirstOrThrow();
    const licence = await ensureLicence(tdb.db, ent, new Date());
    const verified = await verifyLicence(tdb.db, { key: licence.licence_key, account: '778899', accountType: 'real', server: 'Broker-Live01', productId: 'gold-scalper', eaVersion: '1.0', now: new Date() });
    expect(verified.reason).toBe('activated');
    const items = (await exportAll(user, `user${user}@example.test`)).filter((i) => i.group_id === 'goldcoin-licences');
    expect(items).toHaveLength(1);
    expect(value(items[0], 'Licence key')).toBe(licence.licence_key);
    expect(value(items[0], 'Trading account 1')).toContain('778899 (real, Broker-Live01)');
    expect(value(items[0], 'Event 2')).toContain('activate by ea (778899)');
    const [erased] = await eraseAll(user);
    expect(erased!.messages.join(' ')).toContain('licences');
    expect(await tdb.db.selectFrom('licence_activations').selectAll().where('licence_id', '=', licence.id).execute()).toHaveLength(1);
  });
});

describe('an administrator', () => {
  it('keeps their catalog changes after erasure, without the name recorded with them', async () => {
    const adminId = await createWpUser(tdb.db);
    const catalog = harness.legacy.deps.catalog;
    const before = await catalog.current();
    const changed = await catalog.update({ pricing: { ...before.doc.pricing, coin_price: '1.10' } }, before.version, { id: adminId, name: 'Wang Fang' });
    expect(changed.ok).toBe(true);
    try {
      const exported = (await exportAll(adminId, `user${adminId}@example.test`)).filter((i) => i.group_id === 'goldcoin-catalog-changes');
      expect(exported.map((i) => value(i, 'Name recorded'))).toEqual(['Wang Fang']);
      const [erased] = await eraseAll(adminId);
      expect(erased!.messages.join(' ')).toContain('catalog changes');
      const audit = await tdb.db.selectFrom('catalog_audit').selectAll().where('actor', '=', `admin:${adminId}`).execute();
      expect(audit.map((a) => [a.section, a.actor_name])).toEqual([['pricing', ERASED]]);
    } finally {
      const now = await catalog.current();
      await catalog.update({ pricing: before.doc.pricing }, now.version, { id: 1, name: 'test' });
    }
  });
});

describe('IPN body retention', () => {
  it('empties bodies older than the retention days, keeps their verdict rows, and leaves newer ones', async () => {
    const u = await payingUser('legacy', `kept.${seq}@example.test`);
    const rows = await ipnRows(u.txnId);
    const old = rows[0]!;
    await sql`UPDATE ${sql.table('ipn_log')} SET received_at = ${new Date(Date.now() - 31 * 86_400_000)} WHERE id = ${old.id}`.execute(tdb.db);
    // A clock that stands still: the cleared rows carry exactly its time.
    let nowMs = Date.now();
    const clock = { now: () => new Date(nowMs) };
    const job = ipnRetentionJob({ db: tdb.db, clock, log: createLogger('error'), retentionDays: 30 });
    expect(await job.runOnce()).toBeGreaterThanOrEqual(1);
    const after = await ipnRows(u.txnId);
    const cleared = after.find((r) => r.id === old.id)!;
    expect([cleared.raw_body, cleared.verdict, cleared.reason, cleared.txn_id]).toEqual(['', old.verdict, old.reason, old.txn_id]);
    expect(cleared.body_cleared_at?.getTime()).toBe(clock.now().getTime());
    for (const r of after.filter((x) => x.id !== old.id)) expect([r.raw_body, r.body_cleared_at]).toEqual([rows.find((x) => x.id === r.id)!.raw_body, null]);
    // A second pass finds nothing; a clock 30 days on clears the rest; 0 days keeps bodies for good.
    expect(await clearOldIpnBodies(tdb.db, clock.now(), 30)).toBe(0);
    expect(await clearOldIpnBodies(tdb.db, new Date(clock.now().getTime() + 400 * 86_400_000), 0)).toBe(0);
    nowMs += 31 * 86_400_000;
    expect(await job.runOnce()).toBeGreaterThanOrEqual(after.length - 1);
    expect((await ipnRows(u.txnId)).every((r) => r.raw_body === '' && r.body_cleared_at !== null)).toBe(true);
    expect((await checkInvariants(tdb.db, [u.user])).ok).toBe(true);
  });
});

describe('anonymiseBody', () => {
  it('replaces the buyer fields of a form body and of a JSON body, any case of the email, and a truncated JSON body', () => {
    expect(anonymiseBody('txn_id=CP1&buyer_name=Li+Lei&email=Li%40Example.test&amount1=10', ['li@example.test'])).toBe(
      `txn_id=CP1&buyer_name=${encodeURIComponent(ERASED)}&email=${encodeURIComponent(ERASED)}&amount1=10`,
    );
    const json = JSON.parse(anonymiseBody(JSON.stringify({ id: 'e1', invoice: { buyer: { name: { firstName: 'Li' }, emailAddress: 'li@example.test' }, payment: { refundEmail: 'LI@example.test' }, amount: '10' } }), []));
    expect(json).toEqual({ id: 'e1', invoice: { buyer: ERASED, payment: { refundEmail: ERASED }, amount: '10' } });
    expect(anonymiseBody('{"invoice":{"buyer":{"emailAddress":"li@example.test","na', ['li@example.test'])).toBe(`{"invoice":{"buyer":{"emailAddress":"${ERASED}","na`);
  });
});

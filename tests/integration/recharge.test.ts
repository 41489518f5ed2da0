// Recharges end to end against MariaDB and the CoinPayments simulator: create, pay, credit once, read back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../sidecar/src/clock.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { silentLogger } from '../../sidecar/src/log.js';
import { emailOutboxJob } from '../../sidecar/src/notify/email-job.js';
import { createSmtpMailer } from '../../sidecar/src/notify/mailer.js';
import { startSimulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { createRecharge } from '../../sidecar/src/payments/recharges.js';
import { buildTestApp, mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { movableClock, SIM_KEYS, startPaymentsHarness, wrapProvider, type PaymentsHarness } from '../support/payments.js';
import { startSmtpSink } from '../support/smtp-sink.js';

let tdb: TestDatabase;
let h: PaymentsHarness;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  h = await startPaymentsHarness(tdb);
});
afterAll(async () => {
  await h?.close();
  await tdb?.drop();
});

let keySeq = 0;
const newKey = () => `test-key-${Date.now()}-${keySeq++}`;

async function create(userId: number, body: unknown, key = newKey(), harness = h) {
  const res = await harness.call('POST', '/api/recharges', { token: await mintToken(userId), body, headers: { 'Idempotency-Key': key } });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

async function ledgerRows(userId: number) {
  return tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

describe('GET /api/packages', () => {
  it('returns the seed packages, limits, bonus tiers and methods', async () => {
    const res = await h.call('GET', '/api/packages', { token: await mintToken(await createWpUser(tdb.db)) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      currency: 'CNY',
      packages: [
        { id: 'p22', coins: 22, bonus_coins: 0, price: '22.00' },
        { id: 'p52', coins: 52, bonus_coins: 0, price: '52.00' },
        { id: 'p200', coins: 200, bonus_coins: 0, price: '200.00' },
        { id: 'p500', coins: 500, bonus_coins: 0, price: '500.00' },
      ],
      custom: { min_coins: 10, max_coins: 50_000, daily_max_coins: 100_000, coin_price: '1.00' },
      bonus_tiers: [{ min_coins: 1000, bonus_percent: 10 }],
      methods: [
        { id: 'USDT', networks: ['USDT.TRC20', 'USDT.ERC20', 'USDT.BEP20', 'USDT.SOL'], default_network: 'USDT.TRC20' },
        { id: 'CoinPayment', currencies: ['BTC', 'LTC', 'ETH', 'USDT.TRC20', 'USDT.ERC20', 'USDT.BEP20', 'USDT.SOL'] },
      ],
    });
  });

  it('requires a token', async () => {
    expect((await h.call('GET', '/api/packages')).status).toBe(401);
  });
});

describe('POST /api/recharges', () => {
  it('creates a pending recharge with payment instructions from a frozen server-side quote', async () => {
    const user = await createWpUser(tdb.db);
    const { status, json } = await create(user, { package_id: 'p52', method: 'USDT' });
    expect(status).toBe(201);
    expect(json).toMatchObject({
      status: 'pending',
      coins: 52,
      bonus_coins: 0,
      price: { amount: '52.00', currency: 'CNY' },
      amount_usd: '7.28',
      coins_credited: 0,
      bonus_credited: 0,
      completed_at: null,
      failed_reason: null,
    });
    const p = json['payment'];
    expect(p.txn_id).toMatch(/^CP[A-Z0-9]{24}$/);
    expect(p.currency).toBe('USDT.TRC20');
    // 52 CNY at the simulator's rates (1 CNY = 0.14 USDT) is 7.28 USDT.
    expect(p.amount).toBe('7.28');
    expect(p.address).toMatch(/^T/);
    expect(p.dest_tag).toBeNull();
    expect(p.confirms_needed).toBe(20);
    expect(p.qr).toBe(p.address);
    expect(p.checkout_url).toContain(h.sim.url);
    expect(p.status_url).toContain(h.sim.url);
    expect(new Date(p.expires_at).getTime()).toBeGreaterThan(Date.now() + 5_000_000);
    // What CoinPayments was asked: our id as invoice, the token's e-mail, our IPN URL, the price in CNY.
    const tx = h.sim.transaction(p.txn_id)!;
    expect(tx).toMatchObject({
      invoice: String(json['id']),
      buyerEmail: `user${user}@example.test`,
      ipnUrl: `${h.url}/ipn/coinpayments`,
      currency1: 'CNY',
      amount1: '52.00',
      currency2: 'USDT.TRC20',
    });
  });

  it('refuses a price from the browser: unknown fields are invalid', async () => {
    const user = await createWpUser(tdb.db);
    const r = await create(user, { package_id: 'p52', method: 'USDT', price: '0.01' });
    expect(r.status).toBe(400);
    expect(r.json['error'].code).toBe('invalid_request');
  });

  it('answers a replayed Idempotency-Key with the same recharge and opens one provider transaction', async () => {
    const user = await createWpUser(tdb.db);
    const key = newKey();
    const before = h.sim.transactions().length;
    const a = await create(user, { coins: 100, method: 'CoinPayment', currency: 'BTC' }, key);
    const b = await create(user, { coins: 100, method: 'CoinPayment', currency: 'BTC' }, key);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.json).toEqual(a.json);
    expect(h.sim.transactions().length).toBe(before + 1);
    expect(a.json['payment'].qr).toMatch(/^bitcoin:bc1q[a-z0-9]+\?amount=0\.00014$/);
    const other = await create(user, { coins: 101, method: 'CoinPayment', currency: 'BTC' }, key);
    expect(other.status).toBe(422);
  });

  it('refuses bad requests with stable codes and creates nothing', async () => {
    const user = await createWpUser(tdb.db);
    const cases: Array<[unknown, string]> = [
      [{ package_id: 'p1', method: 'USDT' }, 'unknown_package'],
      [{ coins: 5, method: 'USDT' }, 'amount_below_minimum'],
      [{ coins: 50_001, method: 'USDT' }, 'amount_above_maximum'],
      [{ coins: 100, method: 'PayPal' }, 'unsupported_method'],
      [{ coins: 100, method: 'USDT', network: 'USDT.OMNI' }, 'unsupported_currency'],
      [{ coins: 100, method: 'CoinPayment', currency: 'LTCT' }, 'unsupported_currency'],
      [{ coins: 1.5, method: 'USDT' }, 'invalid_request'],
      [{ method: 'USDT' }, 'invalid_request'],
    ];
    for (const [body, code] of cases) {
      const r = await create(user, body);
      expect([r.status, r.json['error']?.code]).toEqual([400, code]);
    }
    const missingKey = await h.call('POST', '/api/recharges', { token: await mintToken(user), body: { package_id: 'p22', method: 'USDT' } });
    expect(missingKey.status).toBe(400);
    const rows = await tdb.db.selectFrom('recharge_transactions').select('id').where('user_id', '=', user).execute();
    expect(rows).toHaveLength(0);
  });

  it('enforces the daily maximum across recharges, even when requests race', async () => {
    const user = await createWpUser(tdb.db);
    // Daily max 100,000 and per purchase 50,000: of four concurrent 40,000-coin requests, two fit.
    const results = await Promise.all(Array.from({ length: 4 }, () => create(user, { coins: 40_000, method: 'USDT' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.json['error']?.code === 'daily_limit_exceeded')).toHaveLength(2);
  });

  it('answers 502 provider_unavailable and credits nothing when CoinPayments refuses or is down', async () => {
    const user = await createWpUser(tdb.db);
    const wrongKey = buildTestApp(tdb, { env: { COINPAYMENTS_API_URL: h.sim.apiUrl, COINPAYMENTS_PRIVATE_KEY: 'not-the-key' } });
    const r1 = await create(user, { package_id: 'p22', method: 'USDT' }, newKey(), { ...h, call: wrongKey.call });
    expect([r1.status, r1.json['error'].code]).toEqual([502, 'provider_unavailable']);
    const down = buildTestApp(tdb, { env: { COINPAYMENTS_API_URL: 'http://127.0.0.1:9/api.php', COINPAYMENTS_TIMEOUT_MS: '1000' } });
    const key = newKey();
    const r2 = await create(user, { package_id: 'p22', method: 'USDT' }, key, { ...h, call: down.call });
    expect([r2.status, r2.json['error'].code]).toEqual([502, 'provider_unavailable']);
    const rows = await tdb.db.selectFrom('recharge_transactions').selectAll().where('user_id', '=', user).execute();
    expect(rows.map((r) => [r.status, r.failed_reason, r.txn_id])).toEqual([
      ['failed', 'provider_unavailable', null],
      ['failed', 'provider_unavailable', null],
    ]);
    expect(await readBalance(tdb.db, user)).toBe(0);
    // The key is free again: the same key works once the provider is back.
    const retry = await create(user, { package_id: 'p22', method: 'USDT' }, key);
    expect(retry.status).toBe(201);
  });
});

describe('the provider answering after the row moved on', () => {
  it('does not store the late answer on a recharge that is no longer pending, logs it, and returns the row as it is', async () => {
    const user = await createWpUser(tdb.db);
    const real = h.deps.provider;
    let rechargeId = 0;
    // create_transaction answers so late that the row was failed as abandoned meanwhile.
    const slow = wrapProvider(real, {
      async createPayment(req) {
        rechargeId = req.rechargeId;
        const answer = await real.createPayment(req);
        await tdb.db
          .updateTable('recharge_transactions')
          .set({ status: 'failed', failed_reason: 'abandoned', failed_at: new Date(), idempotency_key: null })
          .where('id', '=', req.rechargeId)
          .execute();
        return answer;
      },
    });
    const warnings: Array<Record<string, unknown>> = [];
    const log = { ...silentLogger, warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, ...fields }) };
    const result = await createRecharge(
      { db: tdb.db, provider: slow, recharge: h.config.recharge, priceCurrency: h.config.priceCurrency, clock: systemClock, log },
      { id: user, email: 'late@example.test', name: 'Late', locale: 'en_US' },
      { packageId: 'p22', method: 'USDT' },
      newKey(),
    );
    expect(result.ok && [result.recharge.id, result.recharge.status, result.recharge.failed_reason, result.recharge.txn_id]).toEqual([rechargeId, 'failed', 'abandoned', null]);
    const row = await tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', rechargeId).executeTakeFirstOrThrow();
    expect([row.status, row.txn_id, row.address, row.next_reconcile_at]).toEqual(['failed', null, null, null]);
    const txnId = h.sim.transactions().find((t) => t.invoice === String(rechargeId))!.txnId;
    expect(warnings).toEqual([expect.objectContaining({ recharge_id: rechargeId, txn_id: txnId, status: 'failed' })]);
  });
});

describe('paying a recharge', () => {
  it('credits coins and bonus exactly once, records the notification, and reports it back', async () => {
    const user = await createWpUser(tdb.db);
    const { json } = await create(user, { coins: 1000, method: 'USDT', network: 'USDT.BEP20' });
    expect(json['bonus_coins']).toBe(100);
    const deliveries = await h.sim.pay(json['payment'].txn_id, { pendingFirst: true });
    expect(deliveries.map((d) => [d.status, d.httpStatus, d.answer])).toEqual([
      [0, 200, 'IPN OK'],
      [1, 200, 'IPN OK'],
      [100, 200, 'IPN OK'],
    ]);
    expect(await readBalance(tdb.db, user)).toBe(1100);
    const rows = await ledgerRows(user);
    expect(rows.map((r) => [r.kind, r.delta_coins, r.idempotency_ref])).toEqual([
      ['recharge', 1000, `recharge:coinpayments:${json['payment'].txn_id}`],
      ['bonus', 100, `bonus:coinpayments:${json['payment'].txn_id}`],
    ]);
    const wallet = await tdb.db.selectFrom('user_wallet').selectAll().where('user_id', '=', user).executeTakeFirstOrThrow();
    expect(wallet.last_recharge_at).not.toBeNull();
    const token = await mintToken(user);
    const got = (await (await h.call('GET', `/api/recharges/${json['id']}`, { token })).json()) as Record<string, any>;
    expect(got).toMatchObject({ status: 'completed', coins_credited: 1000, bonus_credited: 100, failed_reason: null });
    expect(got['completed_at']).not.toBeNull();
    expect(got['payment'].received_amount).toBe(json['payment'].amount);
    const walletApi = (await (await h.call('GET', '/api/wallet', { token })).json()) as Record<string, any>;
    expect(walletApi['balance']).toBe(1100);
    const notes = await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', user).execute();
    expect(notes.map((n) => [n.kind, n.dedupe_key, JSON.parse(n.data)])).toEqual([
      ['recharge_completed', `recharge:${json['id']}:completed`, { recharge_id: json['id'], coins: 1000, bonus_coins: 100 }],
    ]);
    expect((await checkInvariants(tdb.db, [user])).problems).toEqual([]);
  });

  it('credits an underpayment in proportion, rounding down, with the bonus of the coins credited (default policy)', async () => {
    const user = await createWpUser(tdb.db);
    const { json } = await create(user, { coins: 1000, method: 'USDT' });
    await h.sim.pay(json['payment'].txn_id, { underpayPercent: 25 });
    const row = await tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', json['id']).executeTakeFirstOrThrow();
    // 750 coins are below the 1000:10 tier: no bonus, as a 750-coin quote would get.
    expect([row.status, row.coins_credited, row.bonus_credited]).toEqual(['completed', 750, 0]);
    expect(await readBalance(tdb.db, user)).toBe(750);
    const big = await createWpUser(tdb.db);
    const second = (await create(big, { coins: 2000, method: 'USDT' })).json;
    await h.sim.pay(second['payment'].txn_id, { underpayPercent: 25 });
    // 1,500 coins still reach the tier: 10 % of what was credited.
    expect(await readBalance(tdb.db, big)).toBe(1650);
  });

  it('holds an underpayment for review under RECHARGE_UNDERPAYMENT=hold and credits nothing', async () => {
    const held = await startPaymentsHarness(tdb, { env: { RECHARGE_UNDERPAYMENT: 'hold' } });
    try {
      const user = await createWpUser(tdb.db);
      const { json } = await create(user, { coins: 200, method: 'USDT' }, newKey(), held);
      const d = await held.sim.pay(json['payment'].txn_id, { underpayPercent: 10 });
      expect(d[0]!.answer).toBe('IPN OK');
      const row = await tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', json['id']).executeTakeFirstOrThrow();
      expect([row.status, row.hold_reason, row.coins_credited]).toEqual(['pending', 'underpaid', 0]);
      expect(await readBalance(tdb.db, user)).toBe(0);
    } finally {
      await held.close();
    }
  });

  it('credits the quoted coins, no more, for an overpayment', async () => {
    const user = await createWpUser(tdb.db);
    const { json } = await create(user, { package_id: 'p200', method: 'CoinPayment', currency: 'LTC' });
    await h.sim.pay(json['payment'].txn_id, { overpayPercent: 50 });
    expect(await readBalance(tdb.db, user)).toBe(200);
  });
});

describe("notifications in the buyer's language, with amounts", () => {
  it('emails a zh_CN buyer the completion in Chinese, from the locale stored on the recharge', async () => {
    const user = await createWpUser(tdb.db);
    const token = await mintToken(user, { locale: 'zh_CN' });
    const res = await h.call('POST', '/api/recharges', { token, body: { coins: 1000, method: 'USDT' }, headers: { 'Idempotency-Key': newKey() } });
    expect(res.status).toBe(201);
    const { id, payment } = (await res.json()) as { id: number; payment: { txn_id: string } };
    expect((await tdb.db.selectFrom('recharge_transactions').select('locale').where('id', '=', id).executeTakeFirstOrThrow()).locale).toBe('zh_CN');
    await h.sim.pay(payment.txn_id);
    const note = await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', user).executeTakeFirstOrThrow();
    expect([note.kind, note.locale, JSON.parse(note.data)]).toEqual(['recharge_completed', 'zh_CN', { recharge_id: id, coins: 1000, bonus_coins: 100 }]);

    const sink = await startSmtpSink();
    const mailer = createSmtpMailer({ smtpUrl: sink.url, from: '"Test Site" <no-reply@wp.test>', timeoutMs: 2_000 });
    try {
      // A little ahead of the database's clock, so the row it just stamped is due.
      const job = emailOutboxJob({ db: tdb.db, clock: { now: () => new Date(Date.now() + 1_000) }, log: silentLogger, mailer, siteName: 'Test Site', siteUrl: 'http://wp.test', intervalMs: 1_000, maxAttempts: 5 });
      await job.runOnce();
      const email = (await tdb.db.selectFrom('users').select('user_email').where('ID', '=', user).executeTakeFirstOrThrow()).user_email;
      const mail = await sink.waitFor((m) => m.envelopeTo.includes(email));
      expect(mail.subject).toBe('[Test Site] 充值成功');
      expect(mail.text).toContain('您已成功充值 1,000 金币（赠送 100）');
    } finally {
      mailer.close();
      await sink.close();
    }
  });

  it('says how many coins an expired recharge was for, and why, in the buyer\'s language', async () => {
    const user = await createWpUser(tdb.db);
    const res = await h.call('POST', '/api/recharges', {
      token: await mintToken(user, { locale: 'zh_CN' }),
      body: { package_id: 'p52', method: 'USDT' },
      headers: { 'Idempotency-Key': newKey() },
    });
    const { id, payment } = (await res.json()) as { id: number; payment: { txn_id: string } };
    await h.sim.expire(payment.txn_id);
    const note = await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', user).executeTakeFirstOrThrow();
    expect([note.kind, note.locale, JSON.parse(note.data)]).toEqual([
      'recharge_expired',
      'zh_CN',
      { recharge_id: id, coins: 52, bonus_coins: 0, reason: 'expired' },
    ]);
    const inbox = await h.call('GET', '/api/notifications', { token: await mintToken(user, { locale: 'en_US' }) });
    const [item] = ((await inbox.json()) as { notifications: Array<{ title: string; body: string }> }).notifications;
    expect(item).toMatchObject({ title: 'Recharge expired' });
    expect(item!.body).toContain('Your recharge of 52 gold coins expired');
  });
});

describe('reading recharges', () => {
  it("shows a recharge only to its owner and lists the user's own, newest first", async () => {
    const owner = await createWpUser(tdb.db);
    const stranger = await createWpUser(tdb.db);
    const a = await create(owner, { package_id: 'p22', method: 'USDT' });
    const b = await create(owner, { package_id: 'p500', method: 'USDT' });
    expect((await h.call('GET', `/api/recharges/${a.json['id']}`, { token: await mintToken(stranger) })).status).toBe(404);
    expect((await h.call('GET', `/api/recharges/${a.json['id']}/events`, { token: await mintToken(stranger) })).status).toBe(404);
    expect((await h.call('GET', '/api/recharges/abc', { token: await mintToken(owner) })).status).toBe(400);
    const page1 = (await (await h.call('GET', '/api/recharges?limit=1', { token: await mintToken(owner) })).json()) as Record<string, any>;
    expect(page1['recharges'].map((r: { id: number }) => r.id)).toEqual([b.json['id']]);
    const page2 = (await (await h.call('GET', `/api/recharges?limit=1&cursor=${page1['next_cursor']}`, { token: await mintToken(owner) })).json()) as Record<string, any>;
    expect(page2['recharges'].map((r: { id: number }) => r.id)).toEqual([a.json['id']]);
    expect(page2['next_cursor']).toBeNull();
    const strangers = (await (await h.call('GET', '/api/recharges', { token: await mintToken(stranger) })).json()) as Record<string, any>;
    expect(strangers['recharges']).toEqual([]);
  });

  it('streams the state over SSE: pending on connect, completed after payment, then closes', async () => {
    const user = await createWpUser(tdb.db);
    const { json } = await create(user, { package_id: 'p52', method: 'USDT' });
    const sse = await startPaymentsHarness(tdb, { env: { RECHARGE_EVENTS_POLL_MS: '100' } });
    try {
      const res = await fetch(`${sse.url}/api/recharges/${json['id']}/events`, { headers: { Authorization: `Bearer ${await mintToken(user)}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const events: Array<Record<string, any>> = [];
      const readEvents = async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += decoder.decode(value, { stream: true });
          let i;
          while ((i = text.indexOf('\n\n')) >= 0) {
            const chunk = text.slice(0, i);
            text = text.slice(i + 2);
            const data = chunk.split('\n').find((l) => l.startsWith('data: '));
            if (chunk.includes('event: status') && data) {
              events.push(JSON.parse(data.slice(6)) as Record<string, any>);
              if (events.length === 1) void h.sim.pay(json['payment'].txn_id);
            }
          }
        }
      };
      await Promise.race([readEvents(), new Promise((_, reject) => setTimeout(() => reject(new Error('SSE did not close')), 10_000))]);
      expect(events[0]).toMatchObject({ id: json['id'], status: 'pending' });
      expect(events[events.length - 1]).toMatchObject({ id: json['id'], status: 'completed', coins_credited: 52 });
    } finally {
      await sse.close();
    }
  });
});

describe('the SSE stream bound', () => {
  it('closes a stream of a still-pending recharge after RECHARGE_EVENTS_MAX_S', async () => {
    const user = await createWpUser(tdb.db);
    const { json } = await create(user, { package_id: 'p22', method: 'USDT' });
    const short = await startPaymentsHarness(tdb, { env: { RECHARGE_EVENTS_MAX_S: '1', RECHARGE_EVENTS_POLL_MS: '100' } });
    try {
      const started = Date.now();
      const res = await fetch(`${short.url}/api/recharges/${json['id']}/events`, { headers: { Authorization: `Bearer ${await mintToken(user)}` } });
      const text = await Promise.race([res.text(), new Promise<string>((_, reject) => setTimeout(() => reject(new Error('stream did not end')), 5_000))]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      expect(text.match(/event: status/g)).toHaveLength(1);
      expect(text).toContain('"status":"pending"');
    } finally {
      await short.close();
    }
  });

  it('caps open streams per user (429 too_many_streams) and frees a slot when a stream ends or its client leaves', async () => {
    const user = await createWpUser(tdb.db);
    const other = await createWpUser(tdb.db);
    const a = (await create(user, { package_id: 'p22', method: 'USDT' })).json;
    const b = (await create(user, { package_id: 'p22', method: 'USDT' })).json;
    const o = (await create(other, { package_id: 'p22', method: 'USDT' })).json;
    const capped = await startPaymentsHarness(tdb, { env: { RECHARGE_EVENTS_MAX_STREAMS_PER_USER: '2', RECHARGE_EVENTS_POLL_MS: '100' } });
    const open: AbortController[] = [];
    const stream = async (owner: number, id: number) => {
      const ctl = new AbortController();
      open.push(ctl);
      const res = await fetch(`${capped.url}/api/recharges/${id}/events`, { headers: { Authorization: `Bearer ${await mintToken(owner)}` }, signal: ctl.signal });
      return { res, ctl };
    };
    try {
      const first = await stream(user, a['id']);
      const second = await stream(user, b['id']);
      expect([first.res.status, second.res.status]).toEqual([200, 200]);
      const third = await stream(user, a['id']);
      expect(third.res.status).toBe(429);
      expect(((await third.res.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
      // Another user's streams count apart.
      expect((await stream(other, o['id'])).res.status).toBe(200);

      // A client leaving frees its slot (the server notices the closed connection: poll with a bound).
      first.ctl.abort();
      let again: Awaited<ReturnType<typeof stream>> | null = null;
      for (let i = 0; i < 50 && again?.res.status !== 200; i++) {
        if (again) await new Promise((r) => setTimeout(r, 50));
        again = await stream(user, a['id']);
      }
      expect(again!.res.status).toBe(200);
      expect((await stream(user, a['id'])).res.status).toBe(429);

      // A stream ending on its own (the recharge completed) frees its slot too.
      await h.sim.pay(b['payment'].txn_id);
      const text = await Promise.race([second.res.text(), new Promise<string>((_, reject) => setTimeout(() => reject(new Error('stream did not end')), 5_000))]);
      expect(text).toContain('"status":"completed"');
      let afterEnd = 0;
      for (let i = 0; i < 50 && afterEnd !== 200; i++) {
        if (afterEnd) await new Promise((r) => setTimeout(r, 50));
        afterEnd = (await stream(user, b['id'])).res.status;
      }
      expect(afterEnd).toBe(200);
    } finally {
      for (const ctl of open) ctl.abort();
      await capped.close();
    }
  });
});

describe('the SSE stream and its token', () => {
  it("ends a still-pending recharge's stream when its token expires", async () => {
    const user = await createWpUser(tdb.db);
    const { json } = await create(user, { package_id: 'p22', method: 'USDT' });
    const clock = movableClock();
    const sse = await startPaymentsHarness(tdb, { clock, env: { RECHARGE_EVENTS_POLL_MS: '100' } });
    try {
      const token = await mintToken(user, { expiresInS: 120 });
      const res = await fetch(`${sse.url}/api/recharges/${json['id']}/events`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!text.includes('event: status')) text += decoder.decode((await reader.read()).value, { stream: true });
      // Well inside RECHARGE_EVENTS_MAX_S (600 s), past the token's exp: the next poll ends the stream.
      clock.advance(121_000);
      const rest = async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text += decoder.decode(value, { stream: true });
        }
      };
      await Promise.race([rest(), new Promise((_, reject) => setTimeout(() => reject(new Error('stream outlived its token')), 5_000))]);
      expect(text.match(/event: status/g)).toHaveLength(1);
      expect(text).toContain('"status":"pending"');
    } finally {
      await sse.close();
    }
  });

  it('caps open streams per instance, all users together (RECHARGE_EVENTS_MAX_STREAMS), 429 beyond', async () => {
    const users = await Promise.all([0, 1, 2].map(() => createWpUser(tdb.db)));
    const ids: number[] = [];
    for (const u of users) ids.push((await create(u, { package_id: 'p22', method: 'USDT' })).json['id'] as number);
    const capped = await startPaymentsHarness(tdb, { env: { RECHARGE_EVENTS_MAX_STREAMS: '2', RECHARGE_EVENTS_POLL_MS: '100' } });
    const open: AbortController[] = [];
    const stream = async (i: number) => {
      const ctl = new AbortController();
      open.push(ctl);
      const res = await fetch(`${capped.url}/api/recharges/${ids[i]}/events`, { headers: { Authorization: `Bearer ${await mintToken(users[i]!)}` }, signal: ctl.signal });
      return { res, ctl };
    };
    try {
      const first = await stream(0);
      expect((await stream(1)).res.status).toBe(200);
      const third = await stream(2);
      expect(third.res.status).toBe(429);
      expect(third.res.headers.get('Retry-After')).toBe('1');
      expect(((await third.res.json()) as { error: { code: string } }).error.code).toBe('too_many_streams');
      first.ctl.abort();
      let again = 0;
      for (let i = 0; i < 50 && again !== 200; i++) {
        if (again) await new Promise((r) => setTimeout(r, 50));
        again = (await stream(2)).res.status;
      }
      expect(again).toBe(200);
    } finally {
      for (const ctl of open) ctl.abort();
      await capped.close();
    }
  });
});

describe('the API surface', () => {
  it('documents the payment routes in the OpenAPI document', async () => {
    const doc = (await (await h.call('GET', '/openapi.json')).json()) as { paths: Record<string, unknown> };
    for (const p of ['/api/packages', '/api/recharges', '/api/recharges/{id}', '/api/recharges/{id}/events', '/ipn/coinpayments']) {
      expect(doc.paths[p]).toBeDefined();
    }
  });

  it('rate-limits starting recharges per user (429 rate_limited with Retry-After)', async () => {
    const limited = await startPaymentsHarness(tdb, { env: { RATE_LIMIT_RECHARGE: '2' } });
    try {
      const user = await createWpUser(tdb.db);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await create(user, { package_id: 'p22', method: 'USDT' }, newKey(), limited)).status);
      expect(statuses).toEqual([201, 201, 429]);
    } finally {
      await limited.close();
    }
  });
});

describe('the simulator as the only CoinPayments', () => {
  it('is a separate server: a second one with other keys refuses our signature', async () => {
    const other = await startSimulator({ ...SIM_KEYS, privateKey: 'another-private-key' });
    try {
      const app = buildTestApp(tdb, { env: { COINPAYMENTS_API_URL: other.apiUrl } });
      const user = await createWpUser(tdb.db);
      const r = await create(user, { package_id: 'p22', method: 'USDT' }, newKey(), { ...h, call: app.call });
      expect(r.status).toBe(502);
    } finally {
      await other.close();
    }
  });
});

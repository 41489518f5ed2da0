// Notifications against a real MariaDB and a real local SMTP sink: enqueue, outbox delivery, retries, API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../sidecar/src/db/retry.js';
import type { Clock } from '../../sidecar/src/clock.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { silentLogger } from '../../sidecar/src/log.js';
import { emailOutboxJob, retryDelayMs, type EmailOutboxOptions } from '../../sidecar/src/notify/email-job.js';
import { createSmtpMailer, type Mailer } from '../../sidecar/src/notify/mailer.js';
import { enqueueNotification, type NotificationRequest } from '../../sidecar/src/notify/outbox.js';
import { buildTestApp, mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const SITE = 'Test Site';
const SITE_URL = 'http://wp.test';

let tdb: TestDatabase;
let sink: SmtpSink;
const mailers: Mailer[] = [];

beforeAll(async () => {
  [tdb, sink] = await Promise.all([createTestDatabase(import.meta.filename), startSmtpSink()]);
});
afterAll(async () => {
  for (const m of mailers) m.close();
  await Promise.all([tdb?.drop(), sink?.close()]);
});

function mailerFor(url: string): Mailer {
  const m = createSmtpMailer({ smtpUrl: url, from: `"${SITE}" <no-reply@wp.test>`, timeoutMs: 2_000 });
  mailers.push(m);
  return m;
}

/** Starts a little after the database's own clock, so rows it just stamped are already due. */
function fakeClock() {
  let t = Date.now() + 1_000;
  const clock: Clock & { advance(ms: number): void } = { now: () => new Date(t), advance: (ms) => void (t += ms) };
  return clock;
}

function job(overrides: Partial<EmailOutboxOptions> = {}) {
  return emailOutboxJob({
    db: tdb.db,
    clock: fakeClock(),
    log: silentLogger,
    mailer: mailerFor(sink.url),
    siteName: SITE,
    siteUrl: SITE_URL,
    intervalMs: 1_000,
    maxAttempts: 5,
    ...overrides,
  });
}

const enqueue = (n: NotificationRequest) => inTransaction(tdb.db, (trx) => enqueueNotification(trx, n));

async function emailAddress(userId: number): Promise<string> {
  const u = await tdb.db.selectFrom('users').select('user_email').where('ID', '=', userId).executeTakeFirstOrThrow();
  return u.user_email;
}

async function outboxFor(dedupeKey: string) {
  return tdb.db
    .selectFrom('email_outbox as o')
    .innerJoin('notifications as n', 'n.id', 'o.notification_id')
    .select(['o.id', 'o.status', 'o.attempts', 'o.next_attempt_at', 'o.last_error', 'o.sent_at', 'o.lease_token'])
    .where('n.dedupe_key', '=', dedupeKey)
    .executeTakeFirstOrThrow();
}

describe('enqueueNotification', () => {
  it('leaves nothing behind when the surrounding transaction rolls back', async () => {
    const user = await createWpUser(tdb.db);
    await expect(
      inTransaction(tdb.db, async (trx) => {
        await enqueueNotification(trx, { userId: user, kind: 'unlock', dedupeKey: `rb:${user}`, data: { coins: 5 } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const rows = await tdb.db.selectFrom('notifications').select('id').where('user_id', '=', user).execute();
    expect(rows).toEqual([]);
    const emails = await tdb.db.selectFrom('email_outbox').select('id').execute();
    const known = await tdb.db.selectFrom('notifications').select('id').execute();
    expect(emails.length).toBe(known.length);
  });

  it('writes one notification and one email for a key enqueued many times, concurrently too', async () => {
    const user = await createWpUser(tdb.db);
    const n = { userId: user, kind: 'recharge_completed' as const, dedupeKey: `dup:${user}`, data: { coins: 52, bonus_coins: 5 } };
    await enqueue(n);
    await Promise.all(Array.from({ length: 10 }, () => enqueue(n)));
    const rows = await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', user).execute();
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]!.data)).toEqual({ coins: 52, bonus_coins: 5 });
    expect(rows[0]!.locale).toBe('en_US');
    const emails = await tdb.db.selectFrom('email_outbox').selectAll().where('notification_id', '=', rows[0]!.id).execute();
    expect(emails).toHaveLength(1);
  });

  it('does not break a money transaction that replays it after a ledger replay', async () => {
    const user = await createWpUser(tdb.db);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        inTransaction(tdb.db, async (trx) => {
          await enqueueNotification(trx, { userId: user, kind: 'adjustment', dedupeKey: `tx:${user}`, data: { coins: 3 } });
          await enqueueNotification(trx, { userId: user, kind: 'adjustment', dedupeKey: `tx:${user}`, data: { coins: 3 } });
          return 'committed';
        }),
      ),
    );
    expect(results).toEqual(Array(5).fill('committed'));
    const rows = await tdb.db.selectFrom('notifications').select('id').where('user_id', '=', user).execute();
    expect(rows).toHaveLength(1);
  });
});

describe('email outbox', () => {
  it('delivers a completed recharge in English to the address WordPress has for the user', async () => {
    const user = await createWpUser(tdb.db);
    const to = await emailAddress(user);
    await enqueue({ userId: user, kind: 'recharge_completed', dedupeKey: `en:${user}`, data: { recharge_id: 7, coins: 52, bonus_coins: 5, balance: 57 } });
    const pass = await job().runOnce();
    expect(pass.sent).toBeGreaterThanOrEqual(1);
    const m = await sink.waitFor((x) => x.envelopeTo.includes(to));
    expect(m.envelopeTo).toEqual([to]);
    expect(m.subject).toBe(`[${SITE}] Recharge complete`);
    expect(m.text).toContain('Your recharge of 52 gold coins (+5 bonus) is complete. Your balance is now 57 gold coins.');
    expect(m.html).toContain('Your recharge of 52 gold coins (+5 bonus) is complete.');
    expect(m.messageId).toMatch(/^<goldcoin-notification-\d+@wp\.test>$/);
    const row = await outboxFor(`en:${user}`);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null, lease_token: null });
    expect(row.sent_at).toBeInstanceOf(Date);
  });

  it('writes to a Chinese-speaking user in Simplified Chinese', async () => {
    const user = await createWpUser(tdb.db);
    const to = await emailAddress(user);
    await enqueue({ userId: user, kind: 'recharge_completed', dedupeKey: `zh:${user}`, locale: 'zh_CN', data: { coins: 52, bonus_coins: 5 } });
    await job().runOnce();
    const m = await sink.waitFor((x) => x.envelopeTo.includes(to));
    expect(m.subject).toBe(`[${SITE}] 充值成功`);
    expect(m.text).toContain('您已成功充值 52 金币（赠送 5）');
    expect(m.html).toContain('您已成功充值 52 金币（赠送 5）');
  });

  it('escapes HTML from notification data and WordPress names in the HTML part', async () => {
    const user = await createWpUser(tdb.db);
    const to = await emailAddress(user);
    await tdb.db.updateTable('users').set({ display_name: 'Eve <b>&' }).where('ID', '=', user).execute();
    await enqueue({ userId: user, kind: 'unlock', dedupeKey: `xss:${user}`, data: { post_title: '<script>alert(1)</script>', coins: 10 } });
    await job().runOnce();
    const m = await sink.waitFor((x) => x.envelopeTo.includes(to));
    expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(m.html).toContain('Hi Eve &lt;b&gt;&amp;,');
    expect(m.html).not.toContain('<script>');
    expect(m.text).toContain('You unlocked “<script>alert(1)</script>” for 10 gold coins.');
  });

  it('retries with exponential backoff while SMTP is down, then marks the email failed and keeps everything', async () => {
    const down = await startSmtpSink();
    const downUrl = down.url;
    await down.close();
    const user = await createWpUser(tdb.db);
    const key = `down:${user}`;
    await enqueue({ userId: user, kind: 'recharge_expired', dedupeKey: key, data: { coins: 22 } });
    const clock = fakeClock();
    const j = job({ clock, mailer: mailerFor(downUrl), maxAttempts: 3, retryBaseMs: 1_000, retryMaxMs: 60_000 });

    const attemptAt: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      attemptAt.push(clock.now().getTime());
      await j.runOnce();
      const row = await outboxFor(key);
      expect(row.attempts).toBe(attempt);
      expect(row.last_error).toMatch(/ECONNREFUSED|ECONNECTION/);
      expect(row.last_error).not.toContain('@');
      if (attempt < 3) {
        expect(row.status).toBe('pending');
        const delay = retryDelayMs(attempt, 1_000, 60_000);
        expect(row.next_attempt_at.getTime()).toBe(clock.now().getTime() + delay);
        clock.advance(delay - 1);
        await j.runOnce();
        expect((await outboxFor(key)).attempts).toBe(attempt);
        clock.advance(1);
      } else {
        expect(row.status).toBe('failed');
      }
    }
    expect(attemptAt[1]! - attemptAt[0]!).toBe(1_000);
    expect(attemptAt[2]! - attemptAt[1]!).toBe(2_000);
    clock.advance(3_600_000);
    await j.runOnce();
    expect(await outboxFor(key)).toMatchObject({ status: 'failed', attempts: 3 });
    const n = await tdb.db.selectFrom('notifications').select('id').where('dedupe_key', '=', key).execute();
    expect(n).toHaveLength(1);
  });

  it('delivers a message the server refused once it accepts mail again', async () => {
    const user = await createWpUser(tdb.db);
    const to = await emailAddress(user);
    const key = `refused:${user}`;
    await enqueue({ userId: user, kind: 'referral_earned', dedupeKey: key, data: { coins: 50, referred_name: 'Bob' } });
    const clock = fakeClock();
    const j = job({ clock, retryBaseMs: 1_000 });
    sink.refuse('try again later');
    try {
      await j.runOnce();
    } finally {
      sink.refuse(null);
    }
    expect(await outboxFor(key)).toMatchObject({ status: 'pending', attempts: 1 });
    expect((await outboxFor(key)).last_error).toContain('try again later');
    clock.advance(1_000);
    await j.runOnce();
    const m = await sink.waitFor((x) => x.envelopeTo.includes(to));
    expect(m.text).toContain('You earned 50 gold coins because Bob joined through your link.');
    expect(await outboxFor(key)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('sends each email exactly once with two senders running at once', async () => {
    const users = await Promise.all(Array.from({ length: 24 }, () => createWpUser(tdb.db)));
    const addresses = new Set(await Promise.all(users.map(emailAddress)));
    await Promise.all(users.map((u) => enqueue({ userId: u, kind: 'unlock', dedupeKey: `race:${u}`, data: { coins: 1 } })));
    const due = await tdb.db.selectFrom('email_outbox').select('id').where('status', '=', 'pending').execute();
    const a = job({ batchSize: 3 });
    const b = job({ batchSize: 3 });
    const claimed = { a: 0, b: 0 };
    for (let round = 0; round < 20; round++) {
      const [pa, pb] = await Promise.all([a.runOnce(), b.runOnce()]);
      claimed.a += pa.claimed;
      claimed.b += pb.claimed;
      if (pa.claimed === 0 && pb.claimed === 0) break;
    }
    expect(claimed.a + claimed.b).toBe(due.length);
    expect(claimed.a).toBeGreaterThan(0);
    expect(claimed.b).toBeGreaterThan(0);
    await sink.waitFor(() => sink.messages.filter((m) => addresses.has(m.envelopeTo[0]!)).length >= 24);
    const ours = sink.messages.filter((m) => addresses.has(m.envelopeTo[0]!));
    expect(ours).toHaveLength(24);
    expect(new Set(ours.map((m) => m.envelopeTo[0])).size).toBe(24);
    expect(new Set(ours.map((m) => m.messageId)).size).toBe(24);
    const rows = await tdb.db
      .selectFrom('email_outbox as o')
      .innerJoin('notifications as n', 'n.id', 'o.notification_id')
      .select(['o.status', 'o.attempts'])
      .where('n.dedupe_key', 'like', 'race:%')
      .execute();
    expect(rows).toHaveLength(24);
    for (const r of rows) expect(r).toEqual({ status: 'sent', attempts: 1 });
  });

  it('sends a row held by a sender that died once its lease runs out, and ignores the dead sender', async () => {
    const user = await createWpUser(tdb.db);
    const to = await emailAddress(user);
    const key = `lease:${user}`;
    await enqueue({ userId: user, kind: 'reward_redeemed', dedupeKey: key, data: { reward_name: 'VIP', coins: 100 } });
    const clock = fakeClock();
    const leaseMs = 60_000;
    const dead = 'd'.repeat(32);
    const { id } = await outboxFor(key);
    await tdb.db
      .updateTable('email_outbox')
      .set({ lease_token: dead, attempts: 1, next_attempt_at: new Date(clock.now().getTime() + leaseMs) })
      .where('id', '=', id)
      .execute();
    const j = job({ clock, leaseMs });
    await j.runOnce();
    expect(await outboxFor(key)).toMatchObject({ status: 'pending', attempts: 1, lease_token: dead });
    clock.advance(leaseMs);
    await j.runOnce();
    const m = await sink.waitFor((x) => x.envelopeTo.includes(to));
    expect(m.text).toContain('You redeemed “VIP” for 100 gold coins.');
    expect(await outboxFor(key)).toMatchObject({ status: 'sent', attempts: 2, lease_token: null });
  });

  it('gives up on a row whose senders keep dying before they settle it', async () => {
    const user = await createWpUser(tdb.db);
    const key = `crashloop:${user}`;
    await enqueue({ userId: user, kind: 'unlock', dedupeKey: key, data: { coins: 4 } });
    const { id } = await outboxFor(key);
    await tdb.db.updateTable('email_outbox').set({ attempts: 5, lease_token: 'e'.repeat(32) }).where('id', '=', id).execute();
    const clock = fakeClock();
    await job({ clock, maxAttempts: 5 }).runOnce();
    expect(await outboxFor(key)).toMatchObject({ status: 'failed', attempts: 6, last_error: 'attempts_exhausted' });
  });

  it('marks emails skipped when SMTP is not configured or the user has no address, keeping the notification', async () => {
    const user = await createWpUser(tdb.db);
    const noMail = await createWpUser(tdb.db);
    await tdb.db.updateTable('users').set({ user_email: '' }).where('ID', '=', noMail).execute();
    await enqueue({ userId: noMail, kind: 'unlock', dedupeKey: `nomail:${noMail}`, data: { coins: 2 } });
    await job().runOnce();
    expect(await outboxFor(`nomail:${noMail}`)).toMatchObject({ status: 'skipped', last_error: 'no_email_address' });

    await enqueue({ userId: user, kind: 'recharge_failed', dedupeKey: `off:${user}`, data: { coins: 22 } });
    await job({ mailer: null }).runOnce();
    expect(await outboxFor(`off:${user}`)).toMatchObject({ status: 'skipped', last_error: 'email_disabled', attempts: 1 });
    const n = await tdb.db.selectFrom('notifications').select('id').where('user_id', 'in', [user, noMail]).execute();
    expect(n).toHaveLength(2);
  });
});

describe('GET /api/notifications and POST /api/notifications/read', () => {
  async function seed(userId: number, count: number) {
    for (let i = 0; i < count; i++) {
      await enqueue({ userId, kind: 'recharge_completed', dedupeKey: `api:${userId}:${i}`, data: { coins: 10 + i, bonus_coins: 0 } });
    }
    const rows = await tdb.db.selectFrom('notifications').select('id').where('user_id', '=', userId).orderBy('id', 'desc').execute();
    return rows.map((r) => r.id);
  }

  it("pages the caller's own notifications newest first and never shows another user's", async () => {
    const { call } = buildTestApp(tdb);
    const alice = await createWpUser(tdb.db);
    const bob = await createWpUser(tdb.db);
    const aliceIds = await seed(alice, 5);
    const bobIds = await seed(bob, 2);
    const token = await mintToken(alice);
    const seen: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const res = await call('GET', `/api/notifications?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { notifications: Array<Record<string, unknown>>; unread_count: number; next_cursor: string | null };
      expect(body.unread_count).toBe(5);
      expect(body.notifications.length).toBeLessThanOrEqual(2);
      seen.push(...body.notifications.map((n) => n['id'] as number));
      cursor = body.next_cursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(aliceIds);
    for (const id of bobIds) expect(seen).not.toContain(id);

    const first = (await (await call('GET', '/api/notifications?limit=1', { token })).json()) as {
      notifications: Array<Record<string, unknown>>;
    };
    expect(first.notifications[0]).toEqual({
      id: aliceIds[0],
      kind: 'recharge_completed',
      title: 'Recharge complete',
      body: 'Your recharge of 14 gold coins is complete.',
      data: { coins: 14, bonus_coins: 0 },
      read_at: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it("renders titles and bodies in the reader's locale", async () => {
    const { call } = buildTestApp(tdb);
    const user = await createWpUser(tdb.db);
    await enqueue({ userId: user, kind: 'recharge_completed', dedupeKey: `loc:${user}`, data: { coins: 52, bonus_coins: 5 } });
    const res = await call('GET', '/api/notifications', { token: await mintToken(user, { locale: 'zh_CN' }) });
    const body = (await res.json()) as { notifications: Array<{ title: string; body: string }> };
    expect(body.notifications[0]).toMatchObject({ title: '充值成功', body: '您已成功充值 52 金币（赠送 5）。' });
  });

  it('marks chosen ids read, ignores ids that belong to someone else, then marks all read', async () => {
    const { call } = buildTestApp(tdb);
    const alice = await createWpUser(tdb.db);
    const bob = await createWpUser(tdb.db);
    const aliceIds = await seed(alice, 4);
    const bobIds = await seed(bob, 1);
    const token = await mintToken(alice);

    const some = await call('POST', '/api/notifications/read', { token, body: { ids: [aliceIds[0], aliceIds[1], bobIds[0]] } });
    expect(some.status).toBe(200);
    expect(await some.json()).toEqual({ unread_count: 2 });
    const bobList = (await (await call('GET', '/api/notifications', { token: await mintToken(bob) })).json()) as {
      notifications: Array<{ read_at: string | null }>;
      unread_count: number;
    };
    expect(bobList.unread_count).toBe(1);
    expect(bobList.notifications[0]!.read_at).toBeNull();

    const again = await call('POST', '/api/notifications/read', { token, body: { ids: [aliceIds[0]] } });
    expect(await again.json()).toEqual({ unread_count: 2 });
    const all = await call('POST', '/api/notifications/read', { token, body: { all: true } });
    expect(await all.json()).toEqual({ unread_count: 0 });
    const list = (await (await call('GET', '/api/notifications', { token })).json()) as {
      notifications: Array<{ read_at: string | null }>;
      unread_count: number;
    };
    expect(list.unread_count).toBe(0);
    for (const n of list.notifications) expect(n.read_at).toMatch(/^\d{4}-/);
  });

  it('counts notifications and unlock receipts together, and marks a receipt read by its id', async () => {
    const { call } = buildTestApp(tdb);
    const user = await createWpUser(tdb.db);
    await seed(user, 3);
    // Two unlock debits: receipts read from the ledger, with no notification row of their own.
    const funded = await applyMovement(tdb.db, { userId: user, deltaCoins: 2, kind: 'adjustment', idempotencyRef: `receipts-fund:${user}`, actor: 'test' });
    expect(funded.ok).toBe(true);
    for (const post of [900_001, 900_002]) {
      const r = await applyMovement(tdb.db, { userId: user, deltaCoins: -1, kind: 'unlock', idempotencyRef: `unlock:${user}:${post}`, actor: `user:${user}`, refType: 'post', refId: String(post) });
      expect(r.ok).toBe(true);
    }
    const token = await mintToken(user);
    const counts = async () => {
      const list = (await (await call('GET', '/api/notifications?limit=10', { token })).json()) as { unread_count: number; notifications: Array<{ id: number }> };
      const wallet = (await (await call('GET', '/api/wallet', { token })).json()) as { unread_notifications: number };
      return { list, wallet: wallet.unread_notifications };
    };
    const before = await counts();
    expect([before.list.unread_count, before.wallet]).toEqual([5, 5]);
    // A receipt's id is its ledger id negated; marking it read by id is an INSERT … SELECT over the ledger.
    const receiptIds = before.list.notifications.map((n) => n.id).filter((id) => id < 0);
    expect(receiptIds).toHaveLength(2);
    const marked = await call('POST', '/api/notifications/read', { token, body: { ids: [receiptIds[0]] } });
    expect(marked.status).toBe(200);
    expect(await marked.json()).toEqual({ unread_count: 4 });
    const after = await counts();
    expect([after.list.unread_count, after.wallet]).toEqual([4, 4]);
    expect(await (await call('POST', '/api/notifications/read', { token, body: { all: true } })).json()).toEqual({ unread_count: 0 });
  });

  it('refuses bad input with stable codes', async () => {
    const { call } = buildTestApp(tdb);
    const user = await createWpUser(tdb.db);
    const token = await mintToken(user);
    const code = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

    for (const q of ['limit=0', 'limit=101', 'limit=x', 'cursor=abc', 'cursor=0', 'cursor=-1']) {
      const res = await call('GET', `/api/notifications?${q}`, { token });
      expect(res.status, q).toBe(400);
      expect(await code(res), q).toBe('invalid_query');
    }
    const bodies: unknown[] = [{}, { ids: [] }, { ids: ['1'] }, { ids: [0] }, { ids: [1.5] }, { all: false }, { all: true, ids: [1] }, { ids: Array(101).fill(1) }, [1]];
    for (const body of bodies) {
      const res = await call('POST', '/api/notifications/read', { token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await code(res)).toBe('invalid_request');
    }
    const broken = await call('POST', '/api/notifications/read', { token, body: '{"ids":', headers: { 'Content-Type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(await code(broken)).toBe('invalid_json');
    const notJson = await call('POST', '/api/notifications/read', { token, body: 'ids=1', headers: { 'Content-Type': 'text/plain' } });
    expect(notJson.status).toBe(415);
    expect((await call('GET', '/api/notifications')).status).toBe(401);
    const doc = (await (await call('GET', '/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/notifications', '/api/notifications/read']));
    expect((await call('POST', '/api/notifications/read', { body: { all: true } })).status).toBe(401);
  });
});

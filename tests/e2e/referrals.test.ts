// Referrals end to end in a real WordPress and Chromium: a visitor opens a ?ref= link (kept in a first-party cookie),
// registers (bound by the plugin), recharges and the simulator pays; the referrer is credited once; a sockpuppet who
// logs in with the same link beyond the cap is refused, and the referrer's referral view says so in both languages.
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import type { Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { logInToWordPress, shown } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { startE2eSite, type E2eSite } from '../support/e2e-site.js';
import { loopbackHost, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.51.php for the run. */
const HOST = loopbackHost(51);
const CP = { publicKey: 'e2e_ref_public', privateKey: 'e2e_ref_private', merchantId: 'e2e_ref_merchant', ipnSecret: 'e2e_ref_ipn_secret' };
const REFERRER = { login: 'rita', password: 'rita-referrer-pass-1', email: 'rita@example.test' };
const VISITOR = { login: 'newcomer', password: 'newcomer-pass-1', email: 'newcomer@example.test' };
/** An account the referrer opened earlier, logging in through the referrer's own link. */
const PUPPET = { login: 'puppet', password: 'puppet-pass-1', email: 'puppet@example.test' };
const REWARD = 50;
const UI_TIMEOUT_MS = 15_000;
const LOGIN_TIMEOUT_MS = 45_000;
const SHOTS = '/tmp';

let site: E2eSite | undefined;
let wp: WordPressSite;
let tdb: TestDatabase;
let sim: Simulator;
let sidecarUrl: string;
let browser: Browser;
let referrerId: number;
let referralPageId: number;
let rechargePageId: number;
let code: string;

async function newPage(width = 1366, height = 900): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  return { context, page: await context.newPage() };
}

const bindingOf = (login: string) =>
  tdb.db
    .selectFrom('referral_bindings as b')
    .innerJoin('users as u', 'u.ID', 'b.referee_user_id')
    .select(['b.referee_user_id', 'b.referrer_user_id', 'b.outcome'])
    .where('u.user_login', '=', login)
    .executeTakeFirst();

/** Whether the plugin marked the user's referral as settled (it then asks the sidecar no more for them). */
const settled = async (userId: number) =>
  (await sql<{ n: number }>`SELECT COUNT(*) AS n FROM wp_usermeta WHERE user_id = ${userId} AND meta_key = 'goldcoin_referral_tried'`.execute(tdb.db)).rows[0]!.n > 0;

/** Pays the newest simulator transaction of this buyer and waits for the IPN's credit. */
async function payLatest(email: string): Promise<void> {
  await expect.poll(() => sim.transactions().filter((t) => t.buyerEmail === email).length, { timeout: UI_TIMEOUT_MS }).toBeGreaterThan(0);
  const txn = sim.transactions().filter((t) => t.buyerEmail === email).at(-1)!;
  const [delivery] = await sim.pay(txn.txnId);
  expect(delivery?.httpStatus).toBe(200);
}

beforeAll(async () => {
  site = await startE2eSite({
    name: 'referrals',
    host: HOST,
    simulator: CP,
    env: {
      RECHARGE_EVENTS_POLL_MS: '200',
      REFERRAL_REWARD_COINS: String(REWARD),
      REFERRAL_MIN_RECHARGE_COINS: '20',
      REFERRAL_MAX_REWARDS_PER_PERIOD: '1',
      REFERRAL_PERIOD_DAYS: '30',
    },
  });
  ({ wp, tdb, sidecarUrl, browser } = site);
  sim = site.sim!;
  const made = await wp.setup<{ id: number }[]>([
    { op: 'option', name: 'users_can_register', value: 1 },
    { op: 'user', ...REFERRER, role: 'subscriber', name: 'Rita Referrer' },
    { op: 'user', ...PUPPET, role: 'subscriber', name: 'Pat Puppet' },
    { op: 'post', title: 'Invite friends', content: '<p>Share your link.</p>\n[goldcoin_referral]' },
    { op: 'post', title: 'Buy coins', content: '[goldcoin_recharge]' },
  ]);
  [, referrerId, , referralPageId, rechargePageId] = made.map((r) => r.id) as [number, number, number, number, number];
  const [{ token }] = await wp.setup<[{ token: string }]>([{ op: 'token', login: REFERRER.login }]);
  const summary = (await (await fetch(`${sidecarUrl}/api/referrals`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { code: string; link: string };
  code = summary.code;
  expect(summary.link).toBe(`${wp.url}/?ref=${code}`);
});

afterAll(async () => {
  await site?.close();
});

describe('referrals in a real WordPress', () => {
  it('keeps a ?ref= code in an HttpOnly, SameSite=Lax cookie for the days set on the settings page, and ignores a malformed one', async () => {
    const owner = await newPage();
    await logInToWordPress(owner.page, wp.url, wp.admin.user, wp.admin.password, LOGIN_TIMEOUT_MS);
    await owner.page.goto(`${wp.url}/wp-admin/admin.php?page=goldcoin-settings`);
    await owner.page.getByLabel('Referral links').fill('7');
    await owner.page.click('#submit');
    await owner.page.waitForURL(/settings-updated=true/);
    expect(await owner.page.getByLabel('Referral links').inputValue()).toBe('7');
    await owner.context.close();

    const { context, page } = await newPage();
    await page.goto(`${wp.url}/?ref=<script>`);
    expect((await context.cookies()).filter((c) => c.name === 'goldcoin_ref')).toEqual([]);
    const before = Date.now() / 1000;
    await page.goto(`${wp.url}/?ref=${code.toLowerCase()}`);
    const [cookie] = (await context.cookies()).filter((c) => c.name === 'goldcoin_ref');
    expect(cookie).toMatchObject({ value: code, httpOnly: true, sameSite: 'Lax', secure: false, path: '/' });
    expect(cookie!.expires - before).toBeGreaterThan(7 * 86_400 - 60);
    expect(cookie!.expires - before).toBeLessThan(7 * 86_400 + 60);
    await context.close();
  });

  it('binds a visitor who registers after opening the link, and credits the referrer once when their first recharge is paid', async () => {
    const { context, page } = await newPage();
    await page.goto(`${wp.url}/?p=${referralPageId}&ref=${code}`);
    await page.goto(`${wp.url}/wp-login.php?action=register`);
    await page.fill('#user_login', VISITOR.login);
    await page.fill('#user_email', VISITOR.email);
    await page.click('#wp-submit');
    await page.waitForURL(/checkemail=registered/, { timeout: LOGIN_TIMEOUT_MS });
    const binding = await bindingOf(VISITOR.login);
    expect(binding).toMatchObject({ referrer_user_id: referrerId, outcome: null });
    // Bound once: the cookie is gone.
    expect((await context.cookies()).filter((c) => c.name === 'goldcoin_ref')).toEqual([]);

    await wp.setup([{ op: 'user_update', login: VISITOR.login, password: VISITOR.password }]);
    await logInToWordPress(page, wp.url, VISITOR.login, VISITOR.password, LOGIN_TIMEOUT_MS);
    await page.goto(`${wp.url}/?p=${rechargePageId}`);
    const widget = page.locator('goldcoin-widget:not([view="bell"])');
    await shown(widget, widget.getByRole('radio', { name: /\b22\b/ }));
    await widget.getByRole('radio', { name: /\b22\b/ }).check();
    await widget.getByRole('radio', { name: /USDT/ }).check();
    await widget.getByRole('button', { name: /Continue/i }).click();
    await shown(widget, widget.getByText(/Waiting for/i));
    await payLatest(VISITOR.email);
    await shown(widget, widget.getByText(/credited/i));
    await context.close();

    const refereeId = Number(binding!.referee_user_id);
    expect(await readBalance(tdb.db, refereeId)).toBe(22);
    expect(await readBalance(tdb.db, referrerId)).toBe(REWARD);
    expect((await bindingOf(VISITOR.login))?.outcome).toBe('rewarded');
  });

  it('binds a sockpuppet who logs in through the link, and counts it as not counted when the cap is reached', async () => {
    const { context, page } = await newPage();
    await page.goto(`${wp.url}/?ref=${code}`);
    await logInToWordPress(page, wp.url, PUPPET.login, PUPPET.password, LOGIN_TIMEOUT_MS);
    expect(await bindingOf(PUPPET.login)).toMatchObject({ referrer_user_id: referrerId, outcome: null });
    await context.close();

    const [{ token }] = await wp.setup<[{ token: string }]>([{ op: 'token', login: PUPPET.login }]);
    const res = await fetch(`${sidecarUrl}/api/recharges`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'puppet-first-recharge' },
      body: JSON.stringify({ package_id: 'p52', method: 'USDT' }),
    });
    expect(res.status).toBe(201);
    await payLatest(PUPPET.email);
    await expect.poll(async () => (await bindingOf(PUPPET.login))?.outcome, { timeout: UI_TIMEOUT_MS }).toBe('cap_reached');
    expect(await readBalance(tdb.db, referrerId)).toBe(REWARD);
    const rewards = await tdb.db.selectFrom('coin_ledger').select('delta_coins').where('user_id', '=', referrerId).where('kind', '=', 'referral').execute();
    expect(rewards.map((r) => r.delta_coins)).toEqual([REWARD]);
    // The referrer is told of both: the reward, and the referral not counted with why.
    const notes = await tdb.db.selectFrom('notifications').select(['kind', 'data']).where('user_id', '=', referrerId).orderBy('id').execute();
    expect(notes.map((n) => [n.kind, JSON.parse(n.data).outcome ?? null, JSON.parse(n.data).referred_name])).toEqual([
      ['referral_earned', null, 'n***'],
      ['referral_not_counted', 'cap_reached', 'P***'],
    ]);
    const users = await tdb.db.selectFrom('referral_bindings').select('referee_user_id').execute();
    expect((await checkInvariants(tdb.db, [referrerId, ...users.map((u) => Number(u.referee_user_id))])).problems).toEqual([]);
  });

  it("ignores the referrer's own link quietly, and leaves them free to be referred by another", async () => {
    const { context, page } = await newPage();
    await logInToWordPress(page, wp.url, REFERRER.login, REFERRER.password, LOGIN_TIMEOUT_MS);
    const res = await page.goto(`${wp.url}/?ref=${code}`);
    expect(res?.status()).toBe(200);
    await context.close();
    expect(await tdb.db.selectFrom('referral_bindings').select('referee_user_id').where('referee_user_id', '=', referrerId).execute()).toEqual([]);
    expect(await settled(referrerId)).toBe(false);
    // The users a referral was settled for are not asked about again.
    expect(await settled(Number((await bindingOf(VISITOR.login))!.referee_user_id))).toBe(true);
  });

  for (const [locale, texts] of [
    ['en_US', { title: 'Invite friends', counted: `Counted: +${REWARD} coins`, capped: 'Not counted: cap reached', rule: /Reward limit: 1 every 30 days/ }],
    ['zh_CN', { title: '邀请好友', counted: `已计入：+${REWARD} 金币`, capped: '未计入：已达奖励上限', rule: /每 30 天最多获得 1 次奖励/ }],
  ] as const) {
    it(`shows the referrer both referrals, the reward once and the refusal, in ${locale} at 1366 and 390 px`, async () => {
      await wp.setup([{ op: 'user_update', login: REFERRER.login, locale }]);
      for (const width of [1366, 390]) {
        const { context, page } = await newPage(width, width > 1000 ? 900 : 844);
        await logInToWordPress(page, wp.url, REFERRER.login, REFERRER.password, LOGIN_TIMEOUT_MS);
        await page.goto(`${wp.url}/?p=${referralPageId}`);
        const widget = page.locator('goldcoin-widget:not([view="bell"])');
        expect(await widget.getAttribute('view')).toBe('referral');
        await shown(widget, widget.getByRole('heading', { name: texts.title }));
        await shown(widget, widget.getByText(texts.capped));
        await shown(widget, widget.getByText(texts.counted));
        await shown(widget, widget.getByText(texts.rule));
        // The referees appear as their first character, never by login or email.
        expect(await widget.locator('.fr li > span:first-child').evaluateAll((spans) => spans.map((s) => s.firstChild?.textContent?.trim()))).toEqual(['n***', 'P***']);
        for (const text of [VISITOR.login, VISITOR.email, PUPPET.login, 'Pat Puppet']) expect(await widget.getByText(text).count()).toBe(0);
        expect(await widget.getByText(code, { exact: true }).count()).toBe(1);
        expect(await widget.locator('input').first().inputValue()).toBe(`${wp.url}/?ref=${code}`);
        expect(await widget.locator('svg.qr').count()).toBe(1);
        // Two referred, 50 coins earned.
        expect(await widget.locator('.st b').allInnerTexts()).toEqual(['2', String(REWARD)]);
        // Every button label on one line: the lines its text's boxes sit on.
        const lines = await widget.locator('button').evaluateAll((buttons) =>
          buttons.map((b) => {
            const range = document.createRange();
            range.selectNodeContents(b);
            return [b.textContent, new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size];
          }),
        );
        expect(lines.length).toBeGreaterThan(0);
        for (const [label, n] of lines) expect(n, `${label}: one line`).toBe(1);
        await widget.screenshot({ path: `${SHOTS}/referrals-${locale}-${width}.png` });
        await context.close();
      }
    });
  }

  it('ran every request above without a PHP error, warning or notice from the plugin', async () => {
    const ours = (await wp.debugLog()).split('\n').filter((line) => /plugins\/goldcoin\/|scripts\/wp-/.test(line));
    expect(ours).toEqual([]);
  });
});

// WordPress's personal-data tools in a real WordPress and Chromium, against the sidecar and the CoinPayments simulator:
// an administrator's export of a paying reader holds the Gold Coins groups, an erasure anonymises the reader's
// payment and its IPN bodies while the books still balance, and a deleted user is handled the same way (also when the
// sidecar could not be reached at the time).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { sql } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { startSimulator, type Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { buildTestApp, SIM_KEYS } from '../support/app.js';
import { buildWidget, launchBrowser, logInToWordPress } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { createEmptyDatabase, dropDatabase, freePort, loopbackHost, sidecarDatabase, startWordPress, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.55.php for the run. */
const HOST = loopbackHost(55);
const SECRET = randomBytes(32).toString('hex');
const READER = { login: 'rita', password: 'rita-reader-pass-1', email: 'rita.reader@example.test', name: 'Rita Reader' };
const LEAVER = { login: 'leo', password: 'leo-leaver-pass-1', email: 'leo.leaver@example.test', name: 'Leo Leaver' };
const OFFLINE = { login: 'olga', password: 'olga-offline-pass-1', email: 'olga.offline@example.test', name: 'Olga Offline' };
const UI_TIMEOUT_MS = 20_000;
const LOGIN_TIMEOUT_MS = 45_000;

let dbName: string;
let widgetDir: string;
let downloads: string;
let wp: WordPressSite;
let tdb: TestDatabase;
let sim: Simulator;
let sidecar: ServerType;
let sidecarUrl: string;
let sidecarPort: number;
let sidecarApp: { fetch: (req: Request) => Response | Promise<Response> };
let browser: Browser;
let ids: Record<'reader' | 'leaver' | 'offline', number>;

beforeAll(async () => {
  widgetDir = await buildWidget();
  downloads = await mkdtemp(join(tmpdir(), 'goldcoin-privacy-'));
  dbName = `gct_e2e_privacy_${randomBytes(3).toString('hex')}`;
  await createEmptyDatabase(dbName);
  sidecarPort = await freePort();
  sidecarUrl = `http://127.0.0.1:${sidecarPort}`;
  wp = await startWordPress({ host: HOST, port: await freePort(HOST), database: dbName, sidecarUrl, jwtSecret: SECRET, widgetDir });
  tdb = await sidecarDatabase(dbName);
  sim = await startSimulator({ ...SIM_KEYS, ipnMaxAttempts: 3, ipnRetryDelayMs: 20 });
  const { app } = buildTestApp(tdb, {
    env: { WP_HOME: wp.url, CORS_ORIGINS: wp.url, PUBLIC_URL: sidecarUrl, GOLDCOIN_JWT_SECRET: SECRET, COINPAYMENTS_API_URL: sim.apiUrl, COINPAYMENTS_PLATFORM: 'legacy' },
  });
  sidecarApp = app;
  await startSidecar();
  const made = await wp.setup<{ id: number }[]>([
    { op: 'user', ...READER, role: 'subscriber' },
    { op: 'user', ...LEAVER, role: 'subscriber' },
    { op: 'user', ...OFFLINE, role: 'subscriber' },
  ]);
  ids = { reader: made[0]!.id, leaver: made[1]!.id, offline: made[2]!.id };
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stopSidecar();
  await sim?.close();
  await wp?.stop();
  if (tdb) await tdb.drop();
  else if (dbName) await dropDatabase(dbName);
  if (widgetDir) await rm(widgetDir, { recursive: true, force: true });
  if (downloads) await rm(downloads, { recursive: true, force: true });
});

function startSidecar(): Promise<void> {
  return new Promise<void>((resolve) => {
    sidecar = serve({ fetch: sidecarApp.fetch, port: sidecarPort, hostname: '127.0.0.1' }, () => resolve());
  });
}
function stopSidecar(): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!sidecar) return resolve();
    sidecar.close(() => resolve());
    (sidecar as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/** A recharge of 52 coins with the token the plugin mints for `login`, paid in full by the simulator (its IPNs logged). */
async function paidRecharge(login: string): Promise<{ id: number; txnId: string }> {
  const [{ token }] = await wp.setup<[{ token: string }]>([{ op: 'token', login }]);
  const res = await fetch(`${sidecarUrl}/api/recharges`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Idempotency-Key': `e2e-privacy-${login}` },
    body: JSON.stringify({ package_id: 'p52', method: 'USDT' }),
  });
  expect(res.status).toBe(201);
  const r = (await res.json()) as { id: number; payment: { txn_id: string } };
  await sim.pay(r.payment.txn_id);
  return { id: r.id, txnId: r.payment.txn_id };
}

async function asAdmin(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  page.on('dialog', (d) => void d.accept());
  await logInToWordPress(page, wp.url, wp.admin.user, wp.admin.password, LOGIN_TIMEOUT_MS);
  return { context, page };
}

/** Adds a privacy request for `email` on Tools → Export or Erase Personal Data, without the confirmation email. */
async function addRequest(page: Page, tool: 'export' | 'erase', email: string) {
  await page.goto(`${wp.url}/wp-admin/${tool}-personal-data.php`);
  await page.fill('#username_or_email_for_privacy_request', email);
  await page.locator('#send_confirmation_email').uncheck();
  await page.locator('#submit').click();
  await page.locator('.notice-success').waitFor();
}

/** Deletes a user from Users → Delete → Confirm Deletion, as an administrator would. */
async function deleteInWpAdmin(page: Page, login: string, email: string) {
  await page.goto(`${wp.url}/wp-admin/users.php?s=${login}`);
  const row = page.locator('tr', { hasText: email });
  await row.hover();
  await row.getByRole('link', { name: 'Delete' }).click();
  await page.locator('#submit').click();
  await page.locator('.notice', { hasText: /User deleted/ }).waitFor();
}

const pendingErasures = async () => {
  const { rows } = await sql<{ v: string }>`SELECT option_value AS v FROM wp_options WHERE option_name = 'goldcoin_pending_erasures'`.execute(tdb.db);
  return rows[0]?.v ?? '';
};

const ipnRows = (txnId: string) => tdb.db.selectFrom('ipn_log').selectAll().where('txn_id', '=', txnId).execute();
const rechargeRow = (id: number) => tdb.db.selectFrom('recharge_transactions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('personal data in a real WordPress', () => {
  it("the administrator's export of a paying reader holds the Gold Coins groups: wallet, ledger, payments", async () => {
    const r = await paidRecharge(READER.login);
    expect(await readBalance(tdb.db, ids.reader)).toBe(52);
    const { context, page } = await asAdmin();
    await addRequest(page, 'export', READER.email);
    const row = page.locator('tr', { hasText: READER.email });
    await row.hover();
    const download = page.waitForEvent('download');
    await row.getByRole('button', { name: 'Download personal data', exact: true }).click();

    const zip = join(downloads, 'export.zip');
    await (await download).saveAs(zip);
    const html = execFileSync('unzip', ['-p', zip, '*.html'], { encoding: 'utf8' });
    for (const group of ['Gold Coins wallet', 'Gold Coins ledger', 'Gold Coins payments']) expect(html).toContain(group);
    expect(html).toContain(r.txnId);
    expect(html).toContain(READER.email);
    await page.screenshot({ path: '/tmp/goldcoin-privacy-export.png' });
    await context.close();
  });

  it('an erasure keeps the payment and the books but removes the email and name, also from the stored IPN bodies', async () => {
    const [r] = await tdb.db.selectFrom('recharge_transactions').select(['id', 'txn_id']).where('user_id', '=', ids.reader).execute();
    const before = await ipnRows(r!.txn_id!);
    expect(before.some((x) => x.raw_body.includes(encodeURIComponent(READER.email)))).toBe(true);
    const { context, page } = await asAdmin();
    await addRequest(page, 'erase', READER.email);
    const row = page.locator('tr', { hasText: READER.email });
    // Without the confirmation email the request is confirmed at once: its next step is the erasure itself.
    await row.getByRole('button', { name: 'Erase personal data', exact: true }).click();
    await page.locator('.notice', { hasText: 'Kept: payment records' }).first().waitFor();
    await page.screenshot({ path: '/tmp/goldcoin-privacy-erase.png' });
    await context.close();

    const payment = await rechargeRow(r!.id);
    expect([payment.status, payment.coins_credited, payment.buyer_email]).toEqual(['completed', 52, null]);
    const after = await ipnRows(r!.txn_id!);
    expect(after).toHaveLength(before.length);
    for (const x of after) {
      expect(x.raw_body).not.toContain(encodeURIComponent(READER.email));
      expect(x.raw_body).not.toContain('Rita');
      expect(x.anonymised_at).not.toBeNull();
    }
    expect(await readBalance(tdb.db, ids.reader)).toBe(52);
    expect((await checkInvariants(tdb.db, [ids.reader])).problems).toEqual([]);
  });

  it('deleting a user in wp-admin anonymises their payments and keeps their wallet, so the books still balance', async () => {
    const r = await paidRecharge(LEAVER.login);
    expect((await rechargeRow(r.id)).buyer_email).toBe(LEAVER.email);
    const { context, page } = await asAdmin();
    await deleteInWpAdmin(page, LEAVER.login, LEAVER.email);
    await context.close();

    expect(await tdb.db.selectFrom('users').select('ID').where('ID', '=', ids.leaver).executeTakeFirst()).toBeUndefined();
    expect((await rechargeRow(r.id)).buyer_email).toBeNull();
    for (const x of await ipnRows(r.txnId)) expect(x.raw_body).not.toContain(encodeURIComponent(LEAVER.email));
    expect(await readBalance(tdb.db, ids.leaver)).toBe(52);
    expect((await checkInvariants(tdb.db, [ids.leaver])).problems).toEqual([]);
    expect(await wp.debugLog()).not.toMatch(/goldcoin/i);
  });

  it('a user deleted while the sidecar is unreachable is remembered and erased on a later wp-admin visit', async () => {
    const r = await paidRecharge(OFFLINE.login);
    await stopSidecar();
    const { context, page } = await asAdmin();
    try {
      await deleteInWpAdmin(page, OFFLINE.login, OFFLINE.email);
      expect(await pendingErasures()).toContain(OFFLINE.email);
      expect((await rechargeRow(r.id)).buyer_email).toBe(OFFLINE.email);
    } finally {
      await startSidecar();
    }
    // The failed retry on the page after the deletion holds retries back for five minutes: that pause is over.
    await wp.setup([{ op: 'delete_option', name: '_transient_goldcoin_erasure_retry' }]);
    await page.goto(`${wp.url}/wp-admin/`);
    await expect.poll(() => rechargeRow(r.id).then((x) => x.buyer_email), { timeout: UI_TIMEOUT_MS }).toBeNull();
    expect(await pendingErasures()).not.toContain(OFFLINE.email);
    for (const x of await ipnRows(r.txnId)) expect(x.raw_body).not.toContain(encodeURIComponent(OFFLINE.email));
    expect((await checkInvariants(tdb.db, [ids.offline])).problems).toEqual([]);
    await context.close();
  });
});

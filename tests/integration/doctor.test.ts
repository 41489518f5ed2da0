// The doctor against real parts: MariaDB logins with and without grants, both CoinPayments simulators (a bad key, a
// wrong merchant, the wrong instance), an https PUBLIC_URL with its own certificate, an SMTP server; CLI and admin route.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../sidecar/src/config.js';
import { runDoctor, type DoctorCheck, type DoctorReport } from '../../sidecar/src/doctor/checks.js';
import { runtimeGrantStatements } from '../../sidecar/src/db/privileges.js';
import { startSimulator, type Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { startSimulatorV2, type SimulatorV2 } from '../../simulators/coinpayments-v2/server.js';
import { buildTestApp, mintToken, SIM_KEYS, TEST_HOME, testEnv } from '../support/app.js';
import { createTestDatabase, TABLE_PREFIX, WP_PREFIX, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/sidecar-process.js';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROOT_URL = process.env['TEST_DATABASE_ROOT_URL'] ?? 'mysql://root@127.0.0.1:3306';
const V2_A = { clientId: 'doctor-client-a', clientSecret: 'doctor-secret-a-0123456789abcdef' };
const V2_B = { clientId: 'doctor-client-b', clientSecret: 'doctor-secret-b-0123456789abcdef' };
const CLI_BOUND_MS = 60_000;

let tdb: TestDatabase;
let legacy: Simulator;
let simA: SimulatorV2;
let simB: SimulatorV2;
let smtp: SmtpSink;
let httpSidecar: ServerType;
let httpUrl: string;
let httpsSidecar: ServerType;
let httpsUrl: string;
let certFile: string;
const logins: string[] = [];

function env(extra: Record<string, string> = {}): Record<string, string> {
  return testEnv(tdb.url, { PUBLIC_URL: httpUrl, COINPAYMENTS_API_URL: legacy.apiUrl, SMTP_URL: smtp.url, COINPAYMENTS_TIMEOUT_MS: '5000', ...extra });
}
const doctor = (extra: Record<string, string> = {}, more: Partial<Parameters<typeof runDoctor>[0]> = {}) =>
  runDoctor({ config: parseConfig(env(extra)), timeoutMs: 5_000, ...more });
const check = (r: DoctorReport, id: DoctorCheck['id']): DoctorCheck => {
  const found = r.checks.filter((c) => c.id === id);
  expect(found, `one ${id} check`).toHaveLength(1);
  return found[0]!;
};

/** A login of its own with the runtime grants, less any listed as `table:PRIVILEGE`. */
async function runtimeLogin(without: string[] = []): Promise<string> {
  const user = `gc_doc_${randomBytes(3).toString('hex')}`;
  const password = randomBytes(10).toString('hex');
  const login = `'${user}'@'127.0.0.1'`;
  logins.push(login);
  const root = await createConnection({ uri: ROOT_URL });
  const [rows] = await root.query('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ?', [tdb.name, `${TABLE_PREFIX}%`]);
  await root.query(`CREATE USER ${login} IDENTIFIED BY '${password}'`);
  for (const s of runtimeGrantStatements(tdb.name, (rows as Array<{ t: string }>).map((r) => r.t), TABLE_PREFIX, WP_PREFIX, login)) await root.query(s);
  for (const w of without) {
    const [table, privilege] = w.split(':') as [string, string];
    await root.query(`REVOKE ${privilege} ON \`${tdb.name}\`.\`${table}\` FROM ${login}`);
  }
  await root.end();
  return `mysql://${user}:${password}@127.0.0.1:3306/${tdb.name}`;
}

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  legacy = await startSimulator(SIM_KEYS);
  simA = await startSimulatorV2({ ...V2_A, host: '127.0.0.1', port: 0 });
  simB = await startSimulatorV2({ ...V2_B, host: '127.0.0.1', port: 0 });
  smtp = await startSmtpSink();
  const httpPort = await freePort();
  httpUrl = `http://127.0.0.1:${httpPort}`;
  const { app } = buildTestApp(tdb, { env: { PUBLIC_URL: httpUrl } });
  await new Promise<void>((resolve) => (httpSidecar = serve({ fetch: app.fetch, port: httpPort, hostname: '127.0.0.1' }, () => resolve())));

  // PUBLIC_URL over https, as in production: a certificate of its own, trusted by the CLI through NODE_EXTRA_CA_CERTS.
  const dir = mkdtempSync(join(tmpdir(), 'goldcoin-doctor-'));
  certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const httpsPort = await freePort();
  httpsUrl = `https://127.0.0.1:${httpsPort}`;
  const secure = buildTestApp(tdb, { env: { PUBLIC_URL: httpsUrl } });
  await new Promise<void>((resolve) => {
    httpsSidecar = serve(
      { fetch: secure.app.fetch, port: httpsPort, hostname: '127.0.0.1', createServer: createHttpsServer, serverOptions: { key: readFileSync(keyFile), cert: readFileSync(certFile) } },
      () => resolve(),
    );
  });
});

afterAll(async () => {
  await new Promise<void>((r) => (httpSidecar ? httpSidecar.close(() => r()) : r()));
  await new Promise<void>((r) => (httpsSidecar ? httpsSidecar.close(() => r()) : r()));
  await Promise.all([legacy?.close(), simA?.close(), simB?.close(), smtp?.close()]);
  if (logins.length) {
    const root = await createConnection({ uri: ROOT_URL });
    for (const l of logins) await root.query(`DROP USER IF EXISTS ${l}`);
    await root.end();
  }
  await tdb?.drop();
});

describe('npm run doctor', () => {
  it('passes every check with good settings and an https PUBLIC_URL, one line each, exit 0 (the CLI)', async () => {
    // Not spawnSync: the servers it checks run in this process and must keep answering.
    const res = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'sidecar', 'src', 'doctor', 'cli.ts')], {
        cwd: tmpdir(),
        env: { PATH: process.env['PATH'] ?? '', NODE_EXTRA_CA_CERTS: certFile, ...env({ PUBLIC_URL: httpsUrl }) },
        timeout: CLI_BOUND_MS,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      child.once('close', (status) => resolve({ status, stdout, stderr }));
    });
    const lines = res.stdout.trim().split('\n');
    expect(res.status, res.stdout + res.stderr).toBe(0);
    for (const id of ['database', 'grants', 'migrations', 'jwt', 'cors', 'payments', 'webhook', 'smtp']) {
      expect(lines.filter((l) => l.startsWith(`ok    ${id}: `)), `${id} in:\n${res.stdout}`).toHaveLength(1);
    }
    expect(res.stdout).toContain(`the IPN URL ${httpsUrl}/ipn/coinpayments is https and reaches the sidecar`);
    expect(lines.at(-1)).toBe('doctor: everything checked is in order');
    expect(res.stdout).not.toContain(SIM_KEYS.privateKey);
  });

  it('names a non-https IPN URL with its fix, and only that', async () => {
    const r = await doctor();
    const w = check(r, 'webhook');
    expect(w.ok).toBe(false);
    expect(w.detail).toBe(`the IPN URL ${httpUrl}/ipn/coinpayments is not https: CoinPayments will not deliver to it`);
    expect(w.fix).toMatch(/PUBLIC_URL to the https:\/\//);
    expect(r.ok).toBe(false);
    // Everything else was in order: the one problem is the one reported.
    expect(r.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['webhook']);
  });

  it('reports a bad legacy key and a wrong merchant id, each with its fix', async () => {
    const bad = check(await doctor({ COINPAYMENTS_PUBLIC_KEY: 'not-the-key' }), 'payments');
    expect(bad.ok).toBe(false);
    expect(bad.detail).toBe('CoinPayments (legacy) refused the keys: get_basic_info: Invalid API public key passed');
    expect(bad.fix).toMatch(/COINPAYMENTS_PUBLIC_KEY and COINPAYMENTS_PRIVATE_KEY/);
    const merchant = check(await doctor({ COINPAYMENTS_MERCHANT_ID: 'someone-else' }), 'payments');
    expect(merchant.ok).toBe(false);
    expect(merchant.fix).toBe(`set COINPAYMENTS_MERCHANT_ID=${SIM_KEYS.merchantId} (Account Settings → Merchant ID), or use that account's keys`);
  });

  it('on the new platform: accepts the right instance, names the right one when the keys belong to another, refuses a bad secret', async () => {
    const instances = [simA.url, simB.url];
    // The new platform's keys as the sidecar parses them: the doctor checks the configuration it runs with.
    const v2Env = (base: string, secret = V2_A.clientSecret) => ({ COINPAYMENTS_CLIENT_ID: V2_A.clientId, COINPAYMENTS_CLIENT_SECRET: secret, COINPAYMENTS_API_BASE: base });
    const newPlatform = (r: DoctorReport) => r.checks.find((c) => c.id === 'payments' && c.detail.includes('new platform'));
    expect(newPlatform(await doctor(v2Env(simA.url), { v2Instances: instances }))).toMatchObject({ ok: true });

    const wrong = newPlatform(await doctor(v2Env(simB.url), { v2Instances: instances }))!;
    expect(wrong.ok).toBe(false);
    expect(wrong.detail).toBe(`CoinPayments (new platform) at ${simB.url} refused the keys, which belong to the instance ${simA.url}`);
    expect(wrong.fix).toBe(`set COINPAYMENTS_API_BASE=${simA.url}`);

    const secret = newPlatform(await doctor(v2Env(simA.url, 'wrong-secret-0123456789'), { v2Instances: instances }))!;
    expect(secret.ok).toBe(false);
    expect(secret.detail).toMatch(/refused the keys: authenticated read: HTTP 401 .*invalid signature/);
    expect(secret.detail).not.toContain('wrong-secret');

    // A trailing slash is the parsed configuration's to drop, not the doctor's to trip on.
    expect(newPlatform(await doctor(v2Env(`${simA.url}/`), { v2Instances: instances }))).toMatchObject({ ok: true });
    // Without the new platform configured there is no check of it; half a configuration never starts (parseConfig names it).
    expect(newPlatform(await doctor())).toBeUndefined();
    expect(() => parseConfig(env({ COINPAYMENTS_CLIENT_ID: V2_A.clientId }))).toThrow(/COINPAYMENTS_CLIENT_SECRET is required/);
  });

  it('checks the new platform from the configuration the sidecar runs with: the settings page and the CLI agree', async () => {
    const v2 = { COINPAYMENTS_CLIENT_ID: V2_A.clientId, COINPAYMENTS_CLIENT_SECRET: V2_A.clientSecret, COINPAYMENTS_API_BASE: simA.url };
    // The app gets its configuration parsed, not the process environment: the route must check that one.
    const { call } = buildTestApp(tdb, { env: env(v2) });
    const res = await call('POST', '/api/admin/doctor', { token: await mintToken(1, { caps: ['read', 'manage_options'] }) });
    const report = (await res.json()) as DoctorReport;
    expect(report.checks.filter((c) => c.id === 'payments').map((c) => [c.ok, c.detail])).toEqual([
      [true, `CoinPayments (new platform, ${new URL(simA.url).host}) accepts the client id and secret`],
      [true, `CoinPayments (legacy, ${new URL(legacy.apiUrl).host}) accepts the keys of merchant ${SIM_KEYS.merchantId}`],
    ]);
    expect(report.checks.filter((c) => c.id === 'webhook').map((c) => c.detail)).toEqual([
      expect.stringContaining(`the webhook URL ${httpUrl}/webhooks/coinpayments is not https`),
      expect.stringContaining(`the IPN URL ${httpUrl}/ipn/coinpayments is not https`),
    ]);
  });

  it('reports CORS that does not allow the site, and SMTP that does not answer', async () => {
    const cors = check(await doctor({ CORS_ORIGINS: 'https://elsewhere.example' }), 'cors');
    expect(cors).toMatchObject({ ok: false, fix: `add ${new URL(TEST_HOME).origin} to CORS_ORIGINS` });
    const closed = await freePort();
    const mail = check(await doctor({ SMTP_URL: `smtp://127.0.0.1:${closed}` }), 'smtp');
    expect(mail.ok).toBe(false);
    expect(mail.detail).toMatch(new RegExp(`^127\\.0\\.0\\.1:${closed} did not accept a session: .*ECONNREFUSED`));
  });

  it('on a least-privilege login: exactly the runtime grants pass; a missing one is named with the GRANT to run', async () => {
    const exact = await doctor({ DATABASE_URL: await runtimeLogin() });
    expect(check(exact, 'grants')).toMatchObject({ ok: true });
    expect(check(exact, 'grants').detail).toMatch(/exactly the runtime grants: it moves coins and cannot CREATE or ALTER$/);
    expect(check(exact, 'migrations')).toMatchObject({ ok: true, detail: 'current' });

    const ledger = `${TABLE_PREFIX}coin_ledger`;
    const lacking = check(await doctor({ DATABASE_URL: await runtimeLogin([`${ledger}:INSERT`]) }), 'grants');
    expect(lacking.ok).toBe(false);
    expect(lacking.fix).toMatch(new RegExp(`GRANT INSERT ON \`${tdb.name}\`\\.\`${ledger}\` TO 'gc_doc_[0-9a-f]{6}'@'127\\.0\\.0\\.1';$`));

    const down = check(await doctor({ DATABASE_URL: `mysql://nobody:wrong@127.0.0.1:3306/${tdb.name}` }), 'database');
    expect(down.ok).toBe(false);
    expect(down.detail).toMatch(/^cannot connect: Access denied/);
  });

  it('POST /api/admin/doctor: the same checks for the settings page, the caller’s token being the JWT round trip; admins only', async () => {
    const { call } = buildTestApp(tdb, { env: env() });
    const res = await call('POST', '/api/admin/doctor', { token: await mintToken(1, { caps: ['read', 'manage_options'] }) });
    expect(res.status).toBe(200);
    const report = (await res.json()) as DoctorReport;
    expect(check(report, 'jwt').detail).toBe(`the plugin's token was accepted: both sides share the secret and the issuer ${TEST_HOME}`);
    expect(check(report, 'payments')).toMatchObject({ ok: true });
    expect(check(report, 'webhook')).toMatchObject({ ok: false });
    expect((await call('POST', '/api/admin/doctor', { token: await mintToken(1) })).status).toBe(403);
    expect((await call('POST', '/api/admin/doctor', { token: await mintToken(1, { caps: ['read', 'manage_options'], secret: 'another-secret-0123456789-abcdefghij' }) })).status).toBe(401);
  });
});

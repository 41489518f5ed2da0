// The doctor: one pass over a configuration against the real services it names, each problem one line with its fix.
import { createConnection, type Connection } from 'mysql2/promise';
import { createTransport } from 'nodemailer';
import type { Config } from '../config.js';
import { parseDatabaseUrl } from '../db/database-url.js';
import { loadMigrations } from '../db/migrator.js';
import { canMigrate, migrationState, ownTables, readOnlyOwnTables, schemaPrivileges, TABLE_PRIVILEGES, tablePrivileges, WP_READ_TABLES } from '../db/privileges.js';
import { CoinPaymentsClient, CoinPaymentsError } from '../payments/coinpayments/client.js';
import { CoinPaymentsV2Client } from '../payments/coinpayments-v2/client.js';
import { OFFICIAL_INSTANCES } from '../payments/coinpayments-v2/provider.js';

export type CheckId = 'database' | 'grants' | 'migrations' | 'jwt' | 'cors' | 'payments' | 'webhook' | 'smtp';

export interface DoctorCheck {
  id: CheckId;
  ok: boolean;
  /** What was found, in one line. */
  detail: string;
  /** One line saying what to change; present when ok is false. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorDeps {
  /** The parsed configuration, the one source of what is checked: the same settings the sidecar runs with. */
  config: Config;
  /** Instances tried when the configured one refuses the keys, to name the right one. */
  v2Instances?: string[];
  /**
   * How the JWT round trip was made: by the plugin calling the admin route (its token was accepted, so the secret and
   * the issuer match), or null from the command line, which then says where to run it.
   */
  jwtRoundTrip?: { viaPlugin: true; issuer: string } | null;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MIN_SECRET_BYTES = 32;

const pass = (id: CheckId, detail: string): DoctorCheck => ({ id, ok: true, detail });
const problem = (id: CheckId, detail: string, fix: string): DoctorCheck => ({ id, ok: false, detail, fix });
const message = (err: unknown) => ((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 200);

async function databaseChecks(config: Config): Promise<DoctorCheck[]> {
  let conn: Connection;
  try {
    conn = await createConnection({ ...parseDatabaseUrl(config.databaseUrl), connectTimeout: DEFAULT_TIMEOUT_MS });
  } catch (err) {
    return [
      problem('database', `cannot connect: ${message(err)}`, 'check DATABASE_URL (user, password, host, port, database) and that MariaDB/MySQL listens there'),
    ];
  }
  try {
    const [[who]] = (await conn.query('SELECT CURRENT_USER() AS login, VERSION() AS version, DATABASE() AS db')) as unknown as [[{ login: string; version: string; db: string }]];
    const out: DoctorCheck[] = [pass('database', `reachable as ${who.login} on ${who.db} (server ${who.version})`)];

    const schema = await schemaPrivileges(conn);
    const tables = await tablePrivileges(conn);
    const own = await ownTables(conn, config.tablePrefix);
    const readOnly = readOnlyOwnTables(config.tablePrefix);
    const heldOn = (table: string, p: string) => schema.has('ALL PRIVILEGES') || schema.has(p) || (tables.get(table)?.has(p) ?? false);
    const missing: string[] = [];
    for (const t of own) {
      const need = readOnly.has(t) ? ['SELECT'] : [...TABLE_PRIVILEGES];
      const lack = need.filter((p) => !heldOn(t, p));
      if (lack.length) missing.push(`GRANT ${lack.join(', ')} ON \`${who.db}\`.\`${t}\` TO ${quoteLogin(who.login)};`);
    }
    for (const t of WP_READ_TABLES.map((n) => `${config.wpTablePrefix}${n}`)) {
      if (!heldOn(t, 'SELECT')) missing.push(`GRANT SELECT ON \`${who.db}\`.\`${t}\` TO ${quoteLogin(who.login)};`);
    }
    const mayAlter = await canMigrate(conn);
    if (missing.length > 0) {
      out.push(problem('grants', `${who.login} lacks ${missing.length} grant(s) the sidecar needs`, `as the database owner run: ${missing.join(' ')}`));
    } else if (mayAlter) {
      out.push(pass('grants', `${who.login} has every grant the sidecar needs, and may also CREATE and ALTER (an owner login; a runtime login without them is safer, see README)`));
    } else {
      out.push(pass('grants', `${who.login} has exactly the runtime grants: it moves coins and cannot CREATE or ALTER`));
    }

    const state = await migrationState(conn, config.tablePrefix, await loadMigrations());
    if (state.edited.length > 0) {
      out.push(problem('migrations', `applied migrations were edited since: ${state.edited.join(', ')}`, 'restore those files from the release; never edit an applied migration, add a new one'));
    } else if (state.pending.length > 0) {
      out.push(problem('migrations', `${state.pending.length} pending: ${state.pending.join(', ')}`, 'run MIGRATE_DATABASE_URL=mysql://<owner>:<pass>@<host>/<db> npm run migrate'));
    } else {
      out.push(pass('migrations', 'current'));
    }
    return out;
  } catch (err) {
    return [problem('database', `connected, but a check failed: ${message(err)}`, 'give the login SELECT on information_schema (granted by default) and on its tables')];
  } finally {
    await conn.end().catch(() => {});
  }
}

function quoteLogin(login: string): string {
  const at = login.lastIndexOf('@');
  return `'${login.slice(0, at)}'@'${login.slice(at + 1)}'`;
}

function jwtCheck(deps: DoctorDeps): DoctorCheck {
  const bytes = Buffer.byteLength(deps.config.jwtSecret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) return problem('jwt', `GOLDCOIN_JWT_SECRET is ${bytes} bytes`, 'set the same secret of at least 32 bytes in the sidecar and in wp-config.php (openssl rand -hex 32)');
  if (deps.jwtRoundTrip) {
    return pass('jwt', `the plugin's token was accepted: both sides share the secret and the issuer ${deps.jwtRoundTrip.issuer}`);
  }
  return pass('jwt', `the secret is set (${bytes} bytes); the round trip with the plugin runs from Gold Coins → Settings → Check`);
}

async function corsCheck(deps: DoctorDeps, timeoutMs: number): Promise<DoctorCheck> {
  const site = new URL(deps.config.wpHome).origin;
  if (!deps.config.corsOrigins.includes(site)) {
    return problem('cors', `CORS_ORIGINS (${deps.config.corsOrigins.join(', ')}) does not allow the site ${site}`, `add ${site} to CORS_ORIGINS`);
  }
  // Through PUBLIC_URL, as the browser goes: a proxy in front may drop or rewrite the CORS headers.
  try {
    const res = await fetch(`${deps.config.publicUrl.replace(/\/+$/, '')}/api/wallet`, {
      method: 'OPTIONS',
      headers: { Origin: site, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    const allowed = res.headers.get('access-control-allow-origin');
    if (allowed !== site && allowed !== '*') {
      return problem('cors', `a preflight from ${site} to PUBLIC_URL got Access-Control-Allow-Origin ${allowed ?? '(none)'} (HTTP ${res.status})`, 'let the proxy in front of the sidecar pass OPTIONS and the CORS headers through unchanged');
    }
    return pass('cors', `${site} is allowed, and a preflight through PUBLIC_URL confirms it`);
  } catch (err) {
    return problem('cors', `${site} is allowed, but PUBLIC_URL did not answer a preflight: ${message(err)}`, 'make PUBLIC_URL reach this sidecar from the host (DNS, TLS, proxy)');
  }
}

async function legacyCheck(cp: NonNullable<Config['coinpayments']['legacy']>): Promise<DoctorCheck> {
  const client = new CoinPaymentsClient({ ...cp, timeoutMs: Math.min(cp.timeoutMs, DEFAULT_TIMEOUT_MS) });
  try {
    const info = await client.call<{ merchant_id?: string; username?: string }>('get_basic_info', {});
    if (info.merchant_id !== undefined && info.merchant_id !== cp.merchantId) {
      return problem('payments', `CoinPayments (legacy) accepted the keys of merchant ${info.merchant_id}, not COINPAYMENTS_MERCHANT_ID ${cp.merchantId}`, `set COINPAYMENTS_MERCHANT_ID=${info.merchant_id} (Account Settings → Merchant ID), or use that account's keys`);
    }
    return pass('payments', `CoinPayments (legacy, ${new URL(cp.apiUrl).host}) accepts the keys of merchant ${cp.merchantId}`);
  } catch (err) {
    if (err instanceof CoinPaymentsError && err.code === 'provider_error') {
      return problem('payments', `CoinPayments (legacy) refused the keys: ${err.message}`, 'in CoinPayments → API Keys copy the public and private key of one pair into COINPAYMENTS_PUBLIC_KEY and COINPAYMENTS_PRIVATE_KEY, with get_basic_info, rates, create_transaction and get_tx_info allowed');
    }
    return problem('payments', `CoinPayments (legacy) did not answer: ${message(err)}`, 'check COINPAYMENTS_API_URL (leave it unset for the real api.php) and that the host reaches it over HTTPS');
  }
}

/** Half a configuration never gets here: parseConfig refuses it and names what is missing. */
async function v2Check(keys: NonNullable<Config['coinpayments']['v2']>, candidates: string[], timeoutMs: number): Promise<DoctorCheck> {
  const probe = (apiBase: string) => new CoinPaymentsV2Client({ ...keys, apiBase, timeoutMs }).checkCredentials();
  const r = await probe(keys.apiBase);
  if (r.ok) return pass('payments', `CoinPayments (new platform, ${new URL(keys.apiBase).host}) accepts the client id and secret`);
  if (r.code === 'provider_unavailable') {
    return problem('payments', `CoinPayments (new platform) at ${keys.apiBase} did not answer: ${r.message}`, 'check COINPAYMENTS_API_BASE and that the host reaches it over HTTPS');
  }
  for (const other of candidates.filter((c) => c.replace(/\/+$/, '') !== keys.apiBase)) {
    const o = await probe(other.replace(/\/+$/, ''));
    if (o.ok) {
      return problem('payments', `CoinPayments (new platform) at ${keys.apiBase} refused the keys, which belong to the instance ${other}`, `set COINPAYMENTS_API_BASE=${other}`);
    }
  }
  return problem('payments', `CoinPayments (new platform) refused the keys: ${r.message}`, 'copy the Client ID and Client Secret of one integration into COINPAYMENTS_CLIENT_ID and COINPAYMENTS_CLIENT_SECRET, and set COINPAYMENTS_API_BASE to its instance');
}

/** The notification URL must be https and reach this sidecar: an unsigned POST gets our own refusal back. */
async function notifyUrlCheck(label: string, url: string, expect: RegExp, timeoutMs: number): Promise<DoctorCheck> {
  // A 404 or 405 is an answer, but from something that does not serve this path.
  const ours = (status: number, text: string) => status >= 400 && status < 500 && status !== 404 && status !== 405 && expect.test(text);
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:') {
    return problem('webhook', `the ${label} URL ${url} is not https: CoinPayments will not deliver to it`, 'set PUBLIC_URL to the https:// address CoinPayments reaches (TLS at the proxy in front of the sidecar)');
  }
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'goldcoin-doctor' }, body: '', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const text = (await res.text()).slice(0, 500);
    if (res.status >= 300 && res.status < 400) {
      return problem('webhook', `the ${label} URL ${url} redirects (HTTP ${res.status}): CoinPayments does not follow redirects`, 'set PUBLIC_URL to the final https address, without a redirect');
    }
    if (!ours(res.status, text)) {
      return problem('webhook', `the ${label} URL ${url} answered HTTP ${res.status} but not as the sidecar: "${text.slice(0, 80)}"`, 'route PUBLIC_URL and its /ipn and /webhooks paths to the sidecar, with no bot or CSRF protection on them');
    }
    return pass('webhook', `the ${label} URL ${url} is https and reaches the sidecar (an unsigned probe was refused, as it should be)`);
  } catch (err) {
    return problem('webhook', `the ${label} URL ${url} is not reachable from this host: ${message(err)}`, 'fix DNS, the TLS certificate or the proxy so PUBLIC_URL reaches the sidecar from outside');
  }
}

async function smtpCheck(config: Config, timeoutMs: number): Promise<DoctorCheck> {
  const smtpUrl = config.notify.smtpUrl;
  if (!smtpUrl) return pass('smtp', 'SMTP_URL is not set: no email is sent, in-site notifications still work');
  const host = new URL(smtpUrl).host;
  const transport = createTransport({ url: smtpUrl, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs });
  try {
    await transport.verify();
    return pass('smtp', `${host} answers and accepts the login`);
  } catch (err) {
    const text = message(err).split(decodeURIComponent(new URL(smtpUrl).password) || '\u0000').join('[redacted]');
    return problem('smtp', `${host} did not accept a session: ${text}`, 'check SMTP_URL (smtp://host:587 or smtps://user:pass@host:465) and that this host may reach that port');
  } finally {
    transport.close();
  }
}

export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { config } = deps;
  const base = config.publicUrl.replace(/\/+$/, '');
  const paymentChecks: Array<Promise<DoctorCheck>> = [];
  const notifyChecks: Array<Promise<DoctorCheck>> = [];
  const v2 = config.coinpayments.v2;
  if (v2) {
    paymentChecks.push(v2Check(v2, deps.v2Instances ?? (OFFICIAL_INSTANCES.includes(v2.apiBase) ? OFFICIAL_INSTANCES : []), timeoutMs));
    notifyChecks.push(notifyUrlCheck('webhook', `${base}/webhooks/coinpayments`, /^\{"error":\{"code":"/, timeoutMs));
  }
  if (config.coinpayments.legacy) {
    paymentChecks.push(legacyCheck(config.coinpayments.legacy));
    notifyChecks.push(notifyUrlCheck('IPN', `${base}/ipn/coinpayments`, /^IPN rejected/, timeoutMs));
  }
  const groups = await Promise.all([
    databaseChecks(config),
    Promise.resolve([jwtCheck(deps)]),
    corsCheck(deps, timeoutMs).then((c) => [c]),
    Promise.all(paymentChecks),
    Promise.all(notifyChecks),
    smtpCheck(config, timeoutMs).then((c) => [c]),
  ]);
  const checks = groups.flat();
  return { ok: checks.every((c) => c.ok), checks };
}

/** The report as the command line prints it: one line per check, the fix after the problem. */
export function formatReport(report: DoctorReport): string {
  const lines = report.checks.map((c) => (c.ok ? `ok    ${c.id}: ${c.detail}` : `FAIL  ${c.id}: ${c.detail}; fix: ${c.fix}`));
  const failed = report.checks.filter((c) => !c.ok).length;
  lines.push(report.ok ? 'doctor: everything checked is in order' : `doctor: ${failed} problem(s)`);
  return lines.join('\n');
}

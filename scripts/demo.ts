// npm run demo: the sidecar, a CoinPayments simulator (paying by itself; the new platform's unless DEMO_PLATFORM=legacy)
// and a WordPress site with the plugin and sample EA posts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../simulators/coinpayments-legacy/simulator.js';
import { startSimulatorV2, type SimulatorV2 } from '../simulators/coinpayments-v2/server.js';
import { ADMIN_URL } from '../tests/support/db.js';
import { startSidecar, type SidecarProcess } from '../tests/support/sidecar-process.js';
import { buildWidget } from '../tests/support/browser.js';
import { createEmptyDatabase, WORDPRESS_DIR, startWordPress, wordpressPresent, type WordPressSite } from '../tests/support/wordpress.js';
import { startStaticHost, type StaticHost } from './demo-static.js';

const env = process.env;
const DATABASE = env['DEMO_DATABASE'] ?? 'goldcoin_demo';
/** The demo owns /etc/wordpress/config-<host>.php for this host name while it runs. */
const WP_HOST = env['DEMO_WP_HOST'] ?? '127.0.0.1';
const WP_PORT = Number(env['DEMO_WP_PORT'] ?? 8080);
const SIDECAR_PORT = Number(env['DEMO_SIDECAR_PORT'] ?? 8787);
const SIMULATOR_PORT = Number(env['DEMO_SIMULATOR_PORT'] ?? 8790);
/** Seconds a new payment waits before the simulator pays it in full; 0 turns autopay off. */
const AUTOPAY_S = Number(env['DEMO_AUTOPAY_S'] ?? 8);
const AUTOPAY_POLL_MS = 1_000;
const CP = { publicKey: 'demo_public_key', privateKey: 'demo_private_key', merchantId: 'demo_merchant', ipnSecret: 'demo_ipn_secret' };
const CP_V2 = { clientId: 'demo-client-id', clientSecret: 'demo-client-secret-0123456789abcdef' };
/** Which CoinPayments platform the demo's recharges use: the new one (accounts opened today) unless asked for legacy. */
const PLATFORM = env['DEMO_PLATFORM'] ?? 'v2';
const LOGINS = {
  admin: { login: 'admin', password: 'admin-demo-pass', email: 'admin@demo.test' },
  editor: { login: 'editor', password: 'editor-demo-pass', email: 'editor@demo.test' },
  reader: { login: 'reader', password: 'reader-demo-pass', email: 'reader@demo.test' },
  readerZh: { login: 'duzhe', password: 'duzhe-demo-pass', email: 'duzhe@demo.test' },
};
const SAMPLE_EAS = [
  { title: 'Scalper Pro EA (EURUSD M5)', file: 'ScalperPro.ex4', price: 30, text: 'A grid scalper for EURUSD on M5 with a hard equity stop.' },
  { title: 'Trend Rider EA (XAUUSD H1)', file: 'TrendRider.ex5', price: 80, text: 'Follows gold trends on H1 with ATR trailing stops. MetaTrader 5.' },
  { title: 'Night Owl EA (Asian session)', file: 'NightOwl.zip', price: 150, text: 'Mean reversion in the quiet Asian session, with its set files.' },
];

const log = (line: string) => process.stdout.write(`demo: ${line}\n`);

async function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

async function requirePort(host: string, port: number, variable: string): Promise<void> {
  if (!(await portFree(host, port))) throw new Error(`${host}:${port} is in use; stop what runs there or set ${variable}`);
}

/** The simulator the demo runs: what the sidecar is pointed at, and what the printout says about it. */
interface DemoSimulator {
  env: Record<string, string>;
  lines: string[];
  close(): Promise<void>;
}

/** Pays every waiting payment once it is AUTOPAY_S old, as a buyer with a wallet would. */
function startAutopay(sim: Simulator): () => void {
  if (AUTOPAY_S <= 0) return () => undefined;
  const paying = new Set<string>();
  const timer = setInterval(() => {
    const dueS = Math.floor(Date.now() / 1000) - AUTOPAY_S;
    for (const t of sim.transactions()) {
      if (t.status !== 0 || t.createdAtS > dueS || paying.has(t.txnId)) continue;
      paying.add(t.txnId);
      sim
        .pay(t.txnId)
        .then((r) => log(`simulator paid ${t.amount2} ${t.currency2} for ${t.txnId} (IPN answered ${r.at(-1)?.httpStatus ?? 'nothing'})`))
        .catch((err: Error) => log(`simulator could not pay ${t.txnId}: ${err.message}`));
    }
  }, AUTOPAY_POLL_MS);
  return () => clearInterval(timer);
}

/** The same for the new platform's invoices. */
function startAutopayV2(sim: SimulatorV2): () => void {
  if (AUTOPAY_S <= 0) return () => undefined;
  const paying = new Set<string>();
  const timer = setInterval(() => {
    for (const inv of sim.invoices()) {
      if (inv.status !== 'unpaid' || paying.has(inv.id) || Date.now() - inv.createdAtMs < AUTOPAY_S * 1000) continue;
      paying.add(inv.id);
      sim
        .pay(inv.id)
        .then((d) => log(`simulator paid invoice ${inv.invoiceId} (${inv.id}); webhooks answered ${d.map((x) => x.httpStatus ?? 'nothing').join(', ') || 'none'}`))
        .catch((err: Error) => log(`simulator could not pay ${inv.id}: ${err.message}`));
    }
  }, AUTOPAY_POLL_MS);
  return () => clearInterval(timer);
}

const autopayNote = () => (AUTOPAY_S > 0 ? `(pays each new payment after ${AUTOPAY_S} s; DEMO_AUTOPAY_S=0 turns that off)` : '(autopay off)');

async function startDemoSimulator(): Promise<DemoSimulator> {
  if (PLATFORM === 'legacy') {
    const sim = await startSimulator({ ...CP, host: '127.0.0.1', port: SIMULATOR_PORT });
    const stopAutopay = startAutopay(sim);
    return {
      env: {
        COINPAYMENTS_PLATFORM: 'legacy',
        COINPAYMENTS_API_URL: sim.apiUrl,
        COINPAYMENTS_PUBLIC_KEY: CP.publicKey,
        COINPAYMENTS_PRIVATE_KEY: CP.privateKey,
        COINPAYMENTS_MERCHANT_ID: CP.merchantId,
        COINPAYMENTS_IPN_SECRET: CP.ipnSecret,
      },
      lines: [
        `  Simulator       ${sim.apiUrl}  legacy api.php ${autopayNote()}`,
        `                  pay one by hand: curl -X POST ${sim.url}/_sim/transactions/<txn_id>/pay  (list: ${sim.url}/_sim/transactions)`,
      ],
      close: async () => {
        stopAutopay();
        await sim.close();
      },
    };
  }
  if (PLATFORM !== 'v2') throw new Error(`DEMO_PLATFORM must be v2 or legacy, not ${PLATFORM}`);
  const sim = await startSimulatorV2({ ...CP_V2, host: '127.0.0.1', port: SIMULATOR_PORT });
  const stopAutopay = startAutopayV2(sim);
  return {
    env: {
      COINPAYMENTS_PLATFORM: 'v2',
      COINPAYMENTS_CLIENT_ID: CP_V2.clientId,
      COINPAYMENTS_CLIENT_SECRET: CP_V2.clientSecret,
      COINPAYMENTS_API_BASE: sim.apiBase,
    },
    lines: [
      `  Simulator       ${sim.apiBase}  CoinPayments' new platform (DEMO_PLATFORM=legacy for api.php) ${autopayNote()}`,
      `                  pay one by hand: curl -X POST ${sim.url}/_sim/invoices/<txn_id>/pay -d '{}'  (list: ${sim.url}/_sim/invoices)`,
    ],
    close: async () => {
      stopAutopay();
      await sim.close();
    },
  };
}

async function sampleFiles(dir: string): Promise<string[]> {
  const paths: string[] = [];
  for (const ea of SAMPLE_EAS) {
    const path = join(dir, ea.file);
    await writeFile(path, Buffer.concat([Buffer.from(`${ea.file} demo build\0`), randomBytes(2048)]));
    paths.push(path);
  }
  return paths;
}

/** Block-editor markup, so the posts open in the editor as a paragraph and a shortcode block. */
function blocks(paragraph: string, shortcode: string): string {
  const p = paragraph ? `<!-- wp:paragraph -->\n${paragraph}\n<!-- /wp:paragraph -->\n\n` : '';
  return `${p}<!-- wp:shortcode -->\n${shortcode}\n<!-- /wp:shortcode -->`;
}

async function seedWordPress(wp: WordPressSite, files: string[]): Promise<{ posts: string[]; pages: Record<string, string> }> {
  const result = await wp.setup<{ id?: number; url?: string }[]>([
    { op: 'user', ...LOGINS.editor, role: 'editor', name: 'Eddie Editor' },
    { op: 'user', ...LOGINS.reader, role: 'subscriber', name: 'Rita Reader' },
    { op: 'user', ...LOGINS.readerZh, role: 'subscriber', name: '读者小王', locale: 'zh_CN' },
    ...SAMPLE_EAS.map((ea, i) => ({
      op: 'post' as const,
      title: ea.title,
      content: blocks(`<p>${ea.text}</p>`, '[goldcoin_unlock]'),
      author: LOGINS.editor.login,
      price: ea.price,
      ea_file: files[i]!,
    })),
    { op: 'post', type: 'page', title: 'Recharge', content: blocks('', '[goldcoin_recharge]') },
    { op: 'post', type: 'page', title: 'My wallet', content: blocks('', '[goldcoin_wallet]') },
    { op: 'post', type: 'page', title: 'Rewards', content: blocks('', '[goldcoin_redeem]') },
    { op: 'post', type: 'page', title: 'Invite friends', content: blocks('', '[goldcoin_referral]') },
  ]);
  const urls = result.slice(3).map((r) => r.url ?? '');
  return { posts: urls.slice(0, SAMPLE_EAS.length), pages: { recharge: urls[3]!, wallet: urls[4]!, rewards: urls[5]!, referral: urls[6]! } };
}

async function main() {
  const stops: (() => Promise<void> | void)[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const stop of stops.reverse()) await Promise.resolve(stop()).catch((err: Error) => log(`while stopping: ${err.message}`));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  // When the terminal or pipe reading the output goes away first, cleaning up must still finish.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);

  try {
    // npm run demo has run scripts/provision; where it could not install PHP or WordPress, or with
    // DEMO_STATIC=1, a static host page stands in for WordPress.
    const withWordPress = env['DEMO_STATIC'] !== '1' && wordpressPresent();
    if (!withWordPress && env['DEMO_STATIC'] !== '1') log('PHP or WordPress is missing: serving a static host page instead of WordPress');
    log('building the widget');
    const widgetDir = await buildWidget();
    stops.push(() => rm(widgetDir, { recursive: true, force: true }));
    await requirePort(WP_HOST, WP_PORT, 'DEMO_WP_PORT');
    await requirePort('127.0.0.1', SIDECAR_PORT, 'DEMO_SIDECAR_PORT');
    await requirePort('127.0.0.1', SIMULATOR_PORT, 'DEMO_SIMULATOR_PORT');

    const siteUrl = `http://${WP_HOST}:${WP_PORT}`;
    const sidecarUrl = `http://127.0.0.1:${SIDECAR_PORT}`;
    const secret = randomBytes(32).toString('hex');
    const databaseUrl = await createEmptyDatabase(DATABASE);
    log(`database ${DATABASE} created (fresh on every run)`);

    const sim = await startDemoSimulator();
    stops.push(() => sim.close());

    const sidecarEnv = {
      DATABASE_URL: databaseUrl,
      PUBLIC_URL: sidecarUrl,
      GOLDCOIN_JWT_SECRET: secret,
      WP_HOME: siteUrl,
      CORS_ORIGINS: siteUrl,
      ...sim.env,
      RECONCILE_INTERVAL_S: '3',
      LOG_LEVEL: 'warn',
    };

    if (withWordPress) {
      log(`installing WordPress at ${siteUrl}`);
      const wp = await startWordPress({
        host: WP_HOST,
        port: WP_PORT,
        database: DATABASE,
        sidecarUrl,
        jwtSecret: secret,
        title: 'Gold Coins EA demo',
        widgetDir,
        admin: { user: LOGINS.admin.login, password: LOGINS.admin.password, email: LOGINS.admin.email },
      });
      stops.push(() => wp.stop());
      log(`starting the sidecar at ${sidecarUrl}`);
      const sidecar: SidecarProcess = await startSidecar({ env: sidecarEnv, port: SIDECAR_PORT, label: 'sidecar' });
      stops.push(() => sidecar.stop());
      const filesDir = await mkdtemp(join(tmpdir(), 'goldcoin-demo-eas-'));
      stops.push(() => rm(filesDir, { recursive: true, force: true }));
      const { posts, pages } = await seedWordPress(wp, await sampleFiles(filesDir));
      printWordPress(wp, sidecarUrl, sim, posts, pages);
    } else {
      const host: StaticHost = await startStaticHost({ host: WP_HOST, port: WP_PORT, databaseUrl, sidecarUrl, secret, widgetDir, eas: SAMPLE_EAS });
      stops.push(() => host.stop());
      const sidecar = await startSidecar({ env: sidecarEnv, port: SIDECAR_PORT, label: 'sidecar' });
      stops.push(() => sidecar.stop());
      printStatic(host, sidecarUrl, sim);
    }
  } catch (err) {
    process.stderr.write(`demo failed: ${(err as Error).message}\n`);
    await stopAll(1);
  }
}

function printCommon(sidecarUrl: string, sim: DemoSimulator): string[] {
  return [
    `  Sidecar API     ${sidecarUrl}  (OpenAPI at ${sidecarUrl}/openapi.json, health at /readyz)`,
    ...sim.lines,
    `  Database        ${ADMIN_URL.replace(/\/\/[^@]*@/, '//')}/${DATABASE}`,
  ];
}

function printWordPress(wp: WordPressSite, sidecarUrl: string, sim: DemoSimulator, posts: string[], pages: Record<string, string>) {
  const lines = [
    '',
    'Gold Coins demo is running. Ctrl-C stops everything.',
    '',
    `  WordPress       ${wp.url}/  (Debian's WordPress in ${WORDPRESS_DIR}, plugin "Gold Coins" active)`,
    ...SAMPLE_EAS.map((ea, i) => `  EA post         ${posts[i]}  ${ea.title}, ${ea.price} coins`),
    `  Pages           recharge ${pages['recharge']}  wallet ${pages['wallet']}  rewards ${pages['rewards']}  referral ${pages['referral']}`,
    `  Admin page      ${wp.url}/wp-admin/admin.php?page=goldcoin  (payments, ledger, adjustments, stats)`,
    ...printCommon(sidecarUrl, sim),
    '',
    `  Log in at ${wp.url}/wp-login.php as:`,
    `    ${LOGINS.reader.login} / ${LOGINS.reader.password}      a subscriber with 0 coins: open an EA post, recharge, unlock, download`,
    `    ${LOGINS.readerZh.login} / ${LOGINS.readerZh.password}        the same in Simplified Chinese`,
    `    ${LOGINS.editor.login} / ${LOGINS.editor.password}      an editor: the "Gold Coins" box on a post sets its price and EA file`,
    `    ${LOGINS.admin.login} / ${LOGINS.admin.password}        the site owner: Gold Coins in the admin menu`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

function printStatic(host: StaticHost, sidecarUrl: string, sim: DemoSimulator) {
  const lines = [
    '',
    'Gold Coins demo is running with a static host page instead of WordPress. Ctrl-C stops everything.',
    '',
    `  Host page       ${host.url}/  (the widget with demo tokens for user "${host.userLogin}")`,
    `  Admin view      ${host.url}/admin`,
    ...printCommon(sidecarUrl, sim),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

void main();

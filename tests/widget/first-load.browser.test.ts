// What the widget costs the page it sits in, in Debian's Chromium against a real sidecar and MariaDB: the chunks a view
// fetches (only its own), no layout shift while it mounts and loads its first data in the space the plugin reserves,
// and the time from its script's arrival to its first enabled control (bench/widget.ts holds it to 50 ms).
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RESERVE_PX } from '../../widget/src/reserve.js';
import { mintToken } from '../support/app.js';
import { buildWidget, launchBrowser } from '../support/browser.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { startPaymentsHarness, type PaymentsHarness } from '../support/payments.js';
import { insertPricedPost } from '../support/wp-content.js';

const WAIT_MS = 15_000;
const WIDTHS = [
  { width: 1366, height: 768 },
  { width: 390, height: 844 },
];
const VIEWS = ['recharge', 'unlock', 'wallet', 'redeem'] as const;
const PHP_WIDGET = join(import.meta.dirname, '../../wp-plugin-shim/includes/class-goldcoin-widget.php');

/** Goldcoin_Widget::MIN_HEIGHT_PX as the plugin declares it: the heights it prints on each element. */
async function pluginReserve(): Promise<Record<string, number>> {
  const php = await readFile(PHP_WIDGET, 'utf8');
  const list = /MIN_HEIGHT_PX\s*=\s*array\(([^)]*)\)/.exec(php)?.[1] ?? '';
  return Object.fromEntries([...list.matchAll(/'(\w+)'\s*=>\s*(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

// Records every layout shift (buffered, so none before the observer is missed) and the moment the widget first has an
// enabled button, from a MutationObserver on its shadow root; both are read after the view's first data has loaded.
const PROBE = `<script>
  window.shifts = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) shifts.push({ value: e.value, input: e.hadRecentInput }); })
    .observe({ type: 'layout-shift', buffered: true });
  customElements.whenDefined('goldcoin-widget').then(() => {
    const root = document.querySelector('goldcoin-widget').shadowRoot;
    const look = () => {
      const b = root.querySelector('button:not(:disabled)');
      if (b && !window.ready) window.ready = { at: performance.now(), text: b.textContent };
    };
    new MutationObserver(look).observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
    look();
  });
</script>`;

interface Host {
  origin: string;
  page(body: string): string;
  close(): Promise<void>;
}

/** A content site: a post's text around the element, served with the built scripts and chunks from one folder. */
async function startHost(dir: string): Promise<Host> {
  const pages: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    const page = /^\/page\/(\d+)$/.exec(path);
    if (page && pages[Number(page[1])]) return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(pages[Number(page[1])]);
    if (/^\/goldcoin[\w.-]*\.js$/.test(path)) {
      return void readFile(join(dir, path)).then(
        (js) => res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(js),
        () => res.writeHead(404).end(),
      );
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const filler = 'The strategy trades the London open with a fixed stop and a trailing target. '.repeat(12);
  return {
    origin,
    page(body) {
      pages.push(
        `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
          `<title>post</title><style>body{margin:0 auto;max-width:720px;padding:16px;font:16px/1.6 Georgia,serif}</style>${PROBE}</head>` +
          `<body><h1>Gold Scalper EA</h1><p>${filler.slice(0, 160)}</p>${body}<p id="after">${filler}</p>` +
          `<script async src="/goldcoin.js?ver=0.1.0"></script></body></html>`,
      );
      return `${origin}/page/${pages.length - 1}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let dir: string;
let tdb: TestDatabase;
let h: PaymentsHarness;
let host: Host;
let browser: Browser;
let reserve: Record<string, number>;
let adminToken: string;

beforeAll(async () => {
  [dir, tdb, reserve] = await Promise.all([buildWidget(), createTestDatabase(import.meta.filename), pluginReserve()]);
  host = await startHost(dir);
  h = await startPaymentsHarness(tdb, { env: { CORS_ORIGINS: host.origin } });
  browser = await launchBrowser();
  adminToken = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
});

afterAll(async () => {
  await browser?.close();
  await h?.close();
  await host?.close();
  await tdb?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A reader with a short history: two credits by an administrator, each a ledger row and a notification. */
async function reader(locale: string) {
  const userId = await createWpUser(tdb.db);
  for (const [coins, reason] of [
    [120, 'Welcome bonus'],
    [30, 'Forum contest prize'],
  ] as const) {
    const res = await fetch(`${h.url}/api/admin/adjustments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json', 'Idempotency-Key': `first-load-${userId}-${coins}` },
      body: JSON.stringify({ user_id: userId, delta_coins: coins, reason }),
    });
    expect(res.status).toBe(201);
  }
  return { userId, token: await mintToken(userId, { locale }) };
}

/** The element as Goldcoin_Widget::element() prints it: its attributes and the view's reserved height. */
function element(view: string, attrs: Record<string, string | number>, reserved = true): string {
  const list = Object.entries({ view, ...attrs }).map(([k, v]) => `${k}="${String(v).replace(/"/g, '&quot;')}"`);
  const style = reserved ? ` style="display:block;min-height:${reserve[view]}px"` : '';
  return `<goldcoin-widget ${list.join(' ')}${style}></goldcoin-widget>`;
}

/** What the view shows once its first data is in (so the measure covers the whole first load, not only the mount). */
const LOADED: Record<(typeof VIEWS)[number], string> = {
  recharge: 'dl',
  unlock: 'dl',
  wallet: '.hero .coin',
  redeem: 'li .btn',
};

interface FirstLoad {
  cls: number;
  parallel: boolean;
  ttiMs: number;
  control: string;
  heightPx: number;
  hostPx: number;
  chunks: string[];
}

/** Opens the view as a reader of the site would, and measures its first load once its data has arrived. */
async function firstLoad(view: (typeof VIEWS)[number], size: { width: number; height: number }, locale: string, reserved = true, price = 30): Promise<FirstLoad> {
  const r = await reader(locale);
  const { postId } = await insertPricedPost(tdb.db, price, { title: 'Gold Scalper EA', filePath: '2026/11/GoldScalper-v3.ex4' });
  const page = await browser.newPage({ viewport: size });
  page.setDefaultTimeout(WAIT_MS);
  const chunks: string[] = [];
  page.on('request', (req) => req.url().startsWith(host.origin) && /goldcoin-/.test(req.url()) && chunks.push(new URL(req.url()).pathname.slice(1)));
  // The script arrives after the page has painted, as it does over a real network: the mount then happens in view.
  let release!: () => void;
  const painted = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/goldcoin.js?*', async (route) => {
    await painted;
    await route.continue();
  });
  await page.goto(host.page(element(view, { 'post-id': postId, api: h.url, token: r.token, locale }, reserved)), { waitUntil: 'commit' });
  await page.locator('#after').waitFor();
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  release();
  await page.locator(`goldcoin-widget ${LOADED[view]}`).first().waitFor();
  await page.waitForFunction(() => (window as unknown as { ready?: unknown }).ready);
  // Layout shifts are reported once the frame that moved things is rendered: two frames after the last change.
  const m = await page.evaluate(
    () =>
      new Promise<Omit<FirstLoad, 'chunks'> & { alerts: number }>((resolve) =>
        requestAnimationFrame(() =>
          requestAnimationFrame(() => {
            const w = window as unknown as { shifts: { value: number; input: boolean }[]; ready: { at: number; text: string } };
            const script = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname === '/goldcoin.js') as PerformanceResourceTiming;
            const el = document.querySelector('goldcoin-widget')!;
            resolve({
              cls: w.shifts.filter((s) => !s.input).reduce((a, s) => a + s.value, 0),
              ttiMs: w.ready.at - script.responseEnd,
              control: w.ready.text,
              heightPx: el.shadowRoot!.querySelector('.r')!.getBoundingClientRect().height,
              hostPx: el.getBoundingClientRect().height,
              alerts: el.shadowRoot!.querySelectorAll('[role=alert]').length,
              // The chunks the entry asked for: all requested before the first of them arrived, i.e. in one round trip.
              parallel: (() => {
                const chunks = performance.getEntriesByType('resource').filter((e) => /\/goldcoin-[\w-]+\.js$/.test(e.name)) as PerformanceResourceTiming[];
                return chunks.length >= 3 && Math.max(...chunks.map((e) => e.startTime)) < Math.min(...chunks.map((e) => e.responseEnd));
              })(),
            });
          }),
        ),
      ),
  );
  expect(m.alerts, `${view}: no error shown`).toBe(0);
  await page.locator('goldcoin-widget').screenshot({ path: `/tmp/goldcoin-first-load-${view}-${size.width}-${locale}.png` });
  await page.close();
  return { ...m, chunks };
}

describe('first load', () => {
  test('the plugin reserves the height the widget itself reserves, for every view', () => {
    expect(reserve).toEqual(RESERVE_PX);
  });

  test.each(VIEWS)('%s: no layout shift at 1366 and 390 px, in English and Chinese; its chunks fetched in one round trip', async (view) => {
    for (const size of WIDTHS) {
      for (const locale of ['en_US', 'zh_CN']) {
        const m = await firstLoad(view, size, locale);
        console.log(`${view} ${size.width}px ${locale}: CLS ${m.cls}, interactive ${m.ttiMs.toFixed(1)} ms ("${m.control}"), content ${m.heightPx} px in ${m.hostPx} px`);
        expect(m.cls, `${view} ${size.width} ${locale}`).toBe(0);
        expect(m.heightPx).toBeLessThanOrEqual(reserve[view]!);
        expect(m.parallel).toBe(true);
        // Interactive within TTI_BUDGET_MS of the script is measured by bench/widget.ts on a quiet machine; here, where
        // other test files share the cores, only that it was measured at all.
        expect(m.ttiMs).toBeGreaterThan(0);
      }
    }
  });

  test('unlock short of coins (a warning line more) still fits the reserved space at 390 px', async () => {
    const m = await firstLoad('unlock', WIDTHS[1]!, 'en_US', true, 500);
    expect(m.control).toBe('Recharge to unlock');
    expect(m.cls).toBe(0);
  });

  test('without the reserved height the same mount does shift the page (the measure can fail)', async () => {
    const m = await firstLoad('unlock', WIDTHS[0]!, 'en_US', false);
    expect(m.cls).toBeGreaterThan(0);
  });

  test('a view fetches only the renderer, its own chunk and its language; the recharge and payment views come when asked for', async () => {
    const r = await reader('en_US');
    const { postId } = await insertPricedPost(tdb.db, 500, { title: 'Grid EA', filePath: '2026/11/Grid.ex4' });
    const page = await browser.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const fetched: string[] = [];
    page.on('request', (req) => req.url().startsWith(host.origin) && /goldcoin/.test(req.url()) && fetched.push(new URL(req.url()).pathname.replace(/-[\w-]{8}\.js$/, '')));
    await page.goto(host.page(element('unlock', { 'post-id': postId, api: h.url, token: r.token })));
    await page.getByRole('button', { name: 'Recharge to unlock' }).waitFor();
    expect(fetched.sort()).toEqual(['/goldcoin-Unlock', '/goldcoin-app', '/goldcoin-en', '/goldcoin.js']);

    await page.getByRole('button', { name: 'Recharge to unlock' }).click();
    await page.getByRole('button', { name: 'Continue to payment' }).waitFor();
    expect(fetched).toContain('/goldcoin-Recharge');
    expect(fetched).not.toContain('/goldcoin-Payment');
    await page.getByRole('button', { name: 'Continue to payment' }).click();
    await page.getByRole('img', { name: 'Payment QR code' }).waitFor();
    expect(fetched.filter((f) => f === '/goldcoin-Payment')).toHaveLength(1);
    expect(fetched.filter((f) => f.includes('zh-CN') || f.includes('Wallet') || f.includes('Redeem'))).toEqual([]);
    await page.close();
  });
});

// Measures a view's first load in Chromium as a reader's page gets it: a content page around the element the plugin
// prints, the script held back (by the host, not by request interception) until the page has painted; then the layout shifts over the mount and the first data
// load, the time from the script's arrival to the first enabled control, and whether the chunks came in one round trip.
// Used by tests/widget/first-load.browser.test.ts and by bench/widget.ts.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';

const WAIT_MS = 15_000;
/** The views a reader meets first, whose first load the bench times. */
export const FIRST_LOAD_VIEWS = ['recharge', 'unlock', 'wallet', 'redeem'] as const;
/** Every view a post's text may hold: none may shift the page as it mounts and loads (the bell sits in the admin bar). */
export const SHIFT_VIEWS = [...FIRST_LOAD_VIEWS, 'vip', 'referral', 'licenses'] as const;
export type FirstLoadView = (typeof SHIFT_VIEWS)[number];
export const WIDTHS = [
  { width: 1366, height: 768 },
  { width: 390, height: 844 },
];

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

export interface Host {
  origin: string;
  /** A page's address; with `held`, the host answers that page's goldcoin.js only once it has resolved. */
  page(body: string, held?: Promise<void>): string;
  close(): Promise<void>;
}

/** A content site: a post's text around the element, served with the built scripts and chunks from one folder. */
export async function startHost(dir: string): Promise<Host> {
  const pages: string[] = [];
  const holds: Promise<void>[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host');
    const path = url.pathname;
    const page = /^\/page\/(\d+)$/.exec(path);
    if (page && pages[Number(page[1])]) return void res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(pages[Number(page[1])]);
    if (/^\/goldcoin[\w.-]*\.js$/.test(path)) {
      const held = path === '/goldcoin.js' ? holds[Number(url.searchParams.get('page'))] : undefined;
      return void Promise.resolve(held)
        .then(() => readFile(join(dir, path)))
        .then(
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
    page(body, held) {
      const n = pages.length;
      if (held) holds[n] = held;
      pages.push(
        `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
          `<title>post</title><style>body{margin:0 auto;max-width:720px;padding:16px;font:16px/1.6 Georgia,serif}</style>${PROBE}</head>` +
          `<body><h1>Gold Scalper EA</h1><p>${filler.slice(0, 160)}</p>${body}<p id="after">${filler}</p>` +
          `<script async src="/goldcoin.js?ver=0.1.0${held ? `&page=${n}` : ''}"></script></body></html>`,
      );
      return `${origin}/page/${pages.length - 1}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The element as Goldcoin_Widget::element() prints it: its attributes and the view's reserved height. */
export function element(view: string, attrs: Record<string, string | number>, reserve: Record<string, number> | null): string {
  const list = Object.entries({ view, ...attrs }).map(([k, v]) => `${k}="${String(v).replace(/"/g, '&quot;')}"`);
  const style = reserve ? ` style="display:block;min-height:${reserve[view]}px"` : '';
  return `<goldcoin-widget ${list.join(' ')}${style}></goldcoin-widget>`;
}

/** What the view shows once its first data is in (so the measure covers the whole first load, not only the mount). */
const LOADED: Record<FirstLoadView, string> = {
  recharge: 'dl',
  unlock: 'dl',
  wallet: '.hero .coin',
  redeem: 'li .btn',
  vip: 'h2',
  referral: '.code',
  licenses: 'h2',
};

export interface FirstLoad {
  cls: number;
  parallel: boolean;
  ttiMs: number;
  /** From goldcoin.js's responseEnd to the last chunk's, and to the last answer from the API before the view was interactive. */
  chunksMs: number;
  apiMs: number;
  control: string;
  heightPx: number;
  hostPx: number;
  chunks: string[];
}

/** Opens the view as a reader of the site would, and measures its first load once its data has arrived. */
export async function measureFirstLoad(
  browser: Browser,
  host: Host,
  view: FirstLoadView,
  size: { width: number; height: number },
  attrs: { api: string; token: string; locale: string; 'post-id': number },
  reserve: Record<string, number> | null,
): Promise<FirstLoad & { alerts: number }> {
  const page = await browser.newPage({ viewport: size });
  page.setDefaultTimeout(WAIT_MS);
  const chunks: string[] = [];
  page.on('request', (req) => req.url().startsWith(host.origin) && /goldcoin-/.test(req.url()) && chunks.push(new URL(req.url()).pathname.slice(1)));
  // The script arrives after the page has painted, as it does over a real network: the mount then happens in view. The
  // host holds it back: a page.route would pass every request of the page (chunks, API calls) through this process.
  let release!: () => void;
  const painted = new Promise<void>((resolve) => (release = resolve));
  await page.goto(host.page(element(view, attrs, reserve), painted), { waitUntil: 'commit' });
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
              // No named functions in here: the bench runs this file under tsx, whose transform would wrap them in a
              // helper the page does not have.
              ...(() => {
                const out = { chunksMs: 0, apiMs: 0 };
                for (const e of performance.getEntriesByType('resource') as PerformanceResourceTiming[]) {
                  if (e.responseEnd > w.ready.at) continue;
                  const at = e.responseEnd - script.responseEnd;
                  if (/\/goldcoin-[\w-]+\.js$/.test(e.name)) out.chunksMs = Math.max(out.chunksMs, at);
                  else if (new URL(e.name).pathname.startsWith('/api/')) out.apiMs = Math.max(out.apiMs, at);
                }
                return out;
              })(),
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
  await page.locator('goldcoin-widget').screenshot({ path: `/tmp/goldcoin-first-load-${view}-${size.width}-${attrs.locale}.png` });
  await page.close();
  return { ...m, chunks };
}


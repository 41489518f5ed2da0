// bench: the visitor widget's first load in Chromium: the bytes gzip a page fetches before each view is interactive,
// the time from goldcoin.js's arrival to the view's first enabled control (the API answered by a real sidecar on this
// machine), and the layout shift over the mount and the first data load. `npm run bench:widget` writes its table into
// bench/RESULTS.md alone; bench/run.ts adds it to the full run.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { applyMovement } from '../sidecar/src/ledger/ledger.js';
import { RESERVE_PX } from '../widget/src/reserve.js';
import { mintToken } from '../tests/support/app.js';
import { buildWidget, launchBrowser } from '../tests/support/browser.js';
import { createTestDatabase, createWpUser } from '../tests/support/db.js';
import { startPaymentsHarness } from '../tests/support/payments.js';
import { insertPricedPost } from '../tests/support/wp-content.js';
import { FIRST_LOAD_VIEWS, measureFirstLoad, startHost, WIDTHS } from '../tests/widget/first-load.js';
import { fmt } from './load.js';

/** Loads per view and width; the median is reported (the first load of a fresh page each time, nothing cached). */
const ROUNDS = 7;
const TTI_TARGET_MS = 50;
const BYTES_BUDGET = 12_288;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The widget's table, as markdown. */
export async function benchWidget(log: (line: string) => void = () => undefined): Promise<string> {
  const dir = await buildWidget();
  const tdb = await createTestDatabase('bench-widget');
  const host = await startHost(dir);
  const h = await startPaymentsHarness(tdb, { env: { CORS_ORIGINS: host.origin } });
  const browser = await launchBrowser();
  const gzip = new Map<string, number>();
  const gzipOf = (file: string) => {
    if (!gzip.has(file)) gzip.set(file, gzipSync(readFileSync(join(dir, file)), { level: 9 }).length);
    return gzip.get(file)!;
  };
  try {
    const rows: string[] = [];
    for (const view of FIRST_LOAD_VIEWS) {
      const tti: number[] = [];
      const chunksIn: number[] = [];
      const apiIn: number[] = [];
      let cls = 0;
      let bytes = 0;
      for (let round = 0; round < ROUNDS; round++) {
        for (const size of WIDTHS) {
          const userId = await createWpUser(tdb.db);
          const credit = await applyMovement(tdb.db, { userId, deltaCoins: 150, kind: 'adjustment', idempotencyRef: `bench-widget:${userId}`, actor: 'bench' });
          if (!credit.ok) throw new Error(`bench widget: credit refused (${credit.code})`);
          const { postId } = await insertPricedPost(tdb.db, 30, { title: 'Gold Scalper EA', filePath: '2026/11/GoldScalper-v3.ex4' });
          const token = await mintToken(userId, { locale: 'en_US' });
          const m = await measureFirstLoad(browser, host, view, size, { api: h.url, token, locale: 'en_US', 'post-id': postId }, RESERVE_PX);
          if (m.alerts) throw new Error(`bench widget: ${view} showed an error`);
          tti.push(m.ttiMs);
          chunksIn.push(m.chunksMs);
          apiIn.push(m.apiMs);
          cls = Math.max(cls, m.cls);
          bytes = Math.max(bytes, gzipOf('goldcoin.js') + [...new Set(m.chunks)].reduce((a, f) => a + gzipOf(f), 0));
        }
      }
      log(
        `widget ${view}: ${bytes} bytes gzip, interactive ${fmt(median(tti), 1)} ms median (${tti.map((t) => t.toFixed(0)).join(', ')}), ` +
          `chunks in ${fmt(median(chunksIn), 1)}, API answered ${fmt(median(apiIn), 1)}, CLS ${cls}`,
      );
      rows.push(`| ${view} | ${fmt(bytes)} | ${fmt(median(tti), 1)} | ${fmt(Math.max(...tti), 1)} | ${fmt(median(chunksIn), 1)} | ${fmt(median(apiIn), 1)} | ${cls} |`);
    }
    return [
      `| widget: view | first load bytes gzip (budget ${fmt(BYTES_BUDGET)}) | time to interactive ms, median (target ≤ ${TTI_TARGET_MS}) | slowest ms | chunks in, ms | API answered, ms | CLS |`,
      '|---|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      `Each view loaded ${ROUNDS * WIDTHS.length} times (${WIDTHS.map((w) => `${w.width}×${w.height}`).join(' and ')}, English, a fresh page each`,
      'time) by Debian\'s Chromium from a local host page; goldcoin.js is held back until the page has painted. Bytes are what',
      'the page fetched before the view was interactive (goldcoin.js, the renderer, the view and its language), gzip -9 per',
      'file. Time to interactive runs from goldcoin.js\'s responseEnd to the first enabled button in the view, its data',
      'answered by a real sidecar (in this process) on MariaDB. "Chunks in" and "API answered" are the medians of the last chunk\'s',
      'and the last API answer\'s responseEnd on the same clock, so the time to interactive is the later of the two plus the render.',
      'CLS is the sum of layout-shift entries over the mount and the',
      'first data load, with the height the plugin reserves (tests/widget/first-load.browser.test.ts checks it is 0).',
    ].join('\n');
  } finally {
    await browser.close();
    await h.close();
    await host.close();
    await tdb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Replaces the widget section of bench/RESULTS.md (or appends one), leaving the other rows as the last full run wrote them. */
export function writeWidgetSection(resultsPath: string, table: string, machine: string): void {
  const section = `### Widget (visitor script, first load)\n${machine}\n\n${table}\n`;
  const text = readFileSync(resultsPath, 'utf8');
  const at = text.indexOf('### Widget (visitor script');
  const end = at < 0 ? -1 : text.indexOf('\n## ', at);
  const next = at < 0 ? `${text.replace(/\n*$/, '\n\n')}${section}` : `${text.slice(0, at)}${section}${end < 0 ? '' : text.slice(end)}`;
  writeFileSync(resultsPath, next);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = join(import.meta.dirname, 'RESULTS.md');
  const loadAtStart = loadavg()[0]!;
  benchWidget((line) => process.stdout.write(`${line}\n`))
    .then((table) => {
      const load = `load average (1 min) ${fmt(loadAtStart, 1)} at start, ${fmt(loadavg()[0]!, 1)} at end on ${cpus().length} cores`;
      writeWidgetSection(results, table, `Measured alone on ${new Date().toISOString()} (\`npm run bench:widget\`, ${load}${process.env['BENCH_NICE'] ? `, run at nice ${process.env['BENCH_NICE']}` : ''}).`);
      process.stdout.write(`${table}\n`);
      process.exit(0);
    })
    .catch((err) => {
      process.stderr.write(`bench widget failed: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    });
}

// One end-to-end site for a test file: the widget built, a fresh database, a real WordPress on the file's loopback
// host, the sidecar app served against that database (and, when asked, the legacy CoinPayments simulator behind it),
// and Chromium. close() takes down whatever was started, in reverse, so a half-started site is cleaned up too.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import type { Clock } from '../../sidecar/src/clock.js';
import type { Config } from '../../sidecar/src/config.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../simulators/coinpayments-legacy/simulator.js';
import { buildTestApp } from './app.js';
import { buildWidget, launchBrowser } from './browser.js';
import type { TestDatabase } from './db.js';
import { createEmptyDatabase, dropDatabase, freePort, sidecarDatabase, startWordPress, type WordPressOptions, type WordPressSite } from './wordpress.js';

export interface E2eSiteOptions {
  /** Part of the database name (`gct_e2e_<name>_<random>`). */
  name: string;
  /** The file's own loopback host (loopbackHost(N)). */
  host: string;
  /** Sidecar environment beyond the site's addresses and secret (and the simulator's keys, when there is one). */
  env?: Record<string, string>;
  clock?: Clock;
  /** The legacy CoinPayments simulator's keys (and options): the sidecar's payment API and keys point at it. */
  simulator?: Omit<SimulatorOptions, 'host' | 'port'>;
  /** More WordPress options (plugin: false, clockOffsetFile, …). */
  wordpress?: Partial<Omit<WordPressOptions, 'host' | 'port' | 'database' | 'sidecarUrl' | 'jwtSecret' | 'widgetDir'>>;
}

export interface E2eSite {
  widgetDir: string;
  wp: WordPressSite;
  tdb: TestDatabase;
  /** Present when the options asked for a simulator. */
  sim: Simulator | undefined;
  sidecarUrl: string;
  config: Config;
  browser: Browser;
  close(): Promise<void>;
}

export async function startE2eSite(o: E2eSiteOptions): Promise<E2eSite> {
  const dbName = `gct_e2e_${o.name}_${randomBytes(3).toString('hex')}`;
  // WordPress signs the tokens with it and the sidecar checks them with it.
  const jwtSecret = randomBytes(32).toString('hex');
  let widgetDir: string | undefined;
  let dbCreated = false;
  let wp: WordPressSite | undefined;
  let tdb: TestDatabase | undefined;
  let sim: Simulator | undefined;
  let sidecar: ServerType | undefined;
  let browser: Browser | undefined;
  const close = async (): Promise<void> => {
    await browser?.close();
    await new Promise<void>((resolve) => (sidecar ? sidecar.close(() => resolve()) : resolve()));
    await sim?.close();
    await wp?.stop();
    if (tdb) await tdb.drop();
    else if (dbCreated) await dropDatabase(dbName);
    if (widgetDir) await rm(widgetDir, { recursive: true, force: true });
  };
  try {
    widgetDir = await buildWidget();
    await createEmptyDatabase(dbName);
    dbCreated = true;
    const sidecarPort = await freePort();
    const sidecarUrl = `http://127.0.0.1:${sidecarPort}`;
    wp = await startWordPress({ ...o.wordpress, host: o.host, port: await freePort(o.host), database: dbName, sidecarUrl, jwtSecret, widgetDir });
    tdb = await sidecarDatabase(dbName);
    if (o.simulator) sim = await startSimulator({ ...o.simulator, host: '127.0.0.1', port: 0 });
    const { app, config } = buildTestApp(tdb, {
      env: {
        WP_HOME: wp.url,
        CORS_ORIGINS: wp.url,
        PUBLIC_URL: sidecarUrl,
        GOLDCOIN_JWT_SECRET: jwtSecret,
        ...(sim && o.simulator
          ? {
              COINPAYMENTS_API_URL: sim.apiUrl,
              COINPAYMENTS_PUBLIC_KEY: o.simulator.publicKey,
              COINPAYMENTS_PRIVATE_KEY: o.simulator.privateKey,
              COINPAYMENTS_MERCHANT_ID: o.simulator.merchantId,
              COINPAYMENTS_IPN_SECRET: o.simulator.ipnSecret,
            }
          : {}),
        ...o.env,
      },
      ...(o.clock ? { clock: o.clock } : {}),
    });
    await new Promise<void>((resolve) => {
      sidecar = serve({ fetch: app.fetch, port: sidecarPort, hostname: '127.0.0.1' }, () => resolve());
    });
    browser = await launchBrowser();
    return { widgetDir, wp, tdb, sim, sidecarUrl, config, browser, close };
  } catch (err) {
    await close();
    throw err;
  }
}

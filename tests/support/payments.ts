// A payments test harness: the sidecar on a real port (so the simulator can deliver IPNs) and the simulator.
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import type { App } from '../../sidecar/src/app.js';
import type { Clock } from '../../sidecar/src/clock.js';
import type { PaymentProvider } from '../../sidecar/src/payments/provider.js';
import { startSimulator, type Simulator } from '../../simulators/coinpayments-legacy/simulator.js';
import { startSimulatorV2, type SimulatorV2 } from '../../simulators/coinpayments-v2/server.js';
import { buildTestApp, SIM_KEYS } from './app.js';
import type { TestDatabase } from './db.js';

export { SIM_KEYS };

/** The integration the new-platform simulator accepts, as the sidecar's COINPAYMENTS_CLIENT_ID/SECRET. */
export const SIM_V2_KEYS = { clientId: 'sim-client-0001', clientSecret: 'sim-client-secret-0123456789abcdef' };
export const SIM_V2_PREFIX = 'gc-test';

export type Platform = 'legacy' | 'v2';
export const PLATFORMS: Platform[] = ['legacy', 'v2'];

export interface PaymentsHarness extends ReturnType<typeof buildTestApp> {
  sim: Simulator;
  /** The new platform's simulator: both platforms are configured, `platform` says which new recharges use. */
  simV2: SimulatorV2;
  platform: Platform;
  /** The sidecar's base URL (its IPN endpoint is `${url}/ipn/coinpayments`). */
  url: string;
  close(): Promise<void>;
}

export async function startPaymentsHarness(
  tdb: TestDatabase,
  opts: { env?: Record<string, string>; clock?: Clock; simNow?: () => number; platform?: Platform } = {},
): Promise<PaymentsHarness> {
  const platform = opts.platform ?? 'legacy';
  const sim = await startSimulator({ ...SIM_KEYS, ipnMaxAttempts: 3, ipnRetryDelayMs: 20, now: opts.simNow });
  const simV2 = await startSimulatorV2({ ...SIM_V2_KEYS, webhookMaxAttempts: 3, webhookRetryDelayMs: 20, now: opts.simNow });
  let app: App | null = null;
  const server = serve({ fetch: (req) => app!.fetch(req), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const built = buildTestApp(tdb, {
    env: {
      PUBLIC_URL: url,
      COINPAYMENTS_API_URL: sim.apiUrl,
      COINPAYMENTS_TIMEOUT_MS: '5000',
      COINPAYMENTS_CLIENT_ID: SIM_V2_KEYS.clientId,
      COINPAYMENTS_CLIENT_SECRET: SIM_V2_KEYS.clientSecret,
      COINPAYMENTS_API_BASE: simV2.apiBase,
      COINPAYMENTS_INVOICE_PREFIX: SIM_V2_PREFIX,
      COINPAYMENTS_PLATFORM: platform,
      ...opts.env,
    },
    clock: opts.clock,
  });
  app = built.app;
  return {
    ...built,
    sim,
    simV2,
    platform,
    url,
    async close() {
      await sim.close();
      await simV2.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A clock tests can move forward. */
export function movableClock(start = Date.now()) {
  let offsetMs = start - Date.now();
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}

/** A provider that forwards every call to `real` except the ones a test replaces (to race or delay an answer). */
export function wrapProvider(real: PaymentProvider, overrides: Partial<Pick<PaymentProvider, 'createPayment' | 'fetchStatuses' | 'usdRate'>>): PaymentProvider {
  return {
    name: real.name,
    account: real.account,
    maxStatusBatch: real.maxStatusBatch,
    checkCredentials: () => real.checkCredentials(),
    createPayment: (req) => real.createPayment(req),
    fetchStatuses: (ids) => real.fetchStatuses(ids),
    usdRate: (currency) => real.usdRate(currency),
    ...overrides,
  };
}

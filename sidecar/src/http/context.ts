// Types shared by the Hono app and its route groups.
import type { CatalogStore } from '../catalog/store.js';
import type { Handler } from 'hono';
import type { Clock } from '../clock.js';
import type { DoctorDeps } from '../doctor/checks.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log.js';
import type { CoinPaymentsV2Provider } from '../payments/coinpayments-v2/provider.js';
import type { PaymentProvider } from '../payments/provider.js';
import type { Metrics } from './metrics.js';

export type Capability = 'read' | 'edit_posts' | 'manage_options';

export interface AuthUser {
  id: number;
  email: string;
  name: string;
  locale: string;
  caps: Capability[];
  postId: number | null;
  /** The token's `exp`, in seconds since the epoch: a long-lived answer (an event stream) ends there. */
  tokenExpS: number;
}

/** Everything the app needs, passed in so a test builds one in a line. */
export interface AppDeps {
  db: Db;
  config: Config;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  /** The provider new recharges are opened on (COINPAYMENTS_PLATFORM), or a test's stand-in. */
  provider: PaymentProvider;
  /** The new platform, when an integration is configured: its webhooks are verified and re-read through it. */
  v2Provider?: CoinPaymentsV2Provider | null;
  /** The scrape handler, when two listeners (the public port and METRICS_PORT) share one gauge cache. */
  metricsRoute?: Handler<AppEnv>;
  /** When set, every answer is checked against its documented schema (tests); a mismatch becomes a 500 and is reported here. */
  checkResponses?: (problem: string) => void;
  /** The catalog every quote, reward and referral reads; createApp makes one (seeded from config) when it is not given. */
  catalog?: CatalogStore;
  /** What the doctor route needs beyond the config: the instances it may try (tests point it at simulators). */
  doctor?: Pick<DoctorDeps, 'v2Instances' | 'timeoutMs'>;
}

/** What the route groups get: the app's dependencies with the catalog store always present. */
export type RouteDeps = AppDeps & { catalog: CatalogStore };

export interface AppEnv {
  Variables: {
    user: AuthUser;
    requestId: string;
  };
}

// Types shared by the Hono app and its route groups.
import type { Clock } from '../clock.js';
import type { DoctorDeps } from '../doctor/checks.js';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../log.js';
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
}

/** Everything the app needs, passed in so a test builds one in a line. */
export interface AppDeps {
  db: Db;
  config: Config;
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  /** The payment provider (CoinPayments, or the simulator behind the same client in tests). */
  provider: PaymentProvider;
  /** When set, every answer is checked against its documented schema (tests); a mismatch becomes a 500 and is reported here. */
  checkResponses?: (problem: string) => void;
  /** What the doctor route needs beyond the config: the new platform's keys and the instances it may try. */
  doctor?: Pick<DoctorDeps, 'v2' | 'v2Instances' | 'timeoutMs'>;
}

export interface AppEnv {
  Variables: {
    user: AuthUser;
    requestId: string;
  };
}

// Builds the sidecar app against a test database, with a token minter for any user and capabilities.
import { SignJWT } from 'jose';
import { createApp } from '../../sidecar/src/app.js';
import { seedCatalog } from '../../sidecar/src/catalog/catalog.js';
import { CatalogStore } from '../../sidecar/src/catalog/store.js';
import { parseConfig, type Config } from '../../sidecar/src/config.js';
import { systemClock, type Clock } from '../../sidecar/src/clock.js';
import type { AppDeps, Capability } from '../../sidecar/src/http/context.js';
import { createMetrics } from '../../sidecar/src/http/metrics.js';
import { createProviders } from '../../sidecar/src/payments/providers.js';
import { allowedPayCurrencies } from '../../sidecar/src/payments/quote.js';
import { silentLogger } from '../../sidecar/src/log.js';
import type { TestDatabase } from './db.js';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnop';
export const TEST_HOME = 'http://wp.test';
/** The bearer token /metrics asks for in tests. */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789-abcdefgh';

/** The CoinPayments keys of testEnv, in the shape startSimulator takes. */
export const SIM_KEYS = {
  publicKey: 'test_public_key',
  privateKey: 'test_private_key',
  merchantId: 'test_merchant_id',
  ipnSecret: 'test_ipn_secret',
};

export function testEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: url,
    PUBLIC_URL: 'http://127.0.0.1:8787',
    GOLDCOIN_JWT_SECRET: TEST_SECRET,
    WP_HOME: TEST_HOME,
    GOLDCOIN_TABLE_PREFIX: 'wp_goldcoin_',
    // Loopback with nothing listening: a test never reaches the real provider, and the tests' published
    // secrets are accepted only beside a loopback payment API.
    COINPAYMENTS_API_URL: 'http://127.0.0.1:9/api.php',
    COINPAYMENTS_PUBLIC_KEY: SIM_KEYS.publicKey,
    COINPAYMENTS_PRIVATE_KEY: SIM_KEYS.privateKey,
    COINPAYMENTS_MERCHANT_ID: SIM_KEYS.merchantId,
    COINPAYMENTS_IPN_SECRET: SIM_KEYS.ipnSecret,
    METRICS_TOKEN: TEST_METRICS_TOKEN,
    ...extra,
  };
}

export interface TokenOptions {
  caps?: Capability[];
  secret?: string;
  issuer?: string;
  audience?: string;
  expiresInS?: number;
  iatOffsetS?: number;
  post?: number;
  email?: string;
  locale?: string;
}

export async function mintToken(userId: number, opts: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000) + (opts.iatOffsetS ?? 0);
  return new SignJWT({
    email: opts.email ?? `user${userId}@example.test`,
    name: `User ${userId}`,
    locale: opts.locale ?? 'en_US',
    caps: opts.caps ?? ['read'],
    ...(opts.post ? { post: opts.post } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(opts.issuer ?? TEST_HOME)
    .setAudience(opts.audience ?? 'goldcoin')
    .setSubject(String(userId))
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresInS ?? 600))
    .setJti(crypto.randomUUID())
    .sign(new TextEncoder().encode(opts.secret ?? TEST_SECRET));
}

/** Answers a route gave that http/schemas does not describe, in this test file (each also became a 500). */
export const undocumentedAnswers: string[] = [];

export function buildTestApp(tdb: TestDatabase, opts: { env?: Record<string, string>; clock?: Clock; deps?: Partial<AppDeps> } = {}) {
  const config: Config = parseConfig(testEnv(tdb.url, opts.env));
  const clock = opts.clock ?? systemClock;
  const providers = createProviders(config.coinpayments, [...allowedPayCurrencies(config.recharge)]);
  const deps: AppDeps & { catalog: CatalogStore } = {
    db: tdb.db,
    config,
    log: silentLogger,
    clock,
    // Its own cache, as a separate instance would have; the environment seeds the catalog only if the database has none.
    catalog: new CatalogStore({ db: tdb.db, seed: seedCatalog(config), clock }),
    metrics: createMetrics(),
    // Points at COINPAYMENTS_API_URL (or COINPAYMENTS_API_BASE): a simulator in payment tests, unused elsewhere.
    provider: providers.forNew,
    v2Provider: providers.v2,
    // Every answer of every test is held against http/schemas: the suite is the API's conformance proof.
    checkResponses: (problem) => {
      undocumentedAnswers.push(problem);
      console.error(`undocumented answer: ${problem}`);
    },
    ...opts.deps,
  };
  const app = createApp(deps);
  const call = (method: string, path: string, init: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    app.request(path, {
      method,
      headers: {
        ...(init.token ? { Authorization: `Bearer ${init.token}` } : {}),
        ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body),
    });
  return { app, deps, config, call, providers };
}

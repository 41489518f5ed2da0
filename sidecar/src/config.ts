// Sidecar configuration: the environment parsed and validated once, failing fast with the variable's name.
import { z } from 'zod';
import { DatabaseUrlError, parseDatabaseUrl } from './db/database-url.js';
import { DEFAULT_API_BASE } from './payments/coinpayments-v2/client.js';
import { CREDIT_POINTS, INVOICE_PREFIX, type CreditPoint } from './payments/coinpayments-v2/model.js';
import type { Policies } from './payments/transition.js';
import { parseTierSeed } from './membership/tiers.js';
import { defaultCatalogJson, parseCatalog } from './spending/catalog.js';

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));
const decimal2 = z.string().regex(/^\d{1,9}(\.\d{1,2})?$/, 'expected a decimal like 1.00');
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  DATABASE_URL: z.string().superRefine((v, ctx) => {
    try {
      parseDatabaseUrl(v);
    } catch (err) {
      if (!(err instanceof DatabaseUrlError)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message });
    }
  }),
  DATABASE_POOL_SIZE: intFrom(1, 200).default(16),
  PORT: intFrom(0, 65535).default(8787),
  HOST: z.string().default('127.0.0.1'),
  PUBLIC_URL: z.url().transform((u) => u.replace(/\/+$/, '')),
  GOLDCOIN_JWT_SECRET: z.string().refine((s) => Buffer.byteLength(s) >= 32, 'must be at least 32 bytes'),
  WP_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_]{1,32}$/).default('wp_'),
  GOLDCOIN_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_]{1,48}$/).optional(),
  WP_HOME: z.url().transform((u) => u.replace(/\/+$/, '')),
  CORS_ORIGINS: list.optional(),
  COINPAYMENTS_API_URL: z.url().default('https://www.coinpayments.net/api.php'),
  COINPAYMENTS_PUBLIC_KEY: z.string().min(1).optional(),
  COINPAYMENTS_PRIVATE_KEY: z.string().min(1).optional(),
  COINPAYMENTS_MERCHANT_ID: z.string().min(1).optional(),
  COINPAYMENTS_IPN_SECRET: z.string().min(1).optional(),
  COINPAYMENTS_CLIENT_ID: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'expected the integration\'s Client ID').optional(),
  COINPAYMENTS_CLIENT_SECRET: z.string().min(1).optional(),
  COINPAYMENTS_API_BASE: z
    .url()
    .refine((u) => /^https?:\/\/[^/?#]+\/?$/.test(u), 'expected a scheme and host only, like https://a-api.coinpayments.net')
    .transform((u) => u.replace(/\/+$/, ''))
    .default(DEFAULT_API_BASE),
  COINPAYMENTS_CREDIT_ON: z.enum(CREDIT_POINTS as [CreditPoint, ...CreditPoint[]]).default('invoicePaid'),
  COINPAYMENTS_INVOICE_PREFIX: z.string().regex(INVOICE_PREFIX, 'expected 1..32 letters, digits, _ or -').optional(),
  COINPAYMENTS_PLATFORM: z.enum(['legacy', 'v2']).optional(),
  COINPAYMENTS_TIMEOUT_MS: intFrom(100, 120_000).default(15_000),
  IPN_UNVERIFIED_LOG_PER_MIN: intFrom(0, 100_000).default(60),
  IPN_RAW_RETENTION_DAYS: intFrom(0, 36_500).default(180),
  RECONCILE_INTERVAL_S: intFrom(1, 86_400).default(60),
  RECHARGE_PACKAGES: list.default(['22', '52', '200', '500']),
  RECHARGE_COIN_PRICE: decimal2.refine((v) => /[1-9]/.test(v), 'must be above zero').default('1.00'),
  RECHARGE_USD_RATE: z.string().regex(/^\d{1,6}(\.\d{1,8})?$/, 'expected a decimal like 0.1400').default('0.14'),
  RECHARGE_MIN_COINS: intFrom(1, 1_000_000).default(10),
  RECHARGE_MAX_COINS: intFrom(1, 10_000_000).default(50_000),
  RECHARGE_DAILY_MAX_COINS: intFrom(1, 100_000_000).default(100_000),
  RECHARGE_BONUS_TIERS: list.default(['1000:10']),
  RECHARGE_USDT_NETWORKS: list
    .refine((l) => l.length > 0 && l.every((n) => /^USDT(\.[A-Z0-9]{2,12})?$/.test(n)), 'expected USDT codes like USDT.TRC20')
    .default(['USDT.TRC20', 'USDT.ERC20', 'USDT.BEP20', 'USDT.SOL']),
  // LTCT is CoinPayments' worthless testnet coin: never accepted as payment.
  RECHARGE_COINS: list
    .refine((l) => l.every((n) => /^[A-Z0-9]{2,10}(\.[A-Z0-9]{2,12})?$/.test(n) && n !== 'LTCT'), 'expected coin codes like BTC (LTCT is refused)')
    .default(['BTC', 'LTC', 'ETH', 'USDT.TRC20', 'USDT.ERC20', 'USDT.BEP20', 'USDT.SOL']),
  RECHARGE_UNDERPAYMENT: z.enum(['proportional', 'hold']).default('proportional'),
  RECHARGE_LATE_PAYMENT: z.enum(['credit', 'hold']).default('credit'),
  RECHARGE_EVENTS_POLL_MS: intFrom(100, 60_000).default(1_000),
  RECHARGE_EVENTS_MAX_S: intFrom(1, 3_600).default(600),
  RECHARGE_EVENTS_MAX_STREAMS_PER_USER: intFrom(1, 1_000).default(3),
  RECHARGE_EVENTS_MAX_STREAMS: intFrom(1, 100_000).default(500),
  REWARDS_CATALOG: z.string().max(65_536).optional(),
  AUTHOR_SHARE_PERCENT: intFrom(0, 100).default(0),
  REFERRAL_REWARD_COINS: intFrom(0, 1_000_000).default(50),
  REFERRAL_MIN_RECHARGE_COINS: intFrom(0, 100_000_000).default(100),
  REFERRAL_MAX_REWARDS_PER_PERIOD: intFrom(0, 1_000_000).default(10),
  REFERRAL_PERIOD_DAYS: intFrom(1, 3_650).default(30),
  DOWNLOAD_TOKEN_TTL_MIN: intFrom(1, 15).default(5),
  DOWNLOAD_LIMIT_PER_ENTITLEMENT: intFrom(0, 10_000).default(0),
  VIP_TIERS: list.default(['vip-group:30:200', 'yearly:365:2000', 'lifetime:0:5000']),
  VIP_DAILY_DOWNLOADS: intFrom(0, 10_000).default(10),
  VIP_REMIND_DAYS: intFrom(0, 60).default(3),
  VIP_EXPIRY_INTERVAL_S: intFrom(1, 86_400).default(300),
  RATE_LIMIT_WINDOW_S: intFrom(1, 3_600).default(60),
  RATE_LIMIT_UNLOCK: intFrom(0, 1_000_000).default(30),
  RATE_LIMIT_RECHARGE: intFrom(0, 1_000_000).default(10),
  RATE_LIMIT_REDEEM: intFrom(0, 1_000_000).default(10),
  RATE_LIMIT_DOWNLOAD: intFrom(0, 1_000_000).default(20),
  RATE_LIMIT_REFERRAL_BIND: intFrom(0, 1_000_000).default(5),
  RATE_LIMIT_NOTIFICATION_READ: intFrom(0, 1_000_000).default(30),
  RATE_LIMIT_LICENCE_KEY: intFrom(0, 1_000_000).default(20),
  RATE_LIMIT_LICENCE_ADDRESS: intFrom(0, 1_000_000).default(60),
  LICENCE_RELEASES_PER_MONTH: intFrom(0, 1_000).default(3),
  RATE_LIMIT_UNLOCK_SHARED: bool.default(false),
  SMTP_URL: z
    .url()
    .refine((u) => /^smtps?:\/\//.test(u), 'expected smtp://host:port or smtps://user:pass@host:port')
    .optional(),
  MAIL_FROM: z.string().min(3).max(320).optional(),
  SITE_NAME: z.string().regex(/^[^\x00-\x1f\x7f]{1,100}$/, 'expected 1..100 printable characters').default('Gold Coins'),
  NOTIFY_INTERVAL_S: intFrom(1, 3_600).default(10),
  NOTIFY_MAX_ATTEMPTS: intFrom(1, 20).default(8),
  SMTP_TIMEOUT_MS: intFrom(100, 120_000).default(10_000),
  UNLOCK_EMAIL: bool.default(false),
  PRICE_CURRENCY: z.string().regex(/^[A-Z]{3,5}$/).default('CNY'),
  BODY_LIMIT_BYTES: intFrom(1024, 10_485_760).default(65_536),
  REQUEST_TIMEOUT_MS: intFrom(1_000, 600_000).default(30_000),
  METRICS_TOKEN: z.string().min(1).optional(),
  METRICS_PORT: intFrom(1, 65535).optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  METRICS_CACHE_S: intFrom(0, 3_600).default(15),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  TRUST_PROXY: bool.default(false),
});

export type Config = ReturnType<typeof parseConfig>;

export class ConfigError extends Error {}

/** `coins` or `coins:bonus_coins`, e.g. `500:25`; the id is `p<coins>`. */
function parsePackage(entry: string) {
  const m = /^(\d{1,7})(?::(\d{1,7}))?$/.exec(entry);
  if (!m || Number(m[1]) <= 0) throw new ConfigError(`config: RECHARGE_PACKAGES entry "${entry}" is not coins[:bonus]`);
  return { id: `p${m[1]}`, coins: Number(m[1]), bonusCoins: Number(m[2] ?? 0), price: null as string | null };
}

/** `min_coins:bonus_percent`, e.g. `1000:10`. */
function parseTier(entry: string) {
  const m = /^(\d{1,9}):(\d{1,3})$/.exec(entry);
  if (!m || Number(m[2]) > 100) throw new ConfigError(`config: RECHARGE_BONUS_TIERS entry "${entry}" is not min_coins:percent`);
  return { minCoins: Number(m[1]), bonusPercent: Number(m[2]) };
}

function tiersFrom(entries: string[], dailyDownloads: number) {
  const parsed = parseTierSeed(entries, dailyDownloads > 0 ? dailyDownloads : null);
  if (!parsed.ok) throw new ConfigError(`config: VIP_TIERS ${parsed.reason}`);
  return parsed.tiers;
}

function rewardsFrom(json: string) {
  const parsed = parseCatalog(json);
  if (!parsed.ok) throw new ConfigError(`config: REWARDS_CATALOG ${parsed.reason}`);
  return parsed.rewards;
}

const LEGACY_KEYS = ['COINPAYMENTS_PUBLIC_KEY', 'COINPAYMENTS_PRIVATE_KEY', 'COINPAYMENTS_MERCHANT_ID', 'COINPAYMENTS_IPN_SECRET'] as const;
const V2_KEYS = ['COINPAYMENTS_CLIENT_ID', 'COINPAYMENTS_CLIENT_SECRET'] as const;
type Parsed = z.output<typeof schema>;

/**
 * Each platform is configured whole or not at all; at least one is. New recharges use COINPAYMENTS_PLATFORM,
 * by default the only one configured, or the new platform when both are (a site that added an integration
 * means to take new payments on it; payments opened on legacy keep reconciling).
 */
function platforms(c: Parsed) {
  const half = (keys: readonly (keyof Parsed)[], what: string) => {
    const missing = keys.filter((k) => c[k] === undefined);
    if (missing.length > 0 && missing.length < keys.length) {
      throw new ConfigError(`config: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required with the other ${what} settings`);
    }
    return missing.length === 0;
  };
  const legacy = half(LEGACY_KEYS, 'legacy CoinPayments');
  const v2 = half(V2_KEYS, 'CoinPayments integration');
  if (!legacy && !v2) throw new ConfigError(`config: COINPAYMENTS_CLIENT_ID and COINPAYMENTS_CLIENT_SECRET (or the legacy ${LEGACY_KEYS.join(', ')}) are required`);
  const platform = c.COINPAYMENTS_PLATFORM ?? (v2 ? 'v2' : 'legacy');
  if (platform === 'v2' && !v2) throw new ConfigError(`config: COINPAYMENTS_PLATFORM is v2 but ${V2_KEYS.join(' and ')} are not set`);
  if (platform === 'legacy' && !legacy) throw new ConfigError(`config: COINPAYMENTS_PLATFORM is legacy but ${LEGACY_KEYS.join(', ')} are not set`);
  return { platform, legacy, v2 } as const;
}

/** A per-site invoice prefix from WordPress's host, so two sites on one CoinPayments account never collide. */
function defaultInvoicePrefix(wpHome: string): string {
  return `gc-${new URL(wpHome).host.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 32);
}

/**
 * Secrets of either CoinPayments platform and of the plugin, with the bytes each needs outside local runs.
 * A variable a build does not read yet is simply absent from the environment and skipped.
 */
const SECRETS: ReadonlyArray<readonly [name: string, minBytes: number]> = [
  ['GOLDCOIN_JWT_SECRET', 32],
  ['COINPAYMENTS_PRIVATE_KEY', 32],
  ['COINPAYMENTS_IPN_SECRET', 16],
  ['COINPAYMENTS_CLIENT_SECRET', 32],
  ['METRICS_TOKEN', 32],
];
/** The payment APIs of both platforms; the legacy one has a production default. */
const PAYMENT_API_URLS: ReadonlyArray<readonly [name: string, fallback: string | undefined]> = [
  ['COINPAYMENTS_API_URL', 'https://www.coinpayments.net/api.php'],
  ['COINPAYMENTS_API_BASE', undefined],
];
/**
 * Values published in .env.example, the README and the tests' helpers: anyone who read them could mint
 * tokens or forge IPNs, so they are as good as no secret.
 */
export const KNOWN_PLACEHOLDER_SECRETS: ReadonlySet<string> = new Set([
  'local-only-secret-change-me-0123456789abcdef',
  'local_private_key',
  'local_ipn_secret',
  'test-secret-0123456789-abcdefghijklmnop',
  'test_private_key',
  'test_ipn_secret',
]);
/** The shapes the project's own placeholders take (`local_…`, `…change-me…`), and the usual ones elsewhere. */
const PLACEHOLDER_WORDS = /^local[-_]|change[-_ ]?me|placeholder|your[-_ ]?(secret|key|token)|^(secret|password|test|x+)$/i;

function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Outside a loopback simulator every payment API is https and no secret is a published placeholder or
 * shorter than it must be; the message names the variable, never its value.
 */
function checkProductionSecrets(env: Record<string, string>): void {
  const urls = PAYMENT_API_URLS.flatMap(([name, fallback]) => {
    const value = env[name] ?? fallback;
    return value === undefined ? [] : [[name, new URL(value)] as const];
  });
  if (urls.every(([, url]) => isLoopbackHost(url.hostname))) return;
  for (const [name, url] of urls) {
    if (url.protocol !== 'https:') throw new ConfigError(`config: ${name} must be https unless it points at a loopback simulator`);
  }
  for (const [name, minBytes] of SECRETS) {
    const value = env[name];
    if (value === undefined) continue;
    if (KNOWN_PLACEHOLDER_SECRETS.has(value) || PLACEHOLDER_WORDS.test(value)) {
      throw new ConfigError(`config: ${name} is a published placeholder; set a random secret`);
    }
    if (Buffer.byteLength(value) < minBytes) throw new ConfigError(`config: ${name} must be at least ${minBytes} bytes`);
  }
}

/** Parses the environment; throws ConfigError with one line naming the first bad variable. */
export function parseConfig(env: Record<string, string | undefined>) {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    const why = issue.code === 'invalid_type' && cleaned[name] === undefined ? 'is required' : issue.message;
    throw new ConfigError(`config: ${name} ${why}`);
  }
  const c = parsed.data;
  checkProductionSecrets(cleaned);
  if (c.METRICS_PORT !== undefined && c.METRICS_PORT === c.PORT) throw new ConfigError('config: METRICS_PORT must differ from PORT');
  if (c.RECHARGE_MIN_COINS > c.RECHARGE_MAX_COINS) throw new ConfigError('config: RECHARGE_MIN_COINS is above RECHARGE_MAX_COINS');
  const configured = platforms(c);
  return {
    databaseUrl: c.DATABASE_URL,
    databasePoolSize: c.DATABASE_POOL_SIZE,
    port: c.PORT,
    host: c.HOST,
    publicUrl: c.PUBLIC_URL,
    jwtSecret: c.GOLDCOIN_JWT_SECRET,
    wpTablePrefix: c.WP_TABLE_PREFIX,
    tablePrefix: c.GOLDCOIN_TABLE_PREFIX ?? `${c.WP_TABLE_PREFIX}goldcoin_`,
    wpHome: c.WP_HOME,
    corsOrigins: c.CORS_ORIGINS ?? [new URL(c.WP_HOME).origin],
    coinpayments: {
      /** Which platform new recharges are opened on; payments of the other keep being followed. */
      platform: configured.platform,
      legacy: configured.legacy
        ? {
            apiUrl: c.COINPAYMENTS_API_URL,
            publicKey: c.COINPAYMENTS_PUBLIC_KEY!,
            privateKey: c.COINPAYMENTS_PRIVATE_KEY!,
            merchantId: c.COINPAYMENTS_MERCHANT_ID!,
            ipnSecret: c.COINPAYMENTS_IPN_SECRET!,
            ipnUrl: `${c.PUBLIC_URL}/ipn/coinpayments`,
            timeoutMs: c.COINPAYMENTS_TIMEOUT_MS,
          }
        : null,
      v2: configured.v2
        ? {
            apiBase: c.COINPAYMENTS_API_BASE,
            clientId: c.COINPAYMENTS_CLIENT_ID!,
            clientSecret: c.COINPAYMENTS_CLIENT_SECRET!,
            creditOn: c.COINPAYMENTS_CREDIT_ON,
            invoicePrefix: c.COINPAYMENTS_INVOICE_PREFIX ?? defaultInvoicePrefix(c.WP_HOME),
            /** Registered on every invoice and part of what each webhook signs, byte for byte. */
            notificationsUrl: `${c.PUBLIC_URL}/webhooks/coinpayments`,
            timeoutMs: c.COINPAYMENTS_TIMEOUT_MS,
          }
        : null,
      timeoutMs: c.COINPAYMENTS_TIMEOUT_MS,
      /** IPNs failing before the HMAC check stored per minute per instance; the rest are only counted. */
      unverifiedIpnLogPerMin: c.IPN_UNVERIFIED_LOG_PER_MIN,
    },
    reconcileIntervalMs: c.RECONCILE_INTERVAL_S * 1000,
    notify: {
      /** null: email is off, outbox rows are marked skipped; in-site notifications still work. */
      smtpUrl: c.SMTP_URL ?? null,
      mailFrom: c.MAIL_FROM ?? `"${c.SITE_NAME.replace(/["\\]/g, '')}" <no-reply@${new URL(c.WP_HOME).hostname}>`,
      siteName: c.SITE_NAME,
      intervalMs: c.NOTIFY_INTERVAL_S * 1000,
      maxAttempts: c.NOTIFY_MAX_ATTEMPTS,
      smtpTimeoutMs: c.SMTP_TIMEOUT_MS,
      /** An email per unlock (a notification row and its outbox row in the unlock's transaction); off, the ledger row is the receipt. */
      unlockEmail: c.UNLOCK_EMAIL,
    },
    recharge: {
      packages: c.RECHARGE_PACKAGES.map((entry) => parsePackage(entry)),
      coinPrice: c.RECHARGE_COIN_PRICE,
      usdRate: c.RECHARGE_USD_RATE,
      minCoins: c.RECHARGE_MIN_COINS,
      maxCoins: c.RECHARGE_MAX_COINS,
      dailyMaxCoins: c.RECHARGE_DAILY_MAX_COINS,
      bonusTiers: c.RECHARGE_BONUS_TIERS.map((entry) => parseTier(entry)).sort((a, b) => a.minCoins - b.minCoins),
      usdtNetworks: c.RECHARGE_USDT_NETWORKS,
      coins: c.RECHARGE_COINS,
      /** What the payment state machine does with an underpaid or late payment (RECHARGE_UNDERPAYMENT, RECHARGE_LATE_PAYMENT). */
      policies: { underpayment: c.RECHARGE_UNDERPAYMENT, latePayment: c.RECHARGE_LATE_PAYMENT } satisfies Policies,
      eventsPollMs: c.RECHARGE_EVENTS_POLL_MS,
      eventsMaxMs: c.RECHARGE_EVENTS_MAX_S * 1000,
      eventsMaxStreamsPerUser: c.RECHARGE_EVENTS_MAX_STREAMS_PER_USER,
      /** Open event streams on one instance, all users together. */
      eventsMaxStreams: c.RECHARGE_EVENTS_MAX_STREAMS,
    },
    spending: {
      rewards: rewardsFrom(c.REWARDS_CATALOG ?? defaultCatalogJson()),
      authorSharePercent: c.AUTHOR_SHARE_PERCENT,
      referralRewardCoins: c.REFERRAL_REWARD_COINS,
      referralMinRechargeCoins: c.REFERRAL_MIN_RECHARGE_COINS,
      /** Rewards one referrer may earn per REFERRAL_PERIOD_DAYS; 0 = no cap. */
      referralMaxRewardsPerPeriod: c.REFERRAL_MAX_REWARDS_PER_PERIOD,
      referralPeriodDays: c.REFERRAL_PERIOD_DAYS,
      downloadTokenTtlMin: c.DOWNLOAD_TOKEN_TTL_MIN,
      /** Downloads per entitlement period where the post sets none (_goldcoin_download_limit); 0 = no limit. */
      downloadLimitPerEntitlement: c.DOWNLOAD_LIMIT_PER_ENTITLEMENT,
      /** Requests per user per window; 0 turns a bucket off. */
      rateLimits: {
        windowS: c.RATE_LIMIT_WINDOW_S,
        unlock: c.RATE_LIMIT_UNLOCK,
        recharge: c.RATE_LIMIT_RECHARGE,
        redeem: c.RATE_LIMIT_REDEEM,
        /** Each download link issued writes a row; each bind attempt tries a code; each mark writes rows. */
        download: c.RATE_LIMIT_DOWNLOAD,
        referralBind: c.RATE_LIMIT_REFERRAL_BIND,
        notificationRead: c.RATE_LIMIT_NOTIFICATION_READ,
        /** Licence checks from EAs: per licence key (known or not) and per calling address. */
        licenceKey: c.RATE_LIMIT_LICENCE_KEY,
        licenceAddress: c.RATE_LIMIT_LICENCE_ADDRESS,
        /**
         * The unlock limit in each instance's memory alone (false), or counted in the shared table across instances
         * (true). Its attempts cost one short transaction each and the money is guarded by it, so a bound per
         * instance is enough, and the common unlock (a reader's first in a window) then writes no counter row.
         */
        unlockShared: c.RATE_LIMIT_UNLOCK_SHARED,
      },
      /** Activations a visitor may release per licence in 30 days. */
      licenceReleasesPerMonth: c.LICENCE_RELEASES_PER_MONTH,
    },
    /** Days an IPN or webhook body is kept as received before it is emptied; 0 keeps it for good. */
    ipnRawRetentionDays: c.IPN_RAW_RETENTION_DAYS,
    vip: {
      /** Written to an empty tier table at start; the owner edits tiers from wp-admin after that. */
      seedTiers: tiersFrom(c.VIP_TIERS, c.VIP_DAILY_DOWNLOADS),
      remindDays: c.VIP_REMIND_DAYS,
      expiryIntervalMs: c.VIP_EXPIRY_INTERVAL_S * 1000,
    },
    priceCurrency: c.PRICE_CURRENCY,
    bodyLimitBytes: c.BODY_LIMIT_BYTES,
    /** Past this a request answers 503 (a stalled database); above COINPAYMENTS_TIMEOUT_MS so provider calls finish first. */
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    metrics: {
      /** Bearer token for /metrics on the public port; null: not served there. */
      token: c.METRICS_TOKEN ?? null,
      /** A separate listener serving /metrics alone, without a token, for an internal network. */
      port: c.METRICS_PORT ?? null,
      host: c.METRICS_HOST,
      /** Gauges read from the database are refreshed at most this often (about the scrape interval). */
      cacheMs: c.METRICS_CACHE_S * 1000,
    },
    logLevel: c.LOG_LEVEL,
    trustProxy: c.TRUST_PROXY,
  };
}

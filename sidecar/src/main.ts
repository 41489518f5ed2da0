// Process wiring: config → database → migrations → app → server → background jobs; graceful shutdown.
import type { Server, ServerResponse } from 'node:http';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { createConnection } from 'mysql2/promise';
import { createApp, createMetricsApp } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { createDb } from './db/database.js';
import { parseDatabaseUrl } from './db/database-url.js';
import { loadMigrations, migrate } from './db/migrator.js';
import { canMigrate, migrationState } from './db/privileges.js';
import { loadEnvFile } from './env-file.js';
import { systemClock } from './clock.js';
import { idempotencyRetentionJob } from './http/idempotency-retention.js';
import { createMetrics } from './http/metrics.js';
import { metricsHandler } from './http/metrics-route.js';
import { createLogger, type Logger } from './log.js';
import { allowedPayCurrencies } from './payments/quote.js';
import { createProviders } from './payments/providers.js';
import { reconcilerJob } from './payments/reconciler.js';
import { emailOutboxJob } from './notify/email-job.js';
import { createSmtpMailer } from './notify/mailer.js';
import { ipnRetentionJob } from './privacy/retention.js';
import { startJobs, type BackgroundJob } from './workers.js';
import { vipExpiryJob } from './membership/expiry-job.js';
import { seedTiers } from './membership/tiers.js';

/** Longest a SIGTERM waits for in-flight requests and job passes; past it the process exits 1. */
const SHUTDOWN_GRACE_MS = 20_000;
/** While draining, how often keep-alive connections that went idle are closed. */
const DRAIN_POLL_MS = 25;
/** Exit status for a database whose migrations this login cannot apply (systemd does not restart on it). */
const EXIT_MIGRATIONS_PENDING = 3;

/**
 * Applies pending migrations only when this login may (an owner login, as in development and the demo). A
 * least-privilege login finds them current and starts without a single DDL statement, or refuses to start and
 * names the command: a half-applied migration from a login that lacks ALTER is never attempted.
 */
async function ensureMigrations(config: ReturnType<typeof parseConfig>, log: Logger): Promise<void> {
  const migrations = await loadMigrations();
  const conn = await createConnection(parseDatabaseUrl(config.databaseUrl));
  let state;
  let mayMigrate;
  try {
    state = await migrationState(conn, config.tablePrefix, migrations);
    mayMigrate = state.pending.length > 0 && (await canMigrate(conn));
  } finally {
    await conn.end();
  }
  if (state.edited.length > 0) throw new Error(`migrations edited after they were applied: ${state.edited.join(', ')}; add a new migration instead`);
  if (state.pending.length === 0) return;
  if (!mayMigrate) {
    process.stderr.write(
      `sidecar: ${state.pending.length} migration(s) pending (${state.pending.join(', ')}) and this database login cannot apply them; ` +
        'run `MIGRATE_DATABASE_URL=mysql://<owner>:<pass>@<host>/<db> npm run migrate` (or `node sidecar/dist/migrate.js`) with an owner login, then start again\n',
    );
    process.exit(EXIT_MIGRATIONS_PENDING);
  }
  await migrate({
    url: config.databaseUrl,
    tablePrefix: config.tablePrefix,
    wpTablePrefix: config.wpTablePrefix,
    log: (m) => log.info('migration', { detail: m }),
  });
}

/**
 * Tracks the responses in flight, so a shutdown can wait for them: while draining, each answer closes its
 * connection and idle keep-alive connections are closed, so no request is cut and none arrives late.
 * Event streams are ended once every other answer is out (the widget reconnects or polls).
 */
function trackRequests() {
  const inFlight = new Set<ServerResponse>();
  /** Responses that are event streams: Node keeps no header of writeHead's, so the app's Response says so. */
  const streams = new WeakSet<object>();
  let draining = false;
  let server: Server | null = null;
  const isStream = (res: ServerResponse) => streams.has(res);
  return {
    /** Wraps the app's fetch so each answer that opens an event stream is known as one. */
    fetch(app: { fetch: (req: Request, env: HttpBindings | Http2Bindings) => Response | Promise<Response> }) {
      return async (req: Request, env: HttpBindings | Http2Bindings) => {
        const res = await app.fetch(req, env);
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) streams.add(env.outgoing);
        return res;
      };
    },
    attach(s: Server) {
      server = s;
      s.on('request', (_req, res: ServerResponse) => {
        inFlight.add(res);
        if (draining && !res.headersSent) res.setHeader('Connection', 'close');
        res.once('close', () => inFlight.delete(res));
      });
    },
    /** Stops accepting connections and resolves once every answer has been sent and the server has closed. */
    async drain(): Promise<number> {
      if (!server) return 0;
      const srv = server;
      draining = true;
      const answering = inFlight.size;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
      while ([...inFlight].some((res) => !isStream(res))) {
        srv.closeIdleConnections();
        await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
      }
      for (const res of inFlight) res.destroy();
      srv.closeIdleConnections();
      await closed;
      return answering;
    },
  };
}

async function main() {
  loadEnvFile();
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  await ensureMigrations(config, log);
  const db = createDb({
    url: config.databaseUrl,
    poolSize: config.databasePoolSize,
    tablePrefix: config.tablePrefix,
    wpTablePrefix: config.wpTablePrefix,
  });
  const seeded = await seedTiers(db, config.vip.seedTiers);
  if (seeded > 0) log.info('vip tiers seeded from VIP_TIERS', { tiers: seeded });
  const providers = createProviders(config.coinpayments, [...allowedPayCurrencies(config.recharge)]);
  const metrics = createMetrics();
  const base = { db, config, log, clock: systemClock, metrics, provider: providers.forNew, v2Provider: providers.v2 };
  log.info('payments', { new_recharges: providers.forNew.name, following: providers.all.map((p) => p.name) });
  // One scrape handler for both listeners, so they share the gauge cache.
  const deps = { ...base, metricsRoute: metricsHandler(base) };
  const app = createApp(deps);
  const { notify } = config;
  const mailer = notify.smtpUrl
    ? createSmtpMailer({ smtpUrl: notify.smtpUrl, from: notify.mailFrom, timeoutMs: notify.smtpTimeoutMs })
    : null;
  if (!mailer) log.info('email disabled: SMTP_URL is not set; in-site notifications only');
  const jobs: BackgroundJob[] = [
    // Every configured platform: payments opened on either keep being followed after a switch.
    reconcilerJob({
      db,
      providers: providers.all,
      log,
      clock: systemClock,
      policies: config.recharge.policies,
      intervalMs: config.reconcileIntervalMs,
      metrics,
    }),
    emailOutboxJob({
      db,
      clock: systemClock,
      log,
      mailer,
      siteName: notify.siteName,
      siteUrl: config.wpHome,
      intervalMs: notify.intervalMs,
      maxAttempts: notify.maxAttempts,
    }),
    idempotencyRetentionJob({ db, clock: systemClock, log }),
    ipnRetentionJob({ db, clock: systemClock, log, retentionDays: config.ipnRawRetentionDays }),
    vipExpiryJob({ db, clock: systemClock, log, remindDays: config.vip.remindDays, intervalMs: config.vip.expiryIntervalMs }),
  ];
  const running = startJobs(jobs, log);

  const requests = trackRequests();
  const server = serve({ fetch: requests.fetch(app), port: config.port, hostname: config.host }, (info) => {
    log.info('listening', { port: info.port, host: config.host });
  }) as Server;
  requests.attach(server);

  const metricsPort = config.metrics.port;
  const metricsServer =
    metricsPort === null
      ? null
      : serve({ fetch: createMetricsApp(deps).fetch, port: metricsPort, hostname: config.metrics.host }, (info) => {
          log.info('metrics listening', { port: info.port, host: config.metrics.host });
        });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting', { graceMs: SHUTDOWN_GRACE_MS });
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // Jobs finish their current pass, which settles every row it claimed (its lease released or rescheduled).
    const [answered] = await Promise.all([requests.drain(), running.stop()]);
    if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    mailer?.close();
    await db.destroy();
    log.info('shut down', { signal, inFlightAtSignal: answered });
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`sidecar failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

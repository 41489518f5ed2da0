// Process wiring: config → database → migrations → app → server → background jobs; graceful shutdown.
import { serve } from '@hono/node-server';
import { createApp, createMetricsApp } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { createDb } from './db/database.js';
import { migrate } from './db/migrator.js';
import { loadEnvFile } from './env-file.js';
import { systemClock } from './clock.js';
import { idempotencyRetentionJob } from './http/idempotency-retention.js';
import { createMetrics } from './http/metrics.js';
import { metricsHandler } from './http/metrics-route.js';
import { createLogger } from './log.js';
import { allowedPayCurrencies } from './payments/quote.js';
import { createProviders } from './payments/providers.js';
import { reconcilerJob } from './payments/reconciler.js';
import { emailOutboxJob } from './notify/email-job.js';
import { createSmtpMailer } from './notify/mailer.js';
import { startJobs, type BackgroundJob } from './workers.js';

const SHUTDOWN_GRACE_MS = 10_000;

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
  await migrate({
    url: config.databaseUrl,
    tablePrefix: config.tablePrefix,
    wpTablePrefix: config.wpTablePrefix,
    log: (m) => log.info('migration', { detail: m }),
  });
  const db = createDb({
    url: config.databaseUrl,
    poolSize: config.databasePoolSize,
    tablePrefix: config.tablePrefix,
    wpTablePrefix: config.wpTablePrefix,
  });
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
  ];
  const running = startJobs(jobs, log);

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    log.info('listening', { port: info.port, host: config.host });
  });

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
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    await running.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (metricsServer) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
    mailer?.close();
    await db.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`sidecar failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});

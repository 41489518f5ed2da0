// Process wiring: config → database → migrations → app → server → background jobs; graceful shutdown.
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { ConfigError, parseConfig } from './config.js';
import { createDb } from './db/database.js';
import { migrate } from './db/migrator.js';
import { loadEnvFile } from './env-file.js';
import { systemClock } from './clock.js';
import { idempotencyRetentionJob } from './http/idempotency-retention.js';
import { createMetrics } from './http/metrics.js';
import { createLogger } from './log.js';
import { CoinPaymentsClient } from './payments/coinpayments/client.js';
import { reconcilerJob } from './payments/reconciler.js';
import { emailOutboxJob } from './notify/email-job.js';
import { createSmtpMailer } from './notify/mailer.js';
import { startJobs, type BackgroundJob } from './workers.js';
import { vipExpiryJob } from './membership/expiry-job.js';
import { seedTiers } from './membership/tiers.js';

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
  const seeded = await seedTiers(db, config.vip.seedTiers);
  if (seeded > 0) log.info('vip tiers seeded from VIP_TIERS', { tiers: seeded });
  const provider = new CoinPaymentsClient(config.coinpayments);
  const metrics = createMetrics();
  const deps = { db, config, log, clock: systemClock, metrics, provider };
  const app = createApp(deps);
  const { notify } = config;
  const mailer = notify.smtpUrl
    ? createSmtpMailer({ smtpUrl: notify.smtpUrl, from: notify.mailFrom, timeoutMs: notify.smtpTimeoutMs })
    : null;
  if (!mailer) log.info('email disabled: SMTP_URL is not set; in-site notifications only');
  const jobs: BackgroundJob[] = [
    reconcilerJob({
      db,
      provider,
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
    vipExpiryJob({ db, clock: systemClock, log, remindDays: config.vip.remindDays, intervalMs: config.vip.expiryIntervalMs }),
  ];
  const running = startJobs(jobs, log);

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    log.info('listening', { port: info.port, host: config.host });
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

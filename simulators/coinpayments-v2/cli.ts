// `npm run simulator:v2`: the new-platform CoinPayments simulator on its own, configured from the environment (.env too).
import { loadEnvFile } from '../../sidecar/src/env-file.js';
import { startSimulatorV2 } from './server.js';

const AUTOPAY_POLL_MS = 500;

function need(name: string): string {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`simulator:v2: ${name} is required (use the same value as the sidecar)\n`);
    process.exit(2);
  }
  return v;
}

function intEnv(name: string, fallback: number | null, min: number, max: number): number | null {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`simulator:v2: ${name} must be an integer from ${min} to ${max}\n`);
    process.exit(2);
  }
  return n;
}

async function main() {
  loadEnvFile();
  const autopayAfterS = intEnv('SIM_AUTOPAY_AFTER_S', null, 0, 86_400);
  const sim = await startSimulatorV2({
    clientId: need('COINPAYMENTS_CLIENT_ID'),
    clientSecret: need('COINPAYMENTS_CLIENT_SECRET'),
    port: intEnv('SIM_V2_PORT', 8791, 0, 65_535)!,
    host: process.env['SIM_HOST'] || '127.0.0.1',
    invoiceTimeoutS: intEnv('SIM_TIMEOUT_S', 3_600, 1, 86_400)!,
  });
  process.stdout.write(
    [
      `CoinPayments new-platform simulator listening on ${sim.url}`,
      `  api:        ${sim.apiBase}   (set COINPAYMENTS_API_BASE to this)`,
      `  invoices:   GET  ${sim.url}/_sim/invoices`,
      `  pay:        POST ${sim.url}/_sim/invoices/<id>/pay   {"amount":"3.5","duplicate":3,"order":"reverse","complete":true}`,
      `  others:     POST ${sim.url}/_sim/invoices/<id>/{complete,cancel,timeout,redeliver};  POST /_sim/deliveries {"drop":true};  POST /_sim/clock {"skewMs":-400000}`,
      autopayAfterS === null ? '  autopay:    off (set SIM_AUTOPAY_AFTER_S to pay new invoices automatically)' : `  autopay:    every new invoice is paid in full after ${autopayAfterS} s`,
      '',
    ].join('\n'),
  );
  const paid = new Set<string>();
  const timer =
    autopayAfterS === null
      ? null
      : setInterval(() => {
          for (const inv of sim.invoices()) {
            if (inv.status !== 'unpaid' || paid.has(inv.id) || Date.now() - inv.createdAtMs < autopayAfterS * 1000) continue;
            paid.add(inv.id);
            sim
              .pay(inv.id)
              .then((d) => process.stdout.write(`autopaid ${inv.id}: webhooks answered ${d.map((x) => x.httpStatus ?? 'no answer').join(', ') || 'none registered'}\n`))
              .catch((err: Error) => process.stdout.write(`autopay ${inv.id} failed: ${err.message}\n`));
          }
        }, AUTOPAY_POLL_MS);
  const stop = async () => {
    if (timer) clearInterval(timer);
    await sim.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: Error) => {
  process.stderr.write(`simulator:v2 failed to start: ${err.message}\n`);
  process.exit(1);
});

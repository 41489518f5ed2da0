// `npm run simulator`: the CoinPayments simulator on its own, configured from the environment (.env too).
import { loadEnvFile } from '../sidecar/src/env-file.js';
import { startSimulator } from '../simulators/coinpayments-legacy/simulator.js';

const AUTOPAY_POLL_MS = 500;

function need(name: string): string {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`simulator: ${name} is required (use the same value as the sidecar)\n`);
    process.exit(2);
  }
  return v;
}

function intEnv(name: string, fallback: number | null, min: number, max: number): number | null {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`simulator: ${name} must be an integer from ${min} to ${max}\n`);
    process.exit(2);
  }
  return n;
}

async function main() {
  loadEnvFile();
  const autopayAfterS = intEnv('SIM_AUTOPAY_AFTER_S', null, 0, 86_400);
  const sim = await startSimulator({
    publicKey: need('COINPAYMENTS_PUBLIC_KEY'),
    privateKey: need('COINPAYMENTS_PRIVATE_KEY'),
    merchantId: need('COINPAYMENTS_MERCHANT_ID'),
    ipnSecret: need('COINPAYMENTS_IPN_SECRET'),
    port: intEnv('SIM_PORT', 8788, 0, 65_535)!,
    host: process.env['SIM_HOST'] || '127.0.0.1',
    timeoutS: intEnv('SIM_TIMEOUT_S', 5_400, 1, 86_400)!,
  });
  process.stdout.write(
    [
      `CoinPayments simulator listening on ${sim.url}`,
      `  api:           POST ${sim.apiUrl}   (set COINPAYMENTS_API_URL to this)`,
      `  transactions:  GET  ${sim.url}/_sim/transactions`,
      `  pay:           POST ${sim.url}/_sim/transactions/<txn_id>/pay   {"underpayPercent":10,"duplicate":3,...}`,
      `  expire:        POST ${sim.url}/_sim/transactions/<txn_id>/expire`,
      autopayAfterS === null ? '  autopay:       off (set SIM_AUTOPAY_AFTER_S to pay new transactions automatically)' : `  autopay:       every new transaction is paid after ${autopayAfterS} s`,
      '',
    ].join('\n'),
  );

  const paid = new Set<string>();
  const timer =
    autopayAfterS === null
      ? null
      : setInterval(() => {
          const nowS = Date.now() / 1000;
          for (const tx of sim.transactions()) {
            if (tx.status !== 0 || paid.has(tx.txnId) || nowS - tx.createdAtS < autopayAfterS) continue;
            paid.add(tx.txnId);
            sim
              .pay(tx.txnId)
              .then((d) => process.stdout.write(`autopaid ${tx.txnId}: IPN answered ${d.map((x) => x.httpStatus ?? 'no answer').join(', ')}\n`))
              .catch((err: Error) => process.stdout.write(`autopay ${tx.txnId} failed: ${err.message}\n`));
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
  process.stderr.write(`simulator failed to start: ${err.message}\n`);
  process.exit(1);
});

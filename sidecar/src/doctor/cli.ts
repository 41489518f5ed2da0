// `npm run doctor`: checks this sidecar's configuration against the database, CoinPayments, PUBLIC_URL and SMTP in one pass.
import { ConfigError, parseConfig } from '../config.js';
import { loadEnvFile } from '../env-file.js';
import { formatReport, runDoctor } from './checks.js';

loadEnvFile();
try {
  const config = parseConfig(process.env);
  const report = await runDoctor({ config, jwtRoundTrip: null });
  console.log(formatReport(report));
  process.exit(report.ok ? 0 : 1);
} catch (err) {
  console.error(err instanceof ConfigError ? `FAIL  config: ${err.message}` : `doctor failed: ${(err as Error).message}`);
  process.exit(2);
}

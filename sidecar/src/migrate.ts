// `npm run migrate`: applies pending migrations to DATABASE_URL and exits.
import { loadEnvFile } from './env-file.js';
import { ConfigError, parseConfig } from './config.js';
import { migrate } from './db/migrator.js';

loadEnvFile();
try {
  const config = parseConfig(process.env);
  const applied = await migrate({
    url: config.databaseUrl,
    tablePrefix: config.tablePrefix,
    wpTablePrefix: config.wpTablePrefix,
    log: (m) => console.log(m),
  });
  console.log(applied.length ? `migrated: ${applied.join(', ')}` : 'migrate: nothing to apply');
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `migrate failed: ${(err as Error).message}`);
  process.exit(1);
}

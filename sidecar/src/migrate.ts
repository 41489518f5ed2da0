// `npm run migrate`: applies pending migrations with the owner login (MIGRATE_DATABASE_URL, else DATABASE_URL) and exits.
import { loadEnvFile } from './env-file.js';
import { DatabaseUrlError, parseDatabaseUrl } from './db/database-url.js';
import { migrate } from './db/migrator.js';

const PREFIX = /^[A-Za-z0-9_]{1,48}$/;

loadEnvFile();
try {
  const name = process.env['MIGRATE_DATABASE_URL'] ? 'MIGRATE_DATABASE_URL' : 'DATABASE_URL';
  const url = process.env[name];
  if (!url) throw new DatabaseUrlError('MIGRATE_DATABASE_URL (an owner login that may CREATE and ALTER) or DATABASE_URL is required');
  try {
    parseDatabaseUrl(url);
  } catch (err) {
    throw new DatabaseUrlError(`${name}: ${(err as Error).message}`);
  }
  const wpTablePrefix = process.env['WP_TABLE_PREFIX'] || 'wp_';
  const tablePrefix = process.env['GOLDCOIN_TABLE_PREFIX'] || `${wpTablePrefix}goldcoin_`;
  if (!PREFIX.test(wpTablePrefix) || !PREFIX.test(tablePrefix)) throw new DatabaseUrlError('WP_TABLE_PREFIX and GOLDCOIN_TABLE_PREFIX: letters, digits and _ only');
  const applied = await migrate({ url, tablePrefix, wpTablePrefix, log: (m) => console.log(m) });
  console.log(applied.length ? `migrated: ${applied.join(', ')}` : 'migrate: nothing to apply');
} catch (err) {
  console.error(err instanceof DatabaseUrlError ? `migrate: ${err.message}` : `migrate failed: ${(err as Error).message}`);
  process.exit(1);
}

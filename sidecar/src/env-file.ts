// Loads ./.env into process.env when present, without overriding what the environment already sets.
import { existsSync } from 'node:fs';

export function loadEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

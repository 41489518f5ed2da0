// migrations: the SQL files already applied, with their checksums (written by db/migrator.ts).
import type { CreatedAt } from '../columns.js';

export interface MigrationsTable {
  name: string;
  checksum: string;
  applied_at: CreatedAt;
}

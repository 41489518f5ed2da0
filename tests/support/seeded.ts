// The set-up most suites share: a fresh database, the app built on it, and users created holding coins.
import type { Clock } from '../../sidecar/src/clock.js';
import type { Db } from '../../sidecar/src/db/database.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { buildTestApp, mintToken, type TokenOptions } from './app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from './db.js';

export interface SeededApp extends ReturnType<typeof buildTestApp> {
  tdb: TestDatabase;
}

/** The test file's own database (named after `file`) and an app on it; drop `tdb` in afterAll. */
export async function seededApp(
  file: string,
  opts: { poolSize?: number; env?: Record<string, string>; clock?: Clock } = {},
): Promise<SeededApp> {
  const tdb = await createTestDatabase(file, { poolSize: opts.poolSize });
  return { tdb, ...buildTestApp(tdb, { env: opts.env, clock: opts.clock }) };
}

/** A WordPress user holding `coins` (one adjustment under `seed:<id>`; none for 0) and a token of theirs. */
export async function userWithCoins(db: Db, coins: number, tokenOptions?: TokenOptions): Promise<{ id: number; token: string }> {
  const id = await createWpUser(db);
  if (coins > 0) await applyMovement(db, { userId: id, deltaCoins: coins, kind: 'adjustment', idempotencyRef: `seed:${id}`, actor: 'test' });
  return { id, token: await mintToken(id, tokenOptions) };
}

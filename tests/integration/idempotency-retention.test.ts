// Answered Idempotency-Keys are forgotten after a day; a retry after that replays, and moves nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_TTL_MS, pruneIdempotencyKeys } from '../../sidecar/src/http/idempotency-retention.js';
import { readBalance } from '../../sidecar/src/ledger/ledger.js';
import { buildTestApp, mintToken } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
});
afterAll(async () => tdb?.drop());

describe('idempotency key retention', () => {
  it('deletes only keys older than a day, and a later retry of a pruned adjustment credits nothing', async () => {
    const t = buildTestApp(tdb);
    const admin = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
    const user = await createWpUser(tdb.db);
    const adjust = (key: string) =>
      t.call('POST', '/api/admin/adjustments', {
        token: admin,
        body: { user_id: user, delta_coins: 40, reason: 'Promo' },
        headers: { 'Idempotency-Key': key },
      });
    expect((await adjust('old-key-0001')).status).toBe(201);
    expect((await adjust('new-key-0001')).status).toBe(201);
    await tdb.db
      .updateTable('idempotency_keys')
      .set({ created_at: new Date(Date.now() - IDEMPOTENCY_KEY_TTL_MS - 60_000) } as never)
      .where('idem_key', '=', 'old-key-0001')
      .execute();

    expect(await pruneIdempotencyKeys(tdb.db, new Date())).toBe(1);
    const left = await tdb.db.selectFrom('idempotency_keys').select('idem_key').execute();
    expect(left.map((r) => r.idem_key)).toEqual(['new-key-0001']);

    const retry = await adjust('old-key-0001');
    expect(retry.status).toBe(201);
    expect(await readBalance(tdb.db, user)).toBe(80);
  });
});

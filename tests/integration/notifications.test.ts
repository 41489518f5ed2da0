// Notifications against a real MariaDB and a real local SMTP sink.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../sidecar/src/db/retry.js';
import { enqueueNotification } from '../../sidecar/src/notify/outbox.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
});
afterAll(async () => tdb?.drop());

describe('enqueueNotification', () => {
  it('leaves nothing behind when the surrounding transaction rolls back', async () => {
    const user = await createWpUser(tdb.db);
    await expect(
      inTransaction(tdb.db, async (trx) => {
        await enqueueNotification(trx, { userId: user, kind: 'unlock', dedupeKey: `rb:${user}`, data: { coins: 5 } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    const rows = await tdb.db.selectFrom('notifications').select('id').where('user_id', '=', user).execute();
    expect(rows).toEqual([]);
  });

  it('writes one notification and one email for a key enqueued many times', async () => {
    const user = await createWpUser(tdb.db);
    const n = { userId: user, kind: 'recharge_completed' as const, dedupeKey: `dup:${user}`, data: { coins: 52, bonus_coins: 5 } };
    await inTransaction(tdb.db, (trx) => enqueueNotification(trx, n));
    await Promise.all(Array.from({ length: 10 }, () => inTransaction(tdb.db, (trx) => enqueueNotification(trx, n))));
    const rows = await tdb.db.selectFrom('notifications').selectAll().where('user_id', '=', user).execute();
    expect(rows).toHaveLength(1);
    const emails = await tdb.db.selectFrom('email_outbox').selectAll().where('notification_id', '=', rows[0]!.id).execute();
    expect(emails).toHaveLength(1);
  });
});

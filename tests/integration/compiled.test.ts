// Queries compiled once and run with each call's values, against a real MariaDB: the same rows as the query built
// afresh, the SQL of each database's own table prefix, a transaction's reuse of its database's SQL, and builders
// that would compile to SQL of the wrong shape refused.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledOnce } from '../../sidecar/src/db/compiled.js';
import { createDb, type Db, type DbOrTx } from '../../sidecar/src/db/database.js';
import { inTransactionOrRollback, Rollback } from '../../sidecar/src/db/tx.js';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { createTestDatabase, createWpUser, TABLE_PREFIX, WP_PREFIX, type TestDatabase } from '../support/db.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
});
afterAll(async () => {
  await tdb?.drop();
});

async function userWithEntries(n: number): Promise<number> {
  const id = await createWpUser(tdb.db);
  for (let i = 1; i <= n; i++) await applyMovement(tdb.db, { userId: id, deltaCoins: i, kind: 'adjustment', idempotencyRef: `compiled:${id}:${i}`, actor: 'test' });
  return id;
}

describe('compiledOnce', () => {
  it('answers each call with its own values, as the query built afresh does, and builds it once', async () => {
    let builds = 0;
    const entries = compiledOnce((db, v: { userId: number; fromId: number; rows: number }) => {
      builds++;
      return db.selectFrom('coin_ledger').selectAll().where('user_id', '=', v.userId).where('id', '>', v.fromId).orderBy('id', 'desc').limit(v.rows);
    });
    const afresh = (userId: number, fromId: number, rows: number) =>
      tdb.db.selectFrom('coin_ledger').selectAll().where('user_id', '=', userId).where('id', '>', fromId).orderBy('id', 'desc').limit(rows).execute();
    const a = await userWithEntries(4);
    const b = await userWithEntries(3);
    for (const [user, fromId, rows] of [[a, 0, 10], [b, 0, 2], [a, 0, 1], [b, 0, 10]] as const) {
      const got = (await entries(tdb.db, { userId: user, fromId, rows })).rows;
      expect(got).toEqual(await afresh(user, fromId, rows));
      expect(got.length).toBe(Math.min(rows, user === a ? 4 : 3));
    }
    const [, , third] = await afresh(a, 0, 4);
    expect((await entries(tdb.db, { userId: a, fromId: third!.id, rows: 10 })).rows.map((e) => e.delta_coins)).toEqual([4, 3]);
    expect(builds).toBe(1);
  });

  it('compiles for each database with its own table prefixes', async () => {
    const other = 'gcx_';
    await sql`CREATE TABLE ${sql.raw(`${other}user_wallet`)} LIKE ${sql.table('user_wallet')}`.execute(tdb.db);
    const otherDb: Db = createDb({ url: tdb.url, poolSize: 2, tablePrefix: other, wpTablePrefix: WP_PREFIX });
    try {
      const user = await createWpUser(tdb.db);
      await applyMovement(tdb.db, { userId: user, deltaCoins: 5, kind: 'adjustment', idempotencyRef: `compiled:prefix:${user}`, actor: 'test' });
      await sql`INSERT INTO ${sql.raw(`${other}user_wallet`)} (user_id, total_coins) VALUES (${user}, 9)`.execute(tdb.db);
      const balance = compiledOnce((db, v: { userId: number }) => db.selectFrom('user_wallet').select('total_coins').where('user_id', '=', v.userId));
      expect((await balance(tdb.db, { userId: user })).rows).toEqual([{ total_coins: 5 }]);
      expect((await balance(otherDb, { userId: user })).rows).toEqual([{ total_coins: 9 }]);
      expect((await balance(tdb.db, { userId: user })).rows).toEqual([{ total_coins: 5 }]);
      expect(TABLE_PREFIX).not.toBe(other);
    } finally {
      await otherDb.destroy();
      await sql`DROP TABLE IF EXISTS ${sql.raw(`${other}user_wallet`)}`.execute(tdb.db);
    }
  });

  it("runs in a transaction on the transaction's connection, with its database's SQL", async () => {
    const handles: DbOrTx[] = [];
    const balance = compiledOnce((db, v: { userId: number }) => {
      handles.push(db);
      return db.selectFrom('user_wallet').select('total_coins').where('user_id', '=', v.userId);
    });
    const user = await userWithEntries(1);
    await balance(tdb.db, { userId: user });
    // The transaction's own uncommitted write is what it reads: the query ran on its connection.
    const inside = await inTransactionOrRollback(tdb.db, async (trx) => {
      await trx.updateTable('user_wallet').set({ total_coins: 41 }).where('user_id', '=', user).execute();
      throw new Rollback((await balance(trx, { userId: user })).rows);
    });
    expect(inside).toEqual([{ total_coins: 41 }]);
    expect((await balance(tdb.db, { userId: user })).rows).toEqual([{ total_coins: 1 }]);
    expect(handles).toEqual([tdb.db]);
  });

  it('refuses a builder that uses a value other than as a value', async () => {
    const concatenated = compiledOnce((db, v: { priceCoins: number }) =>
      db.selectFrom('coin_ledger').select('id').where('memo', '=', `price:${v.priceCoins}`),
    );
    await expect(concatenated(tdb.db, { priceCoins: 3 })).rejects.toThrow(/priceCoins used in an expression/);
    const arithmetic = compiledOnce((db, v: { rows: number }) => db.selectFrom('coin_ledger').select('id').limit(v.rows + 1));
    await expect(arithmetic(tdb.db, { rows: 3 })).rejects.toThrow(/rows used in an expression/);
    const unused = compiledOnce((db, v: { userId: number; label: string }) => {
      void v.label;
      return db.selectFrom('coin_ledger').select('id').where('user_id', '=', v.userId);
    });
    await expect(unused(tdb.db, { userId: 1, label: 'x' })).rejects.toThrow(/label read but not used as a value/);
  });
});

// The ledger against a real MariaDB: concurrent debits never overdraw, replays change nothing.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { applyMovement, readBalance } from '../../sidecar/src/ledger/ledger.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename, { poolSize: 40 });
});
afterAll(async () => tdb?.drop());

const credit = (userId: number, coins: number, ref: string) =>
  applyMovement(tdb.db, { userId, deltaCoins: coins, kind: 'adjustment', idempotencyRef: ref, actor: 'test' });
const debit = (userId: number, coins: number, ref: string) =>
  applyMovement(tdb.db, { userId, deltaCoins: -coins, kind: 'unlock', idempotencyRef: ref, actor: 'test' });

describe('ledger', () => {
  it('lets exactly 50 of 200 concurrent debits of 10 through a balance of 500', async () => {
    const user = await createWpUser(tdb.db);
    await credit(user, 500, `seed:${user}`);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => debit(user, 10, `debit:${user}:${i}`)));
    const ok = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok && r.code === 'insufficient_coins');
    expect(ok).toHaveLength(50);
    expect(refused).toHaveLength(150);
    expect(await readBalance(tdb.db, user)).toBe(0);
    const rows = await tdb.db.selectFrom('coin_ledger').select('id').where('user_id', '=', user).execute();
    expect(rows).toHaveLength(51);
    const report = await checkInvariants(tdb.db, [user]);
    expect(report.problems).toEqual([]);
  });

  it('treats a replayed credit with the same reference as a no-op', async () => {
    const user = await createWpUser(tdb.db);
    const first = await credit(user, 52, `credit:coinpayments:TXN-${user}`);
    const again = await Promise.all(Array.from({ length: 20 }, () => credit(user, 52, `credit:coinpayments:TXN-${user}`)));
    expect(first.ok && !first.replayed).toBe(true);
    for (const r of again) expect(r.ok && r.replayed).toBe(true);
    expect(await readBalance(tdb.db, user)).toBe(52);
    expect((await checkInvariants(tdb.db, [user])).ok).toBe(true);
  });

  it('refuses a reference reused for a different movement', async () => {
    const user = await createWpUser(tdb.db);
    const other = await createWpUser(tdb.db);
    await credit(user, 10, `shared-ref:${user}`);
    const clash = await credit(other, 10, `shared-ref:${user}`);
    expect(clash).toMatchObject({ ok: false, code: 'idempotency_conflict' });
    expect(await readBalance(tdb.db, other)).toBe(0);
  });

  it('compares references byte for byte: a reference differing only in case is another movement', async () => {
    const user = await createWpUser(tdb.db);
    await credit(user, 10, `case:${user}:TXN-Ab`);
    const other = await credit(user, 10, `case:${user}:TXN-aB`);
    expect(other.ok && !other.replayed).toBe(true);
    expect(await readBalance(tdb.db, user)).toBe(20);
  });

  it('reports the shortfall when a debit is refused and writes nothing', async () => {
    const user = await createWpUser(tdb.db);
    await credit(user, 7, `seed:${user}`);
    const r = await debit(user, 10, `short:${user}`);
    expect(r).toEqual({ ok: false, code: 'insufficient_coins', balance: 7, shortfall: 3 });
    const rows = await tdb.db.selectFrom('coin_ledger').select('id').where('user_id', '=', user).execute();
    expect(rows).toHaveLength(1);
  });

  it('rejects zero, fractional and unsafe deltas as programming errors', async () => {
    const user = await createWpUser(tdb.db);
    await expect(credit(user, 0, `zero:${user}`)).rejects.toThrow(RangeError);
    await expect(credit(user, 1.5, `frac:${user}`)).rejects.toThrow(RangeError);
    await expect(credit(user, 2 ** 60, `huge:${user}`)).rejects.toThrow(RangeError);
  });

  it('keeps the invariants under random interleaved credits, debits and replays', async () => {
    const op = fc.record({
      user: fc.integer({ min: 0, max: 2 }),
      delta: fc.integer({ min: -60, max: 60 }).filter((n) => n !== 0),
      ref: fc.integer({ min: 0, max: 40 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const users = [await createWpUser(tdb.db), await createWpUser(tdb.db), await createWpUser(tdb.db)];
        const run = `${users[0]}`;
        const results = await Promise.all(
          ops.map((o) =>
            applyMovement(tdb.db, {
              userId: users[o.user]!,
              deltaCoins: o.delta,
              kind: o.delta > 0 ? 'adjustment' : 'unlock',
              idempotencyRef: `prop:${run}:${o.ref}:${o.user}:${o.delta}`,
              actor: 'property',
            }),
          ),
        );
        for (const r of results) if (!r.ok) expect(['insufficient_coins']).toContain(r.code);
        const report = await checkInvariants(tdb.db, users);
        expect(report.problems).toEqual([]);
        for (const u of users) expect(await readBalance(tdb.db, u)).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 25 },
    );
  });

  it('finds a tampered balance through the invariant check', async () => {
    const user = await createWpUser(tdb.db);
    await credit(user, 30, `seed:${user}`);
    await tdb.db.updateTable('user_wallet').set({ total_coins: 31 }).where('user_id', '=', user).execute();
    const report = await checkInvariants(tdb.db, [user]);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toContain('balance 31 but ledger sums to 30');
  });

  it('is refused by the database itself when a balance would go negative', async () => {
    const user = await createWpUser(tdb.db);
    await credit(user, 5, `seed:${user}`);
    await expect(
      tdb.db.updateTable('user_wallet').set({ total_coins: -1 }).where('user_id', '=', user).execute(),
    ).rejects.toMatchObject({ errno: 4025 });
  });
});

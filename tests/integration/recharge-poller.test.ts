// The recharge event streams' poller: all of an instance's open streams share one query per poll interval.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RechargePoller } from '../../sidecar/src/http/recharge-events.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let tdb: TestDatabase;
beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
});
afterAll(async () => tdb?.drop());

class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.count++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

describe('RechargePoller', () => {
  it('answers 2,000 waiting streams with one query per poll, each with its own recharge', async () => {
    const counter = new StatementCounter();
    const polls: Array<[number, number]> = [];
    const poller = new RechargePoller(tdb.db.withPlugin(counter), 20, (recharges, streams) => polls.push([recharges, streams]));
    const ids = Array.from({ length: 2_000 }, (_, i) => 1_000_000 + i);
    // Two streams follow the first recharge; none of these recharges exists, so each hears undefined.
    const first = await Promise.all([...ids, ids[0]!].map((id) => poller.next(id)));
    expect(first.every((r) => r === undefined)).toBe(true);
    expect(counter.count).toBe(1);
    const second = await Promise.all(ids.slice(0, 10).map((id) => poller.next(id)));
    expect(second).toHaveLength(10);
    expect(counter.count).toBe(2);
    expect(polls).toEqual([
      [2_000, 2_001],
      [10, 10],
    ]);
  });

  it('hands each stream its recharge as read, and makes no query while no stream waits', async () => {
    const counter = new StatementCounter();
    const poller = new RechargePoller(tdb.db.withPlugin(counter), 20);
    await tdb.db
      .insertInto('recharge_transactions')
      .values({ user_id: 7, txn_id: 'poll-1', coins: 22, payment_method: 'USDT', price_amount: '10.00', price_currency: 'CNY' } as never)
      .execute();
    const row = await tdb.db.selectFrom('recharge_transactions').select('id').where('txn_id', '=', 'poll-1').executeTakeFirstOrThrow();
    const [a, b] = await Promise.all([poller.next(row.id), poller.next(row.id + 1)]);
    expect(a).toMatchObject({ id: row.id, status: 'pending', coins: 22 });
    expect(b).toBeUndefined();
    expect(counter.count).toBe(1);
  });
});

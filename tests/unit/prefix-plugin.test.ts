// Table prefixes: logical names become the site's physical tables; aliases keep their names.
import { DummyDriver, Kysely, MysqlAdapter, MysqlIntrospector, MysqlQueryCompiler, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { TablePrefixPlugin } from '../../sidecar/src/db/prefix-plugin.js';
import type { Database } from '../../sidecar/src/db/types.js';

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new MysqlAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new MysqlIntrospector(k),
    createQueryCompiler: () => new MysqlQueryCompiler(),
  },
  plugins: [new TablePrefixPlugin('site_gc_', 'site_')],
});

describe('TablePrefixPlugin', () => {
  it('prefixes our tables and WordPress tables differently', () => {
    expect(db.selectFrom('user_wallet').select('total_coins').compile().sql).toBe(
      'select `total_coins` from `site_gc_user_wallet`',
    );
    expect(db.selectFrom('postmeta').select('meta_value').compile().sql).toBe('select `meta_value` from `site_postmeta`');
  });

  it('leaves aliases alone in joins and column references', () => {
    const q = db
      .selectFrom('coin_ledger as l')
      .leftJoin('users as u', 'u.ID', 'l.user_id')
      .select(['l.id', 'u.user_login'])
      .compile().sql;
    expect(q).toBe(
      'select `l`.`id`, `u`.`user_login` from `site_gc_coin_ledger` as `l` left join `site_users` as `u` on `u`.`ID` = `l`.`user_id`',
    );
  });

  it('prefixes sql.table() in raw SQL', () => {
    expect(sql`SELECT 1 FROM ${sql.table('user_wallet')}`.compile(db).sql).toBe('SELECT 1 FROM `site_gc_user_wallet`');
  });

  it('forgets the aliases of one query before the next, and leaves values alone', () => {
    expect(db.selectFrom('coin_ledger as users').select('users.id').compile().sql).toBe(
      'select `users`.`id` from `site_gc_coin_ledger` as `users`',
    );
    expect(db.selectFrom('users').select('ID').compile().sql).toBe('select `ID` from `site_users`');
    const insert = db.insertInto('notifications').values({ user_id: 1, kind: 'unlock', dedupe_key: 'k', data: '{"table":"users"}' }).compile();
    expect(insert.sql).toBe('insert into `site_gc_notifications` (`user_id`, `kind`, `dedupe_key`, `data`) values (?, ?, ?, ?)');
    expect(insert.parameters).toEqual([1, 'unlock', 'k', '{"table":"users"}']);
  });

  it('prefixes a query built from db once when it becomes part of another (a derived table, INSERT … SELECT)', () => {
    const inner = db.selectFrom('notifications').select('id').where('user_id', '=', 1).limit(100);
    expect(db.selectFrom(inner.as('u')).select((eb) => eb.fn.countAll().as('n')).compile().sql).toBe(
      'select count(*) as `n` from (select `id` from `site_gc_notifications` where `user_id` = ? limit ?) as `u`',
    );
    const copy = db.insertInto('receipt_reads').columns(['user_id', 'ledger_id']).expression(db.selectFrom('coin_ledger as l').select(['l.user_id', 'l.id']));
    expect(copy.compile().sql).toBe(
      'insert into `site_gc_receipt_reads` (`user_id`, `ledger_id`) select `l`.`user_id`, `l`.`id` from `site_gc_coin_ledger` as `l`',
    );
    // The same inner query twice over, and compiled on its own after.
    expect(db.selectFrom(inner.as('a')).innerJoin(inner.as('b'), 'a.id', 'b.id').select('a.id').compile().sql).toBe(
      'select `a`.`id` from (select `id` from `site_gc_notifications` where `user_id` = ? limit ?) as `a` inner join (select `id` from `site_gc_notifications` where `user_id` = ? limit ?) as `b` on `a`.`id` = `b`.`id`',
    );
    expect(inner.compile().sql).toBe('select `id` from `site_gc_notifications` where `user_id` = ? limit ?');
    expect(db.updateTable('entitlements as e').set({ price_coins: 1 }).where('e.id', '=', 1).compile().sql).toBe(
      'update `site_gc_entitlements` as `e` set `price_coins` = ? where `e`.`id` = ?',
    );
  });
});

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
});

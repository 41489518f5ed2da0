// Fixed-shape queries built and compiled once per database, then run with each call's values. On the hot
// reads, Kysely's building, the table-prefix transform and the SQL compiler cost more CPU than the rest of the
// request's own work (bench/PROFILE.md); the SQL they produce is the same on every call.
import { CompiledQuery, type Compilable, type QueryResult, type RawBuilder } from 'kysely';
import type { DbOrTx } from './database.js';

/**
 * Stands for one named value while the query is compiled; the compiled parameters carry it where the value goes.
 * A builder that turns it into a string or a number (a template literal, arithmetic, a comparison) fails there.
 */
class Slot {
  constructor(readonly name: string) {}
  [Symbol.toPrimitive](): never {
    throw new Error(`compiledOnce: ${this.name} used in an expression; pass what the query needs as a value of its own`);
  }
}

/** A transaction's SQL is its database's: inTransaction says which database each of its transactions is of. */
const databaseOf = new WeakMap<DbOrTx, DbOrTx>();

export function compilesAs(trx: DbOrTx, db: DbOrTx): void {
  databaseOf.set(trx, db);
}

/** A query builder's or an `sql` template's query, from stand-ins for its values. */
type Build<P, R> = (db: DbOrTx, values: P) => Compilable<R> | RawBuilder<R>;

interface Template {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * A query whose SQL depends on nothing but its builder: `build` receives stand-ins for the values and must use each
 * only as a value (in `where`, `limit`, `sql` templates), never branch on one; the first compile checks that every
 * value it read reached the parameters. Compiled once per database (a Db with other table prefixes gets its own
 * SQL); a transaction opened by inTransaction uses its database's, any other handle its own.
 */
export function compiledOnce<P extends Record<string, unknown>, R>(build: Build<P, R>): (db: DbOrTx, values: P) => Promise<QueryResult<R>> {
  const templates = new WeakMap<DbOrTx, Template>();
  return async (db, values) => {
    const scope = databaseOf.get(db) ?? db;
    let template = templates.get(scope);
    if (!template) {
      template = compileTemplate(scope, build);
      templates.set(scope, template);
    }
    const parameters = template.parameters.map((v) => (v instanceof Slot ? values[v.name] : v));
    return db.executeQuery<R>(CompiledQuery.raw(template.sql, parameters));
  };
}

function compileTemplate<P extends Record<string, unknown>, R>(db: DbOrTx, build: Build<P, R>): Template {
  const read = new Set<string>();
  const standIns = new Proxy({} as P, {
    get: (_, name) => {
      if (typeof name !== 'string') return undefined;
      read.add(name);
      return new Slot(name);
    },
  });
  // A builder compiles on its own; an `sql` template with the handle's plugins.
  const { sql, parameters } = build(db, standIns).compile(db);
  const placed = new Set(parameters.flatMap((v) => (v instanceof Slot ? [v.name] : [])));
  const lost = [...read].filter((name) => !placed.has(name));
  if (lost.length > 0) throw new Error(`compiledOnce: ${lost.join(', ')} read but not used as a value`);
  return { sql, parameters };
}

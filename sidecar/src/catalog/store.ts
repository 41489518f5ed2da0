// The catalog store: sections in the database, one cached copy per instance, checked against the version row
// on every read, changed under that row's lock with an audit row per section.
import type { Clock } from '../clock.js';
import type { Db, DbOrTx } from '../db/database.js';
import { keysetPage } from '../db/paging.js';
import { inTransaction } from '../db/retry.js';
import { canonicalJson, catalogFrom, SECTION_NAMES, type Catalog, type CatalogDoc, type SectionName } from './catalog.js';

const VERSION_ROW = 1;
export const AUDIT_PAGE_MAX = 100;

export interface CatalogStoreDeps {
  db: Db;
  /** The environment's catalog: written on a fresh install, and the default of a section never saved. */
  seed: CatalogDoc;
  clock: Clock;
}

export interface Editor {
  id: number;
  name: string;
}

export type UpdateResult =
  | { ok: true; catalog: Catalog; changed: SectionName[] }
  | { ok: false; code: 'catalog_changed'; sections: SectionName[]; version: number };

export class CatalogStore {
  private cached: Catalog | null = null;
  private loading: Promise<Catalog> | null = null;

  constructor(private readonly deps: CatalogStoreDeps) {}

  /**
   * The catalog as it is now. One primary-key read of the version row per call: a change made on any instance
   * is served by every instance from its next request on, with no delay to tune and nothing to broadcast.
   */
  async current(): Promise<Catalog> {
    const seen = await readVersion(this.deps.db);
    if (seen !== null && this.cached?.version === seen) return this.cached;
    let loaded = await this.reload();
    // A load that started before the version this request saw may have read the one before it.
    if (seen !== null && loaded.version < seen) loaded = await this.load();
    return loaded;
  }

  /**
   * Replaces the sections in `changes` whose content differs from what is stored. `expectedVersion` is the
   * version the editor loaded: a section someone else changed since then is not overwritten (catalog_changed).
   * Nothing is written when nothing differs.
   */
  async update(changes: Partial<CatalogDoc>, expectedVersion: number, editor: Editor): Promise<UpdateResult> {
    await this.current();
    const { db, seed, clock } = this.deps;
    const result = await inTransaction(db, async (trx): Promise<UpdateResult | { ok: true; changed: [] }> => {
      const versionRow = await trx
        .selectFrom('catalog_version')
        .select('version')
        .where('id', '=', VERSION_ROW)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const version = Number(versionRow.version);
      const rows = await trx.selectFrom('catalog_sections').selectAll().forUpdate().execute();
      const stored = new Map(rows.map((r) => [r.section, r]));
      const edits: { name: SectionName; before: string; after: string }[] = [];
      const conflicts: SectionName[] = [];
      for (const name of SECTION_NAMES) {
        if (changes[name] === undefined) continue;
        const row = stored.get(name);
        const before = row?.body ?? JSON.stringify(seed[name]);
        const after = JSON.stringify(changes[name]);
        if (canonicalJson(JSON.parse(before)) === canonicalJson(changes[name])) continue;
        if (row && Number(row.version) > expectedVersion) conflicts.push(name);
        edits.push({ name, before, after });
      }
      if (conflicts.length > 0) return { ok: false, code: 'catalog_changed', sections: conflicts, version };
      if (edits.length === 0) return { ok: true, changed: [] };
      const next = version + 1;
      const now = clock.now();
      const actor = `admin:${editor.id}`;
      for (const e of edits) {
        await trx
          .insertInto('catalog_sections')
          .values({ section: e.name, body: e.after, version: next, updated_at: now, updated_by: actor })
          .onDuplicateKeyUpdate({ body: e.after, version: next, updated_at: now, updated_by: actor })
          .execute();
      }
      await trx
        .insertInto('catalog_audit')
        .values(
          edits.map((e) => ({
            version: next,
            section: e.name,
            actor,
            actor_name: editor.name.slice(0, 255),
            before_body: e.before,
            after_body: e.after,
            created_at: now,
          })),
        )
        .execute();
      await trx.updateTable('catalog_version').set({ version: next, updated_at: now }).where('id', '=', VERSION_ROW).execute();
      return { ok: true, changed: edits.map((e) => e.name) } as UpdateResult;
    });
    if (!result.ok) return result;
    return { ok: true, catalog: await this.current(), changed: result.changed };
  }

  private reload(): Promise<Catalog> {
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** The version row and the sections from one snapshot, seeding a fresh install first. */
  private async load(): Promise<Catalog> {
    const { db, seed } = this.deps;
    for (;;) {
      const snapshot = await db.transaction().execute(async (trx) => {
        const version = await readVersion(trx);
        if (version === null) return null;
        const rows = await trx.selectFrom('catalog_sections').select(['section', 'body']).execute();
        return { version, rows };
      });
      if (snapshot === null) {
        await this.seedFreshInstall();
        continue;
      }
      const doc: CatalogDoc = { ...seed };
      for (const row of snapshot.rows) {
        if ((SECTION_NAMES as readonly string[]).includes(row.section)) {
          (doc as unknown as Record<string, unknown>)[row.section] = withSeedFields(seed[row.section as SectionName], JSON.parse(row.body));
        }
      }
      const catalog = catalogFrom(snapshot.version, doc);
      if (!this.cached || this.cached.version <= catalog.version) this.cached = catalog;
      return catalog;
    }
  }

  /**
   * Only the instance whose insert of the version row lands writes the seed; the others wait on that row's
   * lock and find it written, so a fresh install started on several instances at once is seeded once.
   */
  private async seedFreshInstall(): Promise<void> {
    const { db, seed, clock } = this.deps;
    await inTransaction(db, async (trx) => {
      const now = clock.now();
      const inserted = await trx
        .insertInto('catalog_version')
        .ignore()
        .values({ id: VERSION_ROW, version: 1, updated_at: now })
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) !== 1) return;
      const rows = SECTION_NAMES.map((name) => ({ section: name, body: JSON.stringify(seed[name]) }));
      await trx
        .insertInto('catalog_sections')
        .values(rows.map((r) => ({ ...r, version: 1, updated_at: now, updated_by: 'seed' })))
        .execute();
      await trx
        .insertInto('catalog_audit')
        .values(rows.map((r) => ({ version: 1, section: r.section, actor: 'seed', actor_name: 'environment', before_body: null, after_body: r.body, created_at: now })))
        .execute();
    });
  }
}

async function readVersion(db: DbOrTx): Promise<number | null> {
  const row = await db.selectFrom('catalog_version').select('version').where('id', '=', VERSION_ROW).executeTakeFirst();
  return row ? Number(row.version) : null;
}

export interface AuditFilter {
  section?: SectionName;
  beforeId?: number;
  limit: number;
}

/** Catalog changes, newest first, with each section's content before and after. */
export async function listCatalogAudit(db: DbOrTx, f: AuditFilter) {
  let q = db.selectFrom('catalog_audit').selectAll();
  if (f.section) q = q.where('section', '=', f.section);
  if (f.beforeId) q = q.where('id', '<', f.beforeId);
  const { page, nextCursor } = keysetPage(await q.orderBy('id', 'desc').limit(f.limit + 1).execute(), f.limit);
  return {
    entries: page.map((r) => ({
      id: r.id,
      version: Number(r.version),
      section: r.section as SectionName,
      actor: r.actor,
      actor_name: r.actor_name,
      before: r.before_body === null ? null : (JSON.parse(r.before_body) as unknown),
      after: JSON.parse(r.after_body) as unknown,
      created_at: r.created_at,
    })),
    nextCursor,
  };
}

/** A section saved before a field was added to it serves the seed's value of that field until the owner saves it again. */
function withSeedFields(seed: unknown, stored: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  return isObject(seed) && isObject(stored) ? { ...seed, ...stored } : stored;
}

// /api/admin/catalog, /api/admin/balances, /api/admin/export/:kind (manage_options): the catalog editor, the Users
// screen's balances, the CSV exports.
import { Hono } from 'hono';
import { exportCsv } from '../admin/export.js';
import { listCatalogAudit } from '../catalog/store.js';
import { requireCap } from './auth.js';
import type { AppEnv, RouteDeps } from './context.js';
import { ApiError } from './errors.js';
import { balancesQuery, catalogAuditQuery, catalogUpdateBody, exportParams, exportQuery } from './schemas/catalog.js';
import { parseJson, parseQuery } from './validate.js';

export function adminCatalogRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requireCap('manage_options'));

  app.get('/catalog', async (c) => {
    const current = await deps.catalog.current();
    return c.json({ version: current.version, catalog: current.doc });
  });

  app.post('/catalog', async (c) => {
    // A bad field is refused by the schema with its path and message, before anything is read or written.
    const body = await parseJson(c, catalogUpdateBody);
    const user = c.get('user');
    const result = await deps.catalog.update(body.catalog, body.version, { id: user.id, name: user.name });
    if (!result.ok) {
      throw new ApiError(409, 'catalog_changed', `changed by someone else since version ${body.version}: ${result.sections.join(', ')}; reload and edit again`, {
        sections: result.sections,
        version: result.version,
      });
    }
    if (result.changed.length > 0) deps.log.info('catalog changed', { version: result.catalog.version, sections: result.changed, admin: user.id });
    return c.json({ version: result.catalog.version, catalog: result.catalog.doc, changed: result.changed });
  });

  app.get('/catalog/audit', async (c) => {
    const q = parseQuery(c, catalogAuditQuery);
    const page = await listCatalogAudit(deps.db, { section: q.section, beforeId: q.cursor, limit: q.limit });
    return c.json({
      entries: page.entries.map((e) => ({ ...e, created_at: e.created_at.toISOString() })),
      next_cursor: page.nextCursor,
    });
  });

  app.get('/balances', async (c) => {
    const q = parseQuery(c, balancesQuery);
    const rows = await deps.db.selectFrom('user_wallet').select(['user_id', 'total_coins']).where('user_id', 'in', q.user_ids).execute();
    const byId = new Map(rows.map((r) => [Number(r.user_id), r.total_coins]));
    return c.json({ balances: q.user_ids.map((id) => ({ user_id: id, balance: byId.get(id) ?? 0 })) });
  });

  app.get('/export/:kind', async (c) => {
    const params = exportParams.safeParse({ kind: c.req.param('kind') });
    if (!params.success) throw new ApiError(404, 'unknown_export', 'exports are payments, ledger and redemptions');
    const q = parseQuery(c, exportQuery);
    const kind = params.data.kind;
    const rows = exportCsv(deps.db, kind, { userId: q.user_id });
    const encoder = new TextEncoder();
    // pull() runs only when the client has taken the previous chunk: the socket's backpressure paces the queries.
    const stream = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const next = await rows.next();
            if (next.done) controller.close();
            else controller.enqueue(encoder.encode(next.value));
          } catch (err) {
            deps.log.error('export failed', { kind, err });
            controller.error(err);
          }
        },
        async cancel() {
          await rows.return(undefined);
        },
      },
      { highWaterMark: 0 },
    );
    const stamp = deps.clock.now().toISOString().slice(0, 10);
    return new Response(stream, {
      status: 200,
      headers: {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="goldcoin-${kind}-${stamp}.csv"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      },
    });
  });

  return app;
}

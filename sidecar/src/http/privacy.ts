// /api/admin/privacy (manage_options): the personal-data export and erasure behind WordPress's privacy tools.
import { Hono } from 'hono';
import { erase, exportPage, subjectOf } from '../privacy/privacy.js';
import { requireCap } from './auth.js';
import type { AppEnv, RouteDeps } from './context.js';
import { privacyEraseBody, privacyExportQuery } from './schemas/privacy.js';
import { parseJson, parseQuery } from './validate.js';

export function adminPrivacyRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requireCap('manage_options'));

  app.get('/export', async (c) => {
    const q = parseQuery(c, privacyExportQuery);
    const subject = await subjectOf(deps.db, q.user_id, q.email ? [q.email] : []);
    const page = await exportPage(deps.db, subject, q.page, q.locale ?? null);
    return c.json({ data: page.items, done: page.done });
  });

  app.post('/erase', async (c) => {
    const body = await parseJson(c, privacyEraseBody);
    const subject = await subjectOf(deps.db, body.user_id, body.emails);
    const result = await erase(deps.db, subject, deps.clock.now(), body.locale ?? null);
    deps.log.info('personal data erased', { user_id: body.user_id, admin: c.get('user').id, removed: result.items_removed, retained: result.items_retained, done: result.done });
    return c.json(result);
  });
  return app;
}

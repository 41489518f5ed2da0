// /api/admin/*: manage_options only. Payments, ledger search, stats, the books check, and adjustments audited in the ledger.
import { Hono } from 'hono';
import { checkBooksPage } from '../admin/books.js';
import { dailyStats, listPayments, searchLedger } from '../admin/reports.js';
import { runDoctor } from '../doctor/checks.js';
import { applyMovement } from '../ledger/ledger.js';
import { requireCap } from './auth.js';
import type { AppEnv, RouteDeps } from './context.js';
import { ApiError } from './errors.js';
import { idempotencyKeyOf, idempotent } from './idempotency.js';
import { adminPaymentJson, ledgerEntryJson, memoJson } from './serialize.js';
import { adjustmentBody, adminLedgerQuery, booksQuery, paymentsQuery, statsQuery } from './schemas/admin.js';
import { parseJson, parseQuery } from './validate.js';

export function adminRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  app.use('*', requireCap('manage_options'));

  app.get('/payments', async (c) => {
    const q = parseQuery(c, paymentsQuery);
    const { rows, nextCursor } = await listPayments(deps.db, {
      status: q.status,
      userId: q.user_id,
      stuck: q.stuck === '1',
      onHold: q.on_hold === '1',
      beforeId: q.cursor,
      limit: q.limit,
      now: deps.clock.now(),
    });
    return c.json({ payments: rows.map(adminPaymentJson), next_cursor: nextCursor });
  });

  app.get('/ledger', async (c) => {
    const q = parseQuery(c, adminLedgerQuery);
    const { rows, nextCursor } = await searchLedger(deps.db, {
      userId: q.user_id,
      kind: q.kind,
      ref: q.ref,
      beforeId: q.cursor,
      limit: q.limit,
    });
    return c.json({ entries: rows.map((r) => ({ ...r, ...memoJson(r) })), next_cursor: nextCursor });
  });

  app.get('/stats', async (c) => {
    const q = parseQuery(c, statsQuery);
    return c.json({ currency: (await deps.catalog.current()).priceCurrency, ...(await dailyStats(deps.db, q.days, deps.clock.now())) });
  });

  app.get('/books', async (c) => {
    const q = parseQuery(c, booksQuery);
    const page = await checkBooksPage(deps.db, q.cursor ?? null, q.limit);
    if (!page.ok) deps.log.warn('books check found problems', { problems: page.problems.length, first: page.problems[0] });
    return c.json({ ok: page.ok, users_checked: page.usersChecked, problems: page.problems, next_cursor: page.nextCursor });
  });

  // The caller's token was minted by the plugin with its secret and verified here: that acceptance is the JWT round trip.
  app.post('/doctor', async (c) => {
    const report = await runDoctor({ ...deps.doctor, config: deps.config, jwtRoundTrip: { viaPlugin: true, issuer: deps.config.wpHome } });
    const failed = report.checks.filter((x) => !x.ok).map((x) => x.id);
    if (failed.length > 0) deps.log.warn('doctor found problems', { checks: failed, admin: c.get('user').id });
    return c.json(report);
  });

  app.post('/adjustments', idempotent(deps, 'admin.adjustment'), async (c) => {
    const body = await parseJson(c, adjustmentBody);
    const admin = c.get('user');
    const key = idempotencyKeyOf(c.req.header('idempotency-key'));
    const target = await deps.db.selectFrom('users').select('ID').where('ID', '=', body.user_id).executeTakeFirst();
    if (!target) throw new ApiError(404, 'user_not_found', `no WordPress user ${body.user_id}`);
    const result = await applyMovement(deps.db, {
      userId: body.user_id,
      deltaCoins: body.delta_coins,
      kind: 'adjustment',
      idempotencyRef: `adjustment:${admin.id}:${key}`,
      actor: `admin:${admin.id}`,
      refType: 'adjustment',
      memo: { code: 'adjustment', params: { reason: body.reason }, text: body.reason },
    });
    if (!result.ok && result.code === 'insufficient_coins') {
      throw new ApiError(402, 'insufficient_coins', 'the adjustment would make the balance negative', {
        balance: result.balance,
        shortfall: result.shortfall,
      });
    }
    if (!result.ok) throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used for another adjustment');
    if (!result.replayed) deps.metrics.coinMovements.inc({ kind: 'adjustment' });
    return c.json({ entry: ledgerEntryJson(result.entry), balance: result.balance }, 201);
  });

  return app;
}

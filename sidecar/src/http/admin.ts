// /api/admin/*: manage_options only. Manual adjustments with a reason, audited in the ledger.
import { Hono } from 'hono';
import { z } from 'zod';
import { ADMIN_PAGE_MAX, dailyStats, listPayments, searchLedger, STATS_MAX_DAYS } from '../admin/reports.js';
import { applyMovement, MAX_COINS_PER_MOVEMENT } from '../ledger/ledger.js';
import { requireCap } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError } from './errors.js';
import { idempotencyKeyOf, idempotent } from './idempotency.js';
import { ledgerEntryJson } from './serialize.js';
import { parseJson, parseQuery } from './validate.js';

const adjustmentBody = z.object({
  user_id: z.number().int().positive().safe(),
  delta_coins: z
    .number()
    .int()
    .min(-MAX_COINS_PER_MOVEMENT)
    .max(MAX_COINS_PER_MOVEMENT)
    .refine((n) => n !== 0, 'must not be zero'),
  reason: z.string().trim().min(3).max(255),
});

const id = z.string().regex(/^[1-9][0-9]{0,15}$/).transform(Number);
const page = {
  cursor: id.optional(),
  limit: z.coerce.number().int().min(1).max(ADMIN_PAGE_MAX).default(50),
};
const paymentsQuery = z.object({
  ...page,
  status: z.enum(['pending', 'completed', 'failed']).optional(),
  user_id: id.optional(),
  stuck: z.enum(['0', '1']).optional(),
  on_hold: z.enum(['0', '1']).optional(),
});
const ledgerQuery = z.object({
  ...page,
  user_id: id.optional(),
  kind: z.enum(['recharge', 'bonus', 'unlock', 'author_share', 'reward', 'referral', 'adjustment']).optional(),
  ref: z.string().min(1).max(191).optional(),
});
const statsQuery = z.object({ days: z.coerce.number().int().min(1).max(STATS_MAX_DAYS).default(30) });

export function adminRoutes(deps: AppDeps) {
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
    return c.json({ payments: rows, next_cursor: nextCursor });
  });

  app.get('/ledger', async (c) => {
    const q = parseQuery(c, ledgerQuery);
    const { rows, nextCursor } = await searchLedger(deps.db, {
      userId: q.user_id,
      kind: q.kind,
      ref: q.ref,
      beforeId: q.cursor,
      limit: q.limit,
    });
    return c.json({ entries: rows, next_cursor: nextCursor });
  });

  app.get('/stats', async (c) => {
    const q = parseQuery(c, statsQuery);
    return c.json({ currency: deps.config.priceCurrency, ...(await dailyStats(deps.db, q.days, deps.clock.now())) });
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
      memo: body.reason,
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

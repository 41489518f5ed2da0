// GET /api/wallet and GET /api/ledger: the signed-in user's balance, VIP membership and coin history.
import { Hono } from 'hono';
import { lastCompletedRecharge, ledgerPage } from '../ledger/history.js';
import { readBalance } from '../ledger/ledger.js';
import { activeMember } from '../membership/membership.js';
import { unreadCount } from '../notify/inbox.js';
import type { AppDeps, AppEnv } from './context.js';
import { ledgerQuery } from './schemas/wallet.js';
import { ledgerEntryJson } from './serialize.js';
import { parseQuery } from './validate.js';

const RECENT_ENTRIES = 10;

export function walletRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();

  app.get('/wallet', async (c) => {
    const userId = c.get('user').id;
    const [balance, last, page, member, unread] = await Promise.all([
      readBalance(deps.db, userId),
      lastCompletedRecharge(deps.db, userId),
      ledgerPage(deps.db, userId, null, RECENT_ENTRIES),
      activeMember(deps.db, userId, deps.clock.now()),
      unreadCount(deps.db, userId),
    ]);
    return c.json({
      balance,
      last_recharge: last
        ? {
            id: last.id,
            // What was credited: an underpaid recharge may have been credited in proportion.
            coins: last.coins_credited,
            bonus_coins: last.bonus_credited,
            price_amount: last.price_amount,
            price_currency: last.price_currency,
            payment_method: last.payment_method,
            completed_at: last.completed_at?.toISOString() ?? null,
          }
        : null,
      recent: page.entries.map(ledgerEntryJson),
      unread_notifications: unread,
      vip: member
        ? {
            tier_key: member.membership.tier_key,
            tier: member.tier?.title ?? member.membership.tier_key,
            expires_at: member.membership.expires_at?.toISOString() ?? null,
          }
        : null,
    });
  });

  app.get('/ledger', async (c) => {
    const q = parseQuery(c, ledgerQuery);
    const page = await ledgerPage(deps.db, c.get('user').id, q.cursor ? Number(q.cursor) : null, q.limit);
    return c.json({ entries: page.entries.map(ledgerEntryJson), next_cursor: page.nextCursor });
  });

  return app;
}

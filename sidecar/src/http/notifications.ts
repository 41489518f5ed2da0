// GET /api/notifications and POST /api/notifications/read: the signed-in user's in-site notifications.
import { Hono } from 'hono';
import type { z } from 'zod';
import { inboxPage, markRead, type InboxItem } from '../notify/inbox.js';
import { normalizeLocale } from '../notify/locale.js';
import type { AppDeps, AppEnv } from './context.js';
import { markReadBody, notificationsQuery, type notification } from './schemas/notifications.js';
import { rateLimit } from './rate-limit.js';
import { parseJson, parseQuery } from './validate.js';

function itemJson(n: InboxItem): z.output<typeof notification> {
  return {
    id: n.id,
    kind: n.kind,
    title: n.title,
    body: n.body,
    data: n.data,
    read_at: n.readAt?.toISOString() ?? null,
    created_at: n.createdAt.toISOString(),
  };
}

export function notificationRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();

  app.get('/notifications', async (c) => {
    const q = parseQuery(c, notificationsQuery);
    const user = c.get('user');
    const page = await inboxPage(deps.db, user.id, q.cursor ?? null, q.limit, normalizeLocale(user.locale));
    return c.json({ notifications: page.items.map(itemJson), unread_count: page.unreadCount, next_cursor: page.nextCursor });
  });

  app.post('/notifications/read', rateLimit(deps, 'notificationRead'), async (c) => {
    const body = await parseJson(c, markReadBody);
    const target = 'all' in body ? { all: true as const } : { ids: body.ids };
    const unread = await markRead(deps.db, c.get('user').id, target, deps.clock.now());
    return c.json({ unread_count: unread });
  });

  return app;
}

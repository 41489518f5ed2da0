// GET /api/notifications and POST /api/notifications/read: the signed-in user's in-site notifications.
import { Hono } from 'hono';
import { z } from 'zod';
import { inboxPage, markRead, MAX_MARK_IDS, MAX_PAGE_SIZE, type InboxItem } from '../notify/inbox.js';
import { normalizeLocale } from '../notify/locale.js';
import type { AppDeps, AppEnv } from './context.js';
import { openapiHelpers } from './openapi.js';
import { parseJson, parseQuery } from './validate.js';

const listQuery = z.object({
  cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, 'an id from next_cursor').optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
});

const id = z.number().int().positive().safe();
const readBody = z.union([
  z.object({ ids: z.array(id).min(1).max(MAX_MARK_IDS) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);

function itemJson(n: InboxItem) {
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
    const q = parseQuery(c, listQuery);
    const user = c.get('user');
    const page = await inboxPage(deps.db, user.id, q.cursor ? Number(q.cursor) : null, q.limit, normalizeLocale(user.locale));
    return c.json({ notifications: page.items.map(itemJson), unread_count: page.unreadCount, next_cursor: page.nextCursor });
  });

  app.post('/notifications/read', async (c) => {
    const body = await parseJson(c, readBody);
    const target = 'all' in body ? { all: true as const } : { ids: body.ids };
    const unread = await markRead(deps.db, c.get('user').id, target, deps.clock.now());
    return c.json({ unread_count: unread });
  });

  return app;
}

const { ok, err } = openapiHelpers;
const notificationSchema = {
  type: 'object',
  required: ['id', 'kind', 'title', 'body', 'data', 'read_at', 'created_at'],
  properties: {
    id: { type: 'integer' },
    kind: {
      type: 'string',
      enum: ['recharge_completed', 'recharge_failed', 'recharge_expired', 'unlock', 'reward_redeemed', 'referral_earned', 'adjustment'],
    },
    title: { type: 'string' },
    body: { type: 'string' },
    data: { type: 'object' },
    read_at: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
  },
};

export const notificationsOpenapiPaths = {
  '/api/notifications': {
    get: {
      summary: "The user's in-site notifications, newest first, in the token's locale",
      parameters: [
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 } },
      ],
      responses: {
        200: ok('A page of notifications, the unread count and next_cursor', {
          type: 'object',
          required: ['notifications', 'unread_count', 'next_cursor'],
          properties: {
            notifications: { type: 'array', items: notificationSchema },
            unread_count: { type: 'integer' },
            next_cursor: { type: ['string', 'null'] },
          },
        }),
        400: err('Bad cursor or limit (invalid_query)'),
        401: err('No valid token'),
      },
    },
  },
  '/api/notifications/read': {
    post: {
      summary: 'Mark some (ids) or all notifications read',
      requestBody: {
        content: {
          'application/json': {
            schema: {
              oneOf: [
                {
                  type: 'object',
                  required: ['ids'],
                  properties: { ids: { type: 'array', items: { type: 'integer' }, minItems: 1, maxItems: MAX_MARK_IDS } },
                  additionalProperties: false,
                },
                { type: 'object', required: ['all'], properties: { all: { const: true } }, additionalProperties: false },
              ],
            },
          },
        },
      },
      responses: {
        200: ok('The unread count after marking', {
          type: 'object',
          required: ['unread_count'],
          properties: { unread_count: { type: 'integer' } },
        }),
        400: err('Invalid body (invalid_json, invalid_request)'),
        401: err('No valid token'),
        415: err('Not JSON'),
      },
    },
  },
};

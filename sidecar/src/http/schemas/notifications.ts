// GET /api/notifications and POST /api/notifications/read: the signed-in user's in-site notifications.
import { z } from 'zod';
import { MAX_MARK_IDS, MAX_PAGE_SIZE } from '../../notify/inbox.js';
import { dateTime, fails, nextCursor, ok, pageQuery, type RouteSpec } from './common.js';

export const notificationsQuery = pageQuery(MAX_PAGE_SIZE);
export const markReadBody = z.union([
  z.object({ ids: z.array(z.number().int().positive().safe()).min(1).max(MAX_MARK_IDS) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);

export const notification = z.object({
  id: z.number().int(),
  kind: z.enum(['recharge_completed', 'recharge_failed', 'recharge_expired', 'unlock', 'reward_redeemed', 'referral_earned', 'adjustment', 'vip_purchased', 'vip_expiring', 'vip_expired', 'ea_version']),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
  read_at: dateTime.nullable(),
  created_at: dateTime,
});
export const notificationPage = z.object({ notifications: z.array(notification), unread_count: z.number().int(), next_cursor: nextCursor });
export const unreadCount = z.object({ unread_count: z.number().int() });

export const notificationRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/notifications',
    summary: "The user's in-site notifications, newest first, in the token's locale",
    auth: 'user',
    query: notificationsQuery,
    responses: { 200: ok('A page of notifications', notificationPage), 400: fails('Bad cursor or limit', 'invalid_query') },
  },
  {
    method: 'post',
    path: '/api/notifications/read',
    summary: 'Mark some (ids) or all notifications read',
    auth: 'user',
    rateLimit: true,
    body: markReadBody,
    responses: { 200: ok('The unread count after marking', unreadCount) },
  },
];

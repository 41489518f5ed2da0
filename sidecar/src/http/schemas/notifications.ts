// GET /api/notifications and POST /api/notifications/read: the signed-in user's in-site notifications.
import { z } from 'zod';
import { INBOX_CURSOR, MAX_MARK_IDS, MAX_PAGE_SIZE } from '../../notify/inbox.js';
import { dateTime, fails, nextCursor, ok, pageQuery, type RouteSpec } from './common.js';

/** The inbox pages two sources at once (notification rows and unlock receipts), so its cursor has two parts. */
export const notificationsQuery = pageQuery(MAX_PAGE_SIZE).extend({ cursor: z.string().regex(INBOX_CURSOR, 'a next_cursor').optional() });
/** A notification's id, or an unlock receipt's (negative: its ledger row's id negated). */
const notificationId = z.number().int().safe().refine((n) => n !== 0, 'a notification id');
export const markReadBody = z.union([
  z.object({ ids: z.array(notificationId).min(1).max(MAX_MARK_IDS) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);

export const notification = z.object({
  id: z.number().int(),
  kind: z.enum(['recharge_completed', 'recharge_failed', 'recharge_expired', 'unlock', 'reward_redeemed', 'referral_earned', 'referral_not_counted', 'adjustment', 'vip_purchased', 'vip_expiring', 'vip_expired', 'ea_version']),
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

// Reading and marking a user's in-site notifications (newest first, keyset cursor on id).
import type { DbOrTx } from '../db/database.js';
import type { NotifyLocale } from './locale.js';
import { renderNotification } from './messages.js';
import type { NotificationKind } from './outbox.js';
import { keysetPage } from '../db/paging.js';

export const MAX_PAGE_SIZE = 100;
export const MAX_MARK_IDS = 100;

export interface InboxItem {
  id: number;
  kind: NotificationKind;
  title: string;
  body: string;
  data: Record<string, unknown>;
  readAt: Date | null;
  createdAt: Date;
}

export interface InboxPage {
  items: InboxItem[];
  unreadCount: number;
  nextCursor: string | null;
}

export async function unreadCount(db: DbOrTx, userId: number): Promise<number> {
  const row = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Rendered in the reader's language at read time, so a user who switches language sees old ones in it too. */
export async function inboxPage(
  db: DbOrTx,
  userId: number,
  beforeId: number | null,
  limit: number,
  locale: NotifyLocale,
): Promise<InboxPage> {
  const size = Math.min(Math.max(limit, 1), MAX_PAGE_SIZE);
  let q = db
    .selectFrom('notifications')
    .select(['id', 'kind', 'data', 'read_at', 'created_at'])
    .where('user_id', '=', userId);
  if (beforeId !== null) q = q.where('id', '<', beforeId);
  const [rows, unread] = await Promise.all([q.orderBy('id', 'desc').limit(size + 1).execute(), unreadCount(db, userId)]);
  const { page, nextCursor } = keysetPage(rows, size);
  const items = page.map((r) => {
    const kind = r.kind as NotificationKind;
    const data = JSON.parse(r.data) as Record<string, unknown>;
    const { title, body } = renderNotification(kind, data, locale);
    return { id: r.id, kind, title, body, data, readAt: r.read_at, createdAt: r.created_at };
  });
  return { items, unreadCount: unread, nextCursor };
}

/** Marks the given ids (or all) read; ids of other users' notifications match nothing. Returns the unread count. */
export async function markRead(db: DbOrTx, userId: number, target: { ids: number[] } | { all: true }, now: Date): Promise<number> {
  let q = db.updateTable('notifications').set({ read_at: now }).where('user_id', '=', userId).where('read_at', 'is', null);
  if ('ids' in target) {
    if (target.ids.length === 0) return unreadCount(db, userId);
    q = q.where('id', 'in', target.ids.slice(0, MAX_MARK_IDS));
  }
  await q.execute();
  return unreadCount(db, userId);
}

// Reading and marking a user's in-site notifications, newest first: the notification rows, and the unlock receipts,
// which are the user's unlock ledger rows themselves (an unlock writes no notification row unless the site emails
// a receipt per unlock), rendered when read. Receipts carry the negated ledger id as their id.
import { sql } from 'kysely';
import { compiledOnce } from '../db/compiled.js';
import type { DbOrTx } from '../db/database.js';
import type { NotifyLocale } from './locale.js';
import { renderNotification } from './messages.js';
import type { NotificationKind } from './outbox.js';

export const MAX_PAGE_SIZE = 100;
export const MAX_MARK_IDS = 100;
/** A page's cursor: where each source goes on, "<notification id>.<ledger id>" (0: that source is done). */
export const INBOX_CURSOR = /^(0|[1-9][0-9]{0,15})\.(0|[1-9][0-9]{0,15})$/;

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

/**
 * The user's unlock ledger rows, minus those that have a notification row of their own (sites with UNLOCK_EMAIL on,
 * and every unlock from before receipts were read from the ledger: the notification's dedupe key is the ledger ref).
 */
function receipts(db: DbOrTx, userId: number) {
  return db
    .selectFrom('coin_ledger as l')
    .where('l.user_id', '=', userId)
    .where('l.kind', '=', 'unlock')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('notifications as n').select(sql.lit(1).as('one')).whereRef('n.dedupe_key', '=', 'l.idempotency_ref'))),
    );
}

const marks = (db: DbOrTx, userId: number) =>
  db.selectFrom('receipt_marks').select(['read_through', 'read_at']).where('user_id', '=', userId).executeTakeFirst();

const unreadReceiptCount = compiledOnce((db, v: { userId: number }) =>
  receipts(db, v.userId)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('l.id', '>', (eb) =>
      eb.fn.coalesce(eb.selectFrom('receipt_marks').select('read_through').where('user_id', '=', v.userId), sql.lit(0)),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('receipt_reads as r').select(sql.lit(1).as('one')).where('r.user_id', '=', v.userId).whereRef('r.ledger_id', '=', 'l.id'))),
    ),
);

const unreadNotificationCount = compiledOnce((db, v: { userId: number }) =>
  db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', v.userId)
    .where('read_at', 'is', null),
);

/** A COUNT(*) row's count; the row is always there. */
const countOf = (r: { rows: Array<{ n: number | string }> }) => Number(r.rows[0]!.n);

async function unreadReceipts(db: DbOrTx, userId: number): Promise<number> {
  return countOf(await unreadReceiptCount(db, { userId }));
}

async function unreadNotifications(db: DbOrTx, userId: number): Promise<number> {
  return countOf(await unreadNotificationCount(db, { userId }));
}

export async function unreadCount(db: DbOrTx, userId: number): Promise<number> {
  const [n, r] = await Promise.all([unreadNotifications(db, userId), unreadReceipts(db, userId)]);
  return n + r;
}

function parseCursor(cursor: string | null): { notes: number | null; receipts: number | null } {
  const m = cursor === null ? null : INBOX_CURSOR.exec(cursor);
  return m ? { notes: Number(m[1]), receipts: Number(m[2]) } : { notes: null, receipts: null };
}

/**
 * Rendered in the reader's language at read time, so a user who switches language sees old ones in it too. The two
 * sources are paged each by id and merged by time; the cursor says how far each went.
 */
export async function inboxPage(db: DbOrTx, userId: number, cursor: string | null, limit: number, locale: NotifyLocale): Promise<InboxPage> {
  const size = Math.min(Math.max(limit, 1), MAX_PAGE_SIZE);
  const before = parseCursor(cursor);
  let nq = db.selectFrom('notifications').select(['id', 'kind', 'data', 'read_at', 'created_at']).where('user_id', '=', userId);
  if (before.notes !== null) nq = nq.where('id', '<', before.notes);
  let rq = receipts(db, userId)
    .leftJoin('receipt_reads as r', (j) => j.onRef('r.ledger_id', '=', 'l.id').on('r.user_id', '=', userId))
    .select(['l.id', 'l.ref_id', 'l.memo', 'l.delta_coins', 'l.balance_after', 'l.created_at', 'r.read_at']);
  if (before.receipts !== null) rq = rq.where('l.id', '<', before.receipts);
  const [notes, recs, mark, unread] = await Promise.all([
    before.notes === 0 ? [] : nq.orderBy('id', 'desc').limit(size + 1).execute(),
    before.receipts === 0 ? [] : rq.orderBy('l.id', 'desc').limit(size + 1).execute(),
    marks(db, userId),
    unreadCount(db, userId),
  ]);
  const items: InboxItem[] = [];
  let ni = 0;
  let ri = 0;
  while (items.length < size && (ni < notes.length || ri < recs.length)) {
    const n = notes[ni];
    const r = recs[ri];
    if (n && (!r || n.created_at.getTime() >= r.created_at.getTime())) {
      ni++;
      const kind = n.kind as NotificationKind;
      const data = JSON.parse(n.data) as Record<string, unknown>;
      items.push({ id: n.id, kind, ...renderNotification(kind, data, locale), data, readAt: n.read_at, createdAt: n.created_at });
    } else if (r) {
      ri++;
      // The same data an unlock's notification row carries, so the receipt reads the same either way.
      const title = r.memo ?? '';
      const data = { post_id: Number(r.ref_id), title, post_title: title, coins: -r.delta_coins, balance: r.balance_after };
      const readAt = mark && r.id <= mark.read_through ? mark.read_at : r.read_at;
      items.push({ id: -r.id, kind: 'unlock', ...renderNotification('unlock', data, locale), data, readAt, createdAt: r.created_at });
    }
  }
  const more = ni < notes.length || ri < recs.length;
  /** Where a source goes on: after its last row shown, or where it stood (0 when it has no more rows at all). */
  const next = (rows: Array<{ id: number }>, taken: number, was: number | null) =>
    taken > 0 ? rows[taken - 1]!.id : rows.length > 0 ? rows[0]!.id + 1 : was === null ? 0 : was;
  return {
    items,
    unreadCount: unread,
    nextCursor: more ? `${next(notes, ni, before.notes)}.${next(recs, ri, before.receipts)}` : null,
  };
}

/**
 * Marks the given ids (or all) read; ids of other users' notifications or receipts match nothing. Returns the unread
 * count. A negative id is a receipt (its ledger id negated).
 */
export async function markRead(db: DbOrTx, userId: number, target: { ids: number[] } | { all: true }, now: Date): Promise<number> {
  let q = db.updateTable('notifications').set({ read_at: now }).where('user_id', '=', userId).where('read_at', 'is', null);
  if ('ids' in target) {
    const ids = target.ids.slice(0, MAX_MARK_IDS);
    const notes = ids.filter((id) => id > 0);
    const recs = ids.filter((id) => id < 0).map((id) => -id);
    if (notes.length > 0) await q.where('id', 'in', notes).execute();
    if (recs.length > 0) {
      await db
        .insertInto('receipt_reads')
        .columns(['user_id', 'ledger_id', 'read_at'])
        .expression(receipts(db, userId).select([sql.lit(userId).as('user_id'), 'l.id', sql<Date>`${now}`.as('read_at')]).where('l.id', 'in', recs))
        .ignore()
        .execute();
    }
    return unreadCount(db, userId);
  }
  await q.execute();
  const last = await db.selectFrom('coin_ledger').select((eb) => eb.fn.max('id').as('id')).where('user_id', '=', userId).where('kind', '=', 'unlock').executeTakeFirst();
  if (last?.id) {
    const through = Number(last.id);
    await db
      .insertInto('receipt_marks')
      .values({ user_id: userId, read_through: through, read_at: now })
      .onDuplicateKeyUpdate({ read_through: sql`GREATEST(read_through, VALUES(read_through))`, read_at: now })
      .execute();
    // Marks one by one below the line say nothing more.
    await db.deleteFrom('receipt_reads').where('user_id', '=', userId).where('ledger_id', '<=', through).execute();
  }
  return unreadCount(db, userId);
}

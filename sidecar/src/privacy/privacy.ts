// Personal-data export and erasure for one WordPress user, over every part of the registry (parts.ts), in the pages
// WordPress's exporters and erasers ask for.
import type { DbOrTx } from '../db/database.js';
import { normalizeLocale } from '../notify/locale.js';
import { PARTS, type Field, type Label, type PrivacyPart, type Subject } from './parts.js';

/** Export items per page: WordPress asks for page after page until `done`. */
export const EXPORT_PAGE_ITEMS = 100;
/** Emails of one subject looked for in stored bodies: the request's, WordPress's, and each distinct payment email. */
const MAX_EMAILS = 20;

export interface ExportItem {
  group_id: string;
  group_label: string;
  item_id: string;
  data: { name: string; value: string }[];
}

/** The subject as the sidecar knows them: the emails given, the WordPress account's, and those their payments used. */
export async function subjectOf(db: DbOrTx, userId: number, given: readonly string[]): Promise<Subject> {
  const [user, paid] = await Promise.all([
    db.selectFrom('users').select('user_email').where('ID', '=', userId).executeTakeFirst(),
    db.selectFrom('recharge_transactions').select('buyer_email').distinct().where('user_id', '=', userId).where('buyer_email', 'is not', null).limit(MAX_EMAILS).execute(),
  ]);
  const emails = new Set<string>();
  for (const e of [...given, user?.user_email ?? '', ...paid.map((p) => p.buyer_email ?? '')]) if (e.includes('@')) emails.add(e.trim().toLowerCase());
  return { userId, emails: [...emails].slice(0, MAX_EMAILS) };
}

const pick = (l: Label, zh: boolean) => (zh ? l[1] : l[0]);

/**
 * Page `page` (from 1) of everything held about the subject, parts in registry order. Each part is counted, so a page
 * lands in the right part without reading the ones before it.
 */
export async function exportPage(db: DbOrTx, s: Subject, page: number, locale: string | null): Promise<{ items: ExportItem[]; done: boolean }> {
  const zh = normalizeLocale(locale) === 'zh_CN';
  let skip = (page - 1) * EXPORT_PAGE_ITEMS;
  let room = EXPORT_PAGE_ITEMS;
  const items: ExportItem[] = [];
  let remaining = 0;
  for (const part of PARTS) {
    const total = await part.count(db, s);
    if (room === 0 || skip >= total) {
      skip = Math.max(0, skip - total);
      remaining += room === 0 ? total : 0;
      continue;
    }
    const rows = await part.rows(db, s, skip, room);
    remaining += Math.max(0, total - skip - rows.length);
    skip = 0;
    room -= rows.length;
    for (const r of rows) items.push(itemOf(part, r.id, r.fields, zh));
  }
  return { items, done: remaining === 0 };
}

function itemOf(part: PrivacyPart, id: string, fields: Field[], zh: boolean): ExportItem {
  return {
    group_id: part.group,
    group_label: pick(part.label, zh),
    item_id: id,
    data: fields.filter((f) => f.value !== null && f.value !== '').map((f) => ({ name: pick(f.name, zh), value: String(f.value) })),
  };
}

export interface ErasureResult {
  items_removed: number;
  items_retained: number;
  messages: string[];
  done: boolean;
}

/**
 * Erases what may go and anonymises what must stay, part by part; money never moves, so the ledger still sums to
 * every balance. Each part's pass is bounded; `done` is false when another call is needed. Calling it again is safe.
 */
export async function erase(db: DbOrTx, s: Subject, now: Date, locale: string | null): Promise<ErasureResult> {
  const zh = normalizeLocale(locale) === 'zh_CN';
  const out: ErasureResult = { items_removed: 0, items_retained: 0, messages: [], done: true };
  for (const part of PARTS) {
    const r = await part.erase(db, s, now);
    out.items_removed += r.removed;
    out.items_retained += r.retained;
    if (r.message && !out.messages.includes(pick(r.message, zh))) out.messages.push(pick(r.message, zh));
    out.done &&= r.done;
  }
  return out;
}

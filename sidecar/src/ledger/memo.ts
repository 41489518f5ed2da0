// What a ledger row is for, as a code and its parameters: the widget renders it in the reader's language, while the row's
// memo keeps an English text for admins and exports. sql/017 maps the memos written before the codes to them.

/** Every code a row may carry; the widget has a text for each (widget/src/i18n/wallet.ts, keys `m_<code>`). */
export const MEMO_CODES = [
  'recharge',
  'recharge_underpaid',
  'recharge_resolved',
  'recharge_underpaid_resolved',
  'recharge_bonus',
  'referral_reward',
  'post_unlock',
  'author_share',
  'reward',
  'vip',
  'adjustment',
] as const;
export type MemoCode = (typeof MEMO_CODES)[number];

/** Titles, reasons and ids that fill the message; people's own words (a title, a reason) are shown as written. */
export type MemoParams = Record<string, string | number>;

export interface Memo {
  code: MemoCode;
  params?: MemoParams;
  /** The English text stored in `memo`. */
  text: string;
}

const MAX_TEXT_CHARS = 255;
const MAX_PARAM_CHARS = 200;
/** With the u flag a surrogate matches only when it is not half of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/gu;

/** The memo's columns; a long title or reason is cut to what the columns hold. */
export function memoColumns(m: Memo | undefined): { memo: string | null; memo_code: MemoCode | null; memo_params: string | null } {
  if (!m) return { memo: null, memo_code: null, memo_params: null };
  const params = m.params
    ? // A title cut inside an emoji keeps half a surrogate pair, which is not valid JSON text: it becomes U+FFFD.
      Object.fromEntries(Object.entries(m.params).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, MAX_PARAM_CHARS).replace(LONE_SURROGATE, '\uFFFD') : v]))
    : null;
  return { memo: m.text.slice(0, MAX_TEXT_CHARS), memo_code: m.code, memo_params: params ? JSON.stringify(params) : null };
}

/** memo_params as stored, back to an object (null for none or for a value that is not an object). */
export function parseMemoParams(raw: string | null): MemoParams | null {
  if (raw === null) return null;
  const v: unknown = JSON.parse(raw);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as MemoParams) : null;
}

/**
 * A row's parameters as readers get them. An unlock's short way reads the post's title once, into `memo`, and stores
 * parameters naming the post alone (ledger.ts PostUnlockMemo): its title is the memo's.
 */
export function rowMemoParams(row: { memo: string | null; memo_code: string | null; memo_params: string | null }): MemoParams | null {
  const params = parseMemoParams(row.memo_params);
  if (params && row.memo_code === 'post_unlock' && params['title'] === undefined && row.memo !== null) return { title: row.memo, ...params };
  return params;
}

/** A recharge's credit: plain, underpaid, resolved by a person, or both. */
export function rechargeMemo(underpaid: boolean, resolvedReason: string | null): Memo {
  const base = underpaid ? 'recharge (underpaid: credited in proportion)' : 'recharge';
  if (resolvedReason === null) return { code: underpaid ? 'recharge_underpaid' : 'recharge', text: base };
  return {
    code: underpaid ? 'recharge_underpaid_resolved' : 'recharge_resolved',
    params: { reason: resolvedReason },
    text: `${base}, resolved: ${resolvedReason}`,
  };
}

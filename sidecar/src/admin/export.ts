// CSV exports of payments, ledger entries and redemptions: keyset pages oldest first, one page in memory at a time,
// cells a spreadsheet would evaluate neutralised.
import type { DbOrTx } from '../db/database.js';
import { rowMemoParams } from '../ledger/memo.js';
import { trimDecimal } from '../payments/decimal.js';

export type ExportKind = 'payments' | 'ledger' | 'redemptions';
export const EXPORT_PAGE_ROWS = 1_000;

type Cell = string | number | Date | null;
interface ExportSpec {
  header: string[];
  page(db: DbOrTx, afterId: number, userId: number | undefined): Promise<{ id: number; cells: Cell[] }[]>;
}

/**
 * A text cell starting with = + - @ or a tab or carriage return is run as a formula by Excel, LibreOffice and
 * Google Sheets (CSV injection): a leading apostrophe makes it text. Numbers the database produced are left alone,
 * so a negative delta stays a number.
 */
export function csvCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  let text = value instanceof Date ? value.toISOString() : value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The parameters as readers get them (an unlock's title from its memo), as JSON; empty when the row has none. */
function paramsCell(r: { memo: string | null; memo_code: string | null; memo_params: string | null }): string | null {
  const params = rowMemoParams(r);
  return params ? JSON.stringify(params) : null;
}

export const csvLine = (cells: Cell[]) => `${cells.map(csvCell).join(',')}\r\n`;

const SPECS: Record<ExportKind, ExportSpec> = {
  ledger: {
    // The memo's code and parameters (JSON) after its English text: what the row is for, in a form a spreadsheet can filter.
    header: ['id', 'created_at', 'user_id', 'user_login', 'kind', 'delta_coins', 'balance_after', 'ref_type', 'ref_id', 'idempotency_ref', 'actor', 'memo', 'memo_code', 'memo_params'],
    async page(db, afterId, userId) {
      let q = db
        .selectFrom('coin_ledger as l')
        .leftJoin('users as u', 'u.ID', 'l.user_id')
        .select(['l.id', 'l.created_at', 'l.user_id', 'u.user_login', 'l.kind', 'l.delta_coins', 'l.balance_after', 'l.ref_type', 'l.ref_id', 'l.idempotency_ref', 'l.actor', 'l.memo', 'l.memo_code', 'l.memo_params'])
        .where('l.id', '>', afterId);
      if (userId !== undefined) q = q.where('l.user_id', '=', userId);
      const rows = await q.orderBy('l.id').limit(EXPORT_PAGE_ROWS).execute();
      return rows.map((r) => ({
        id: r.id,
        cells: [r.id, r.created_at, r.user_id, r.user_login, r.kind, r.delta_coins, r.balance_after, r.ref_type, r.ref_id, r.idempotency_ref, r.actor, r.memo, r.memo_code, paramsCell(r)],
      }));
    },
  },
  payments: {
    header: [
      'id', 'created_at', 'completed_at', 'user_id', 'user_login', 'status', 'coins', 'bonus_coins', 'price_amount', 'price_currency',
      'amount_usd', 'payment_method', 'crypto_currency', 'crypto_amount', 'received_amount', 'txn_id', 'coins_credited', 'bonus_credited',
      'hold_reason', 'failed_reason',
    ],
    async page(db, afterId, userId) {
      let q = db
        .selectFrom('recharge_transactions as r')
        .leftJoin('users as u', 'u.ID', 'r.user_id')
        .select([
          'r.id', 'r.created_at', 'r.completed_at', 'r.user_id', 'u.user_login', 'r.status', 'r.coins', 'r.bonus_coins', 'r.price_amount',
          'r.price_currency', 'r.amount_usd', 'r.payment_method', 'r.crypto_currency', 'r.crypto_amount', 'r.received_amount', 'r.txn_id',
          'r.coins_credited', 'r.bonus_credited', 'r.hold_reason', 'r.failed_reason',
        ])
        .where('r.id', '>', afterId);
      if (userId !== undefined) q = q.where('r.user_id', '=', userId);
      const rows = await q.orderBy('r.id').limit(EXPORT_PAGE_ROWS).execute();
      return rows.map((r) => ({
        id: r.id,
        cells: [
          r.id, r.created_at, r.completed_at, r.user_id, r.user_login, r.status, r.coins, r.bonus_coins, r.price_amount, r.price_currency,
          // Crypto amounts as the buyer and the admin views read them (7.28, not DECIMAL(30,10)'s 7.2800000000).
          r.amount_usd, r.payment_method, r.crypto_currency, r.crypto_amount && trimDecimal(r.crypto_amount), r.received_amount && trimDecimal(r.received_amount), r.txn_id, r.coins_credited, r.bonus_credited,
          r.hold_reason, r.failed_reason,
        ],
      }));
    },
  },
  redemptions: {
    header: ['id', 'created_at', 'user_id', 'user_login', 'reward_key', 'cost_coins', 'fulfilment_type', 'fulfilment_value'],
    async page(db, afterId, userId) {
      let q = db
        .selectFrom('reward_redemptions as d')
        .leftJoin('users as u', 'u.ID', 'd.user_id')
        .select(['d.id', 'd.created_at', 'd.user_id', 'u.user_login', 'd.reward_key', 'd.cost_coins', 'd.fulfilment_type', 'd.fulfilment_value'])
        .where('d.id', '>', afterId);
      if (userId !== undefined) q = q.where('d.user_id', '=', userId);
      const rows = await q.orderBy('d.id').limit(EXPORT_PAGE_ROWS).execute();
      return rows.map((r) => ({
        id: r.id,
        cells: [r.id, r.created_at, r.user_id, r.user_login, r.reward_key, r.cost_coins, r.fulfilment_type, r.fulfilment_value],
      }));
    },
  },
};

/**
 * The export as CSV text, one page of rows per chunk: the next page is read only when the previous chunk was
 * taken, so a slow download holds one page, not the table. Keyset paging (id > last) keeps each query an index
 * range however deep the export goes; rows written during the export after its position are included.
 */
export async function* exportCsv(db: DbOrTx, kind: ExportKind, filter: { userId?: number } = {}): AsyncGenerator<string> {
  const spec = SPECS[kind];
  yield csvLine(spec.header);
  let afterId = 0;
  for (;;) {
    const rows = await spec.page(db, afterId, filter.userId);
    if (rows.length === 0) return;
    yield rows.map((r) => csvLine(r.cells)).join('');
    if (rows.length < EXPORT_PAGE_ROWS) return;
    afterId = rows[rows.length - 1]!.id;
  }
}

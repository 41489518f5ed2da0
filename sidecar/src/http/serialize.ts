// JSON shapes of domain rows as the API returns them, typed by the schemas that document them.
import type { z } from 'zod';
import type { LedgerEntry } from '../db/tables/coin-ledger.js';
import { MEMO_CODES, rowMemoParams, type MemoCode, type MemoParams } from '../ledger/memo.js';
import { trimDecimal } from '../payments/decimal.js';
import type { RechargeRow } from '../payments/recharges.js';
import type { ledgerEntry } from './schemas/common.js';
import type { recharge } from './schemas/recharges.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A row's memo code and parameters as the API answers them (the ledger, the admin's ledger search and payment detail). */
export function memoJson(e: Pick<LedgerEntry, 'memo' | 'memo_code' | 'memo_params'>): { memo_code: MemoCode | null; memo_params: MemoParams | null } {
  return {
    // A code a newer sidecar wrote that this one does not know is left out rather than answered undocumented.
    memo_code: (MEMO_CODES as readonly string[]).includes(e.memo_code ?? '') ? (e.memo_code as MemoCode) : null,
    memo_params: rowMemoParams(e),
  };
}

export function ledgerEntryJson(e: LedgerEntry): z.output<typeof ledgerEntry> {
  return {
    id: e.id,
    delta_coins: e.delta_coins,
    balance_after: e.balance_after,
    kind: e.kind,
    ref_type: e.ref_type,
    ref_id: e.ref_id,
    memo: e.memo,
    ...memoJson(e),
    created_at: e.created_at instanceof Date ? e.created_at.toISOString() : e.created_at,
  };
}

const URI_SCHEMES: Record<string, string> = { BTC: 'bitcoin', LTC: 'litecoin' };

/** The text the widget encodes into a QR code: a payment URI where wallets agree on one, else the address. */
export function qrText(currency: string | null, address: string | null, amount: string | null): string | null {
  if (!address) return null;
  const scheme = currency ? URI_SCHEMES[currency] : undefined;
  return scheme && amount ? `${scheme}:${address}?amount=${trimDecimal(amount)}` : address;
}

/** DECIMAL(30,10) columns without their trailing zeros. */
const trimAmount = (s: string | null) => (s === null ? null : trimDecimal(s));

/** A payment row for the admin views: crypto amounts read as the buyer saw them (`7.28`, not `7.2800000000`). */
export function adminPaymentJson<R extends { crypto_amount: string | null; received_amount: string | null }>(r: R): R {
  return { ...r, crypto_amount: trimAmount(r.crypto_amount), received_amount: trimAmount(r.received_amount) };
}

/** The JSON shape of a recharge for its owner (POST, GET, SSE and the list all use it). */
export function rechargeJson(r: RechargeRow): z.output<typeof recharge> {
  const amount = trimAmount(r.crypto_amount);
  return {
    id: r.id,
    status: r.status,
    coins: r.coins,
    bonus_coins: r.bonus_coins,
    price: { amount: r.price_amount, currency: r.price_currency },
    amount_usd: r.amount_usd,
    method: r.payment_method,
    payment: {
      txn_id: r.txn_id,
      address: r.address,
      amount,
      currency: r.crypto_currency,
      dest_tag: r.dest_tag,
      confirms_needed: r.confirms_needed,
      expires_at: iso(r.expires_at),
      checkout_url: r.checkout_url,
      status_url: r.status_url,
      qr: qrText(r.crypto_currency, r.address, amount),
      received_amount: trimAmount(r.received_amount),
      provider_status: r.provider_status,
    },
    coins_credited: r.coins_credited,
    bonus_credited: r.bonus_credited,
    on_hold: r.hold_reason as z.output<typeof recharge>['on_hold'],
    created_at: iso(r.created_at),
    completed_at: iso(r.completed_at),
    // A late payment completes a recharge once marked failed; the row keeps why, the API shows the outcome.
    failed_reason: r.status === 'failed' ? r.failed_reason : null,
  };
}

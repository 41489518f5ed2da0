// JSON shapes of domain rows as the API returns them.
import type { LedgerEntry } from '../db/tables/coin-ledger.js';

export function ledgerEntryJson(e: LedgerEntry) {
  return {
    id: e.id,
    delta_coins: e.delta_coins,
    balance_after: e.balance_after,
    kind: e.kind,
    ref_type: e.ref_type,
    ref_id: e.ref_id,
    memo: e.memo,
    created_at: e.created_at instanceof Date ? e.created_at.toISOString() : e.created_at,
  };
}

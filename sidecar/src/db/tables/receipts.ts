// receipt_reads and receipt_marks: what a reader marked read of their unlock receipts (ledger rows), notify/inbox.ts.

export interface ReceiptReadsTable {
  user_id: number;
  ledger_id: number;
  read_at: Date;
}

export interface ReceiptMarksTable {
  user_id: number;
  /** Every receipt with a ledger id up to this one is read. */
  read_through: number;
  read_at: Date;
}

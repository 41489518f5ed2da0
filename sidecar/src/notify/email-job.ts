// The email outbox sender: claims due rows under a lease, sends them, retries with backoff, then gives up.
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/retry.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { BackgroundJob } from '../workers.js';
import { normalizeLocale } from './locale.js';
import type { Mailer } from './mailer.js';
import { renderEmail, renderNotification } from './messages.js';
import { NOTIFICATION_KINDS, type NotificationKind } from './outbox.js';

export const DEFAULT_BATCH_SIZE = 10;
/** A backlog drains at up to this many batches per pass, instead of one batch per interval. */
export const MAX_BATCHES_PER_PASS = 10;
export const SEND_CONCURRENCY = 4;
/** Longer than a whole batch can take with every SMTP timeout hit, so a live sender keeps its rows. */
export const DEFAULT_LEASE_MS = 5 * 60_000;
export const DEFAULT_RETRY_BASE_MS = 30_000;
export const DEFAULT_RETRY_MAX_MS = 60 * 60_000;

export interface EmailOutboxOptions {
  db: Db;
  clock: Clock;
  log: Logger;
  /** null when SMTP is not configured: due rows are marked skipped. */
  mailer: Mailer | null;
  siteName: string;
  siteUrl: string;
  intervalMs: number;
  maxAttempts: number;
  batchSize?: number;
  leaseMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
}

export interface OutboxPass {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  skipped: number;
}

/** Delay before attempt n+1 after n failed attempts: base, 2×base, 4×base… capped. */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
}

interface ClaimedRow {
  id: number;
  notification_id: number;
  attempts: number;
  kind: string;
  locale: string;
  data: string;
  user_email: string | null;
  display_name: string | null;
}

type Outcome = { status: 'sent' } | { status: 'skipped' | 'failed'; error: string } | { status: 'retry'; error: string; delayMs: number };

export interface EmailOutboxJob extends BackgroundJob {
  runOnce(): Promise<OutboxPass>;
}

/** The options with their defaults filled in, and the host name the Message-IDs carry. */
interface OutboxSettings extends EmailOutboxOptions {
  batchSize: number;
  leaseMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  host: string;
}

export function emailOutboxJob(opts: EmailOutboxOptions): EmailOutboxJob {
  const settings: OutboxSettings = {
    ...opts,
    batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
    leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
    retryBaseMs: opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
    retryMaxMs: opts.retryMaxMs ?? DEFAULT_RETRY_MAX_MS,
    host: new URL(opts.siteUrl).hostname || 'localhost',
  };
  return { name: 'email-outbox', intervalMs: opts.intervalMs, runOnce: () => runPass(settings) };
}

async function runPass(s: OutboxSettings): Promise<OutboxPass> {
  const pass: OutboxPass = { claimed: 0, sent: 0, retried: 0, failed: 0, skipped: 0 };
  for (let i = 0; i < MAX_BATCHES_PER_PASS; i++) {
    const sentBefore = pass.sent;
    const retriedBefore = pass.retried;
    const claimed = await runBatch(s, pass);
    // A batch that only failed means the server is likely down: wait for the next interval.
    const serverDown = pass.sent === sentBefore && pass.retried > retriedBefore;
    if (claimed < s.batchSize || serverDown) break;
  }
  return pass;
}

async function runBatch(s: OutboxSettings, pass: OutboxPass): Promise<number> {
  const token = randomBytes(16).toString('hex');
  const ids = await claim(s, token);
  pass.claimed += ids.length;
  if (ids.length === 0) return 0;
  const rows = await load(s.db, ids, token);
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      const outcome = await deliver(s, row);
      if (!(await settle(s, row, token, outcome))) {
        s.log.warn('email outbox lease lost before settling', { outboxId: row.id, outcome: outcome.status });
        continue;
      }
      if (outcome.status === 'retry') pass.retried++;
      else pass[outcome.status]++;
      if (outcome.status === 'failed') s.log.warn('email gave up', { outboxId: row.id, attempts: row.attempts, error: outcome.error });
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, rows.length) }, worker));
  return ids.length;
}

/** Short transaction: take due rows nobody else holds, push their next_attempt_at out by the lease. */
async function claim(s: OutboxSettings, token: string): Promise<number[]> {
  const now = s.clock.now();
  return inTransaction(s.db, async (trx) => {
    const due = await trx
      .selectFrom('email_outbox')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(s.batchSize)
      .forUpdate()
      .skipLocked()
      .execute();
    const ids = due.map((r) => r.id);
    if (ids.length === 0) return ids;
    await trx
      .updateTable('email_outbox')
      .set((eb) => ({
        lease_token: token,
        next_attempt_at: new Date(now.getTime() + s.leaseMs),
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', 'in', ids)
      .execute();
    return ids;
  });
}

async function load(db: Db, ids: number[], token: string): Promise<ClaimedRow[]> {
  return db
    .selectFrom('email_outbox as o')
    .innerJoin('notifications as n', 'n.id', 'o.notification_id')
    .leftJoin('users as u', 'u.ID', 'n.user_id')
    .select(['o.id', 'o.notification_id', 'o.attempts', 'n.kind', 'n.locale', 'n.data', 'u.user_email', 'u.display_name'])
    .where('o.id', 'in', ids)
    .where('o.lease_token', '=', token)
    .execute();
}

function compose(s: OutboxSettings, row: ClaimedRow) {
  const locale = normalizeLocale(row.locale);
  const message = renderNotification(row.kind as NotificationKind, JSON.parse(row.data) as Record<string, unknown>, locale);
  return renderEmail(message, locale, { siteName: s.siteName, siteUrl: s.siteUrl, displayName: row.display_name });
}

async function deliver(s: OutboxSettings, row: ClaimedRow): Promise<Outcome> {
  if (s.mailer === null) return { status: 'skipped', error: 'email_disabled' };
  const to = row.user_email?.trim() ?? '';
  if (to.length === 0) return { status: 'skipped', error: 'no_email_address' };
  if (!NOTIFICATION_KINDS.includes(row.kind as NotificationKind)) return { status: 'failed', error: `unknown_kind: ${row.kind}` };
  // Claims count as attempts, so a row whose senders keep dying mid-send still ends.
  if (row.attempts > s.maxAttempts) return { status: 'failed', error: 'attempts_exhausted' };
  let email;
  try {
    email = compose(s, row);
  } catch (err) {
    return { status: 'failed', error: `render_failed: ${(err as Error).message}`.slice(0, 500) };
  }
  try {
    await s.mailer.send({ to, ...email, messageId: `<goldcoin-notification-${row.notification_id}@${s.host}>` });
    return { status: 'sent' };
  } catch (err) {
    const error = (err as Error).message;
    if (row.attempts >= s.maxAttempts) return { status: 'failed', error };
    return { status: 'retry', error, delayMs: retryDelayMs(row.attempts, s.retryBaseMs, s.retryMaxMs) };
  }
}

/** Written only while this pass still holds the lease; a row re-claimed after expiry is left to its new holder. */
async function settle(s: OutboxSettings, row: ClaimedRow, token: string, outcome: Outcome): Promise<boolean> {
  const now = s.clock.now();
  const base = s.db.updateTable('email_outbox').where('id', '=', row.id).where('lease_token', '=', token);
  const res =
    outcome.status === 'sent'
      ? await base.set({ status: 'sent', sent_at: now, lease_token: null, last_error: null }).executeTakeFirst()
      : outcome.status === 'retry'
        ? await base
            .set({ next_attempt_at: new Date(now.getTime() + outcome.delayMs), lease_token: null, last_error: outcome.error })
            .executeTakeFirst()
        : await base.set({ status: outcome.status, lease_token: null, last_error: outcome.error }).executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

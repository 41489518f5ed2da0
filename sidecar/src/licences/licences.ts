// Licences: one per entitlement to an EA post, created on demand; what the visitor and the admin see and change.
import { randomBytes } from 'node:crypto';
import type { Selectable, Transaction } from 'kysely';
import type { Db, DbOrTx } from '../db/database.js';
import { inTransaction, RetryTransaction } from '../db/retry.js';
import type { EntitlementsTable } from '../db/tables/entitlements.js';
import type { LicenceAction, LicenceActivationsTable, LicenceEventsTable, LicencesTable } from '../db/tables/licences.js';
import type { Database } from '../db/types.js';
import { eaPostIds, latestVersion, readLicenceTerms, type EaVersion, type LicenceTerms } from './terms.js';

export type Licence = Selectable<LicencesTable>;
export type Activation = Selectable<LicenceActivationsTable>;
export type LicenceEvent = Selectable<LicenceEventsTable>;
type Entitlement = Selectable<EntitlementsTable>;

const DAY_MS = 86_400_000;
/** Releases count over a rolling window of this many days. */
export const RELEASE_WINDOW_DAYS = 30;
/** A visitor's list is bounded: nobody holds more EA posts than this. */
export const MAX_LICENCES_PER_USER = 200;
export const MAX_ADMIN_PAGE = 100;
const MAX_EVENTS = 200;
const MAX_DETAIL_CHARS = 500;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
export const KEY_PATTERN = /^[A-Z2-7]{32}$/;

/** 160 random bits as 32 characters of RFC 4648 base32 (upper case, no padding). */
export function generateLicenceKey(): string {
  const bytes = randomBytes(20);
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

/** What people type: spaces and dashes dropped, upper case. */
export function normalizeKey(raw: string): string {
  return raw.replace(/[\s-]/g, '').toUpperCase();
}

export type LicenceStatus = 'active' | 'expired' | 'revoked';

/** The licence's end: an admin's extension, else N days from the purchase, else the entitlement's own end. */
export function licenceEnd(l: Pick<Licence, 'expires_override'>, ent: Entitlement, terms: LicenceTerms | null): Date | null {
  if (l.expires_override) return l.expires_override;
  if (terms?.licenceDays) {
    const start = ent.period_started_at ?? ent.created_at;
    return new Date(start.getTime() + terms.licenceDays * DAY_MS);
  }
  return ent.expires_at;
}

export function licenceState(
  l: Pick<Licence, 'expires_override' | 'revoked_at'>,
  ent: Entitlement | undefined,
  terms: LicenceTerms | null,
  now: Date,
): { status: LicenceStatus; expiresAt: Date | null } {
  // A licence whose entitlement was removed by hand is as good as revoked.
  if (!ent) return { status: 'revoked', expiresAt: l.expires_override };
  const expiresAt = licenceEnd(l, ent, terms);
  if (l.revoked_at) return { status: 'revoked', expiresAt };
  if (expiresAt && expiresAt.getTime() <= now.getTime()) return { status: 'expired', expiresAt };
  return { status: 'active', expiresAt };
}

export async function recordEvent(
  db: DbOrTx,
  e: { licenceId: number; actor: string; action: LicenceAction; account?: string | null; detail?: string | null; now: Date },
) {
  await db
    .insertInto('licence_events')
    .values({
      licence_id: e.licenceId,
      actor: e.actor.slice(0, 64),
      action: e.action,
      account: e.account ?? null,
      detail: e.detail?.slice(0, MAX_DETAIL_CHARS) ?? null,
      created_at: e.now,
    })
    .execute();
}

/**
 * The entitlement's licence, created the first time it is asked for: INSERT IGNORE on the entitlement's unique
 * key, then read, so concurrent first asks end with one licence and one "issue" event. A key that collided with
 * another licence's (160 random bits: never in practice) leaves no row, and the whole is tried again.
 */
export async function ensureLicence(db: Db, ent: Entitlement, now: Date): Promise<Licence> {
  const existing = await db.selectFrom('licences').selectAll().where('entitlement_id', '=', ent.id).executeTakeFirst();
  if (existing) return existing;
  return inTransaction(db, async (trx) => {
    const res = await trx
      .insertInto('licences')
      .ignore()
      .values({ entitlement_id: ent.id, user_id: ent.user_id, post_id: ent.post_id, licence_key: generateLicenceKey() })
      .executeTakeFirst();
    const row = await trx.selectFrom('licences').selectAll().where('entitlement_id', '=', ent.id).executeTakeFirst();
    if (!row) throw new RetryTransaction(`licence key for entitlement ${ent.id} collided`);
    if (Number(res.numInsertedOrUpdatedRows ?? 0n) === 1) {
      await recordEvent(trx, { licenceId: row.id, actor: 'system', action: 'issue', detail: `entitlement ${ent.id} (${ent.source})`, now });
    }
    return row;
  });
}

export interface ActivationView {
  id: number;
  account: string;
  accountType: 'demo' | 'real';
  server: string;
  activatedAt: Date;
  lastCheckAt: Date;
  eaVersion: string | null;
  /** Whether it uses one of the licence's activations (a demo account does not when demos are free). */
  counted: boolean;
}

export interface LicenceView {
  id: number;
  postId: number;
  title: string;
  productId: string | null;
  key: string;
  status: LicenceStatus;
  expiresAt: Date | null;
  maxActivations: number;
  demoFree: boolean;
  usedActivations: number;
  activations: ActivationView[];
  releasesLeft: number;
  /** When the oldest release of the window stops counting; null when releases are left. */
  releaseFreesAt: Date | null;
  latestVersion: EaVersion | null;
}

export function countsAgainstLimit(type: 'demo' | 'real', terms: Pick<LicenceTerms, 'demoFree'> | null): boolean {
  return type === 'real' || !terms?.demoFree;
}

async function releasesInWindow(db: DbOrTx, licenceId: number, now: Date): Promise<Date[]> {
  const since = new Date(now.getTime() - RELEASE_WINDOW_DAYS * DAY_MS);
  const rows = await db
    .selectFrom('licence_events')
    .select('created_at')
    .where('licence_id', '=', licenceId)
    .where('action', '=', 'release')
    .where('created_at', '>', since)
    .orderBy('created_at', 'asc')
    .execute();
  return rows.map((r) => r.created_at);
}

function releaseAllowance(releases: Date[], perMonth: number): { left: number; freesAt: Date | null } {
  const left = Math.max(0, perMonth - releases.length);
  // The release that makes room again is the one that leaves the window first.
  const oldest = releases[releases.length - perMonth];
  return { left, freesAt: left > 0 || !oldest ? null : new Date(oldest.getTime() + RELEASE_WINDOW_DAYS * DAY_MS) };
}

async function viewOf(db: DbOrTx, l: Licence, ent: Entitlement | undefined, now: Date, releasesPerMonth: number): Promise<LicenceView> {
  const [terms, post, activations, releases, version] = await Promise.all([
    readLicenceTerms(db, l.post_id),
    db.selectFrom('posts').select('post_title').where('ID', '=', l.post_id).executeTakeFirst(),
    db.selectFrom('licence_activations').selectAll().where('licence_id', '=', l.id).where('released_at', 'is', null).orderBy('id').execute(),
    releasesInWindow(db, l.id, now),
    latestVersion(db, l.post_id),
  ]);
  const state = licenceState(l, ent, terms, now);
  const views = activations.map((a) => ({
    id: a.id,
    account: a.account,
    accountType: a.account_type,
    server: a.server,
    activatedAt: a.activated_at,
    lastCheckAt: a.last_check_at,
    eaVersion: a.last_ea_version,
    counted: countsAgainstLimit(a.account_type, terms),
  }));
  const allowance = releaseAllowance(releases, releasesPerMonth);
  return {
    id: l.id,
    postId: l.post_id,
    title: post?.post_title ?? '',
    productId: terms?.productId ?? null,
    key: l.licence_key,
    status: state.status,
    expiresAt: state.expiresAt,
    maxActivations: terms?.maxActivations ?? 0,
    demoFree: terms?.demoFree ?? false,
    usedActivations: views.filter((a) => a.counted).length,
    activations: views,
    releasesLeft: allowance.left,
    releaseFreesAt: allowance.freesAt,
    latestVersion: version,
  };
}

/** Every licence the user holds, one per entitlement to an EA post (created now where missing), newest first. */
export async function licencesOfUser(db: Db, userId: number, now: Date, releasesPerMonth: number): Promise<LicenceView[]> {
  const ents = await db.selectFrom('entitlements').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').limit(MAX_LICENCES_PER_USER).execute();
  const ea = await eaPostIds(db, ents.map((e) => e.post_id));
  const out: LicenceView[] = [];
  for (const ent of ents.filter((e) => ea.has(Number(e.post_id)))) {
    const l = await ensureLicence(db, ent, now);
    out.push(await viewOf(db, l, ent, now, releasesPerMonth));
  }
  return out;
}

export type PostLicenceResult = { ok: true; licence: LicenceView } | { ok: false; code: 'not_unlocked' | 'no_licence' };

/** The licence to one post, for the unlock's follow-up: only while the user is entitled to it. */
export async function licenceOfPost(db: Db, userId: number, postId: number, now: Date, releasesPerMonth: number): Promise<PostLicenceResult> {
  const ent = await db.selectFrom('entitlements').selectAll().where('user_id', '=', userId).where('post_id', '=', postId).executeTakeFirst();
  if (!ent || (ent.expires_at !== null && ent.expires_at.getTime() <= now.getTime())) return { ok: false, code: 'not_unlocked' };
  if (!(await readLicenceTerms(db, postId))) return { ok: false, code: 'no_licence' };
  const l = await ensureLicence(db, ent, now);
  return { ok: true, licence: await viewOf(db, l, ent, now, releasesPerMonth) };
}

export type ReleaseResult =
  | { ok: true; licence: LicenceView }
  | { ok: false; code: 'not_found' }
  /** freesAt null: releases are switched off (LICENCE_RELEASES_PER_MONTH=0). */
  | { ok: false; code: 'release_limit_reached'; limit: number; freesAt: Date | null };

/**
 * Frees one of the user's activations so another account may take it, under the licence's row lock (the same
 * lock every activation takes), at most `perMonth` times per rolling 30 days per licence.
 */
export async function releaseActivation(
  db: Db,
  req: { userId: number; licenceId: number; activationId: number; now: Date; perMonth: number },
): Promise<ReleaseResult> {
  const { userId, licenceId, activationId, now, perMonth } = req;
  const outcome = await inTransaction(db, async (trx): Promise<Exclude<ReleaseResult, { ok: true }> | { ok: true }> => {
    const l = await trx.selectFrom('licences').select('id').where('id', '=', licenceId).where('user_id', '=', userId).forUpdate().executeTakeFirst();
    if (!l) return { ok: false, code: 'not_found' };
    const a = await trx
      .selectFrom('licence_activations')
      .selectAll()
      .where('id', '=', activationId)
      .where('licence_id', '=', licenceId)
      .where('released_at', 'is', null)
      .executeTakeFirst();
    if (!a) return { ok: false, code: 'not_found' };
    const allowance = releaseAllowance(await releasesInWindow(trx, licenceId, now), perMonth);
    if (allowance.left === 0) return { ok: false, code: 'release_limit_reached', limit: perMonth, freesAt: allowance.freesAt };
    await trx.updateTable('licence_activations').set({ released_at: now }).where('id', '=', a.id).execute();
    await recordEvent(trx, { licenceId, actor: `user:${userId}`, action: 'release', account: a.account, detail: `${a.account_type} on ${a.server}`, now });
    return { ok: true };
  });
  if (!outcome.ok) return outcome;
  const l = await db.selectFrom('licences').selectAll().where('id', '=', licenceId).executeTakeFirstOrThrow();
  const ent = await db.selectFrom('entitlements').selectAll().where('id', '=', l.entitlement_id).executeTakeFirst();
  return { ok: true, licence: await viewOf(db, l, ent, now, perMonth) };
}

export interface AdminLicenceRow {
  id: number;
  userId: number;
  displayName: string | null;
  postId: number;
  title: string;
  keyTail: string;
  status: LicenceStatus;
  expiresAt: Date | null;
  activeAccounts: number;
  createdAt: Date;
}

/** Every licence, newest first, by keyset; the key shown by its last four characters only. */
export async function listLicences(
  db: Db,
  q: { beforeId: number | null; limit: number; postId?: number; userId?: number; now: Date },
): Promise<{ licences: AdminLicenceRow[]; nextCursor: string | null }> {
  const limit = Math.min(q.limit, MAX_ADMIN_PAGE);
  let query = db
    .selectFrom('licences as l')
    .leftJoin('entitlements as e', 'e.id', 'l.entitlement_id')
    .leftJoin('users as u', 'u.ID', 'l.user_id')
    .leftJoin('posts as p', 'p.ID', 'l.post_id')
    .selectAll('l')
    .select(['u.display_name', 'p.post_title'])
    .select((eb) =>
      eb
        .selectFrom('licence_activations as a')
        .select((x) => x.fn.countAll<number>().as('n'))
        .whereRef('a.licence_id', '=', 'l.id')
        .where('a.released_at', 'is', null)
        .as('active_accounts'),
    )
    .select(['e.id as ent_id', 'e.user_id as ent_user', 'e.post_id as ent_post', 'e.price_coins as ent_price', 'e.source as ent_source'])
    .select(['e.ledger_ref as ent_ref', 'e.expires_at as ent_expires', 'e.period_started_at as ent_period', 'e.created_at as ent_created'])
    .orderBy('l.id', 'desc')
    .limit(limit + 1);
  if (q.beforeId !== null) query = query.where('l.id', '<', q.beforeId);
  if (q.postId !== undefined) query = query.where('l.post_id', '=', q.postId);
  if (q.userId !== undefined) query = query.where('l.user_id', '=', q.userId);
  const rows = await query.execute();
  const page = rows.slice(0, limit);
  const termsByPost = new Map<number, LicenceTerms | null>();
  for (const postId of new Set(page.map((r) => Number(r.post_id)))) termsByPost.set(postId, await readLicenceTerms(db, postId));
  return {
    licences: page.map((r) => {
      const ent: Entitlement | undefined =
        r.ent_id === null
          ? undefined
          : {
              id: r.ent_id,
              user_id: r.ent_user!,
              post_id: r.ent_post!,
              price_coins: r.ent_price!,
              source: r.ent_source!,
              ledger_ref: r.ent_ref,
              expires_at: r.ent_expires ?? null,
              period_started_at: r.ent_period ?? null,
              created_at: r.ent_created!,
            };
      const state = licenceState(r, ent, termsByPost.get(Number(r.post_id)) ?? null, q.now);
      return {
        id: r.id,
        userId: Number(r.user_id),
        displayName: r.display_name ?? null,
        postId: Number(r.post_id),
        title: r.post_title ?? '',
        keyTail: r.licence_key.slice(-4),
        status: state.status,
        expiresAt: state.expiresAt,
        activeAccounts: Number(r.active_accounts ?? 0),
        createdAt: r.created_at,
      };
    }),
    nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
  };
}

export interface AdminLicenceDetail {
  licence: LicenceView;
  userId: number;
  revokedReason: string | null;
  events: LicenceEvent[];
}

export async function licenceDetail(db: Db, id: number, now: Date, releasesPerMonth: number): Promise<AdminLicenceDetail | null> {
  const l = await db.selectFrom('licences').selectAll().where('id', '=', id).executeTakeFirst();
  if (!l) return null;
  const ent = await db.selectFrom('entitlements').selectAll().where('id', '=', l.entitlement_id).executeTakeFirst();
  const events = await db.selectFrom('licence_events').selectAll().where('licence_id', '=', id).orderBy('id', 'desc').limit(MAX_EVENTS).execute();
  return { licence: await viewOf(db, l, ent, now, releasesPerMonth), userId: Number(l.user_id), revokedReason: l.revoked_reason, events };
}

export type AdminChange =
  | { kind: 'revoke'; reason: string }
  | { kind: 'reinstate'; reason: string }
  | { kind: 'extend'; expiresAt: Date; reason: string };

/** Revokes, reinstates or extends a licence under its row lock, with its audit event in the same transaction. */
export async function changeLicence(db: Db, id: number, change: AdminChange, actor: string, now: Date): Promise<boolean> {
  return inTransaction(db, async (trx: Transaction<Database>) => {
    const l = await trx.selectFrom('licences').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!l) return false;
    if (change.kind === 'revoke') {
      await trx.updateTable('licences').set({ revoked_at: now, revoked_reason: change.reason.slice(0, 200) }).where('id', '=', id).execute();
    } else if (change.kind === 'reinstate') {
      await trx.updateTable('licences').set({ revoked_at: null, revoked_reason: null }).where('id', '=', id).execute();
    } else {
      await trx.updateTable('licences').set({ expires_override: change.expiresAt }).where('id', '=', id).execute();
    }
    const detail = change.kind === 'extend' ? `until ${change.expiresAt.toISOString()}: ${change.reason}` : change.reason;
    await recordEvent(trx, { licenceId: id, actor, action: change.kind, detail, now });
    return true;
  });
}

/** Rows of the licence's activations for the verify transaction (the licence row is locked already). */
export async function activationOf(trx: Transaction<Database>, licenceId: number, account: string, server: string): Promise<Activation | undefined> {
  return trx
    .selectFrom('licence_activations')
    .selectAll()
    .where('licence_id', '=', licenceId)
    .where('account', '=', account)
    .where('server', '=', server)
    .executeTakeFirst();
}

/** Active activations that use up the licence's allowance, this account's row left out. */
export async function countedActivations(trx: Transaction<Database>, licenceId: number, demoFree: boolean, exceptId: number | null): Promise<number> {
  let q = trx
    .selectFrom('licence_activations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('licence_id', '=', licenceId)
    .where('released_at', 'is', null);
  if (demoFree) q = q.where('account_type', '=', 'real');
  if (exceptId !== null) q = q.where('id', '<>', exceptId);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}

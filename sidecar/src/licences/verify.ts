// The EA's licence check: activates a new account while activations remain, and answers valid or invalid with why.
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/retry.js';
import type { AccountType } from '../db/tables/licences.js';
import { activationOf, countedActivations, countsAgainstLimit, licenceState, recordEvent } from './licences.js';
import { latestVersion, readLicenceTerms } from './terms.js';

export interface VerifyRequest {
  /** Normalized (see normalizeKey). */
  key: string;
  account: string;
  accountType: AccountType;
  server: string;
  productId: string;
  eaVersion: string;
  now: Date;
}

/**
 * ok: a known account checked again; activated: this check activated the account. Every refusal is a reason
 * the EA shows: the key is unknown (the same answer whether or not any licence is near it), the licence is for
 * another EA, it ended, it was revoked, or every activation is in use.
 */
export type VerifyReason = 'ok' | 'activated' | 'invalid_key' | 'wrong_product' | 'expired' | 'revoked' | 'activation_limit';

export interface VerifyOutcome {
  valid: boolean;
  reason: VerifyReason;
  expiresAt: Date | null;
  latestVersion: string | null;
}

const refused = (reason: VerifyReason, expiresAt: Date | null = null, version: string | null = null): VerifyOutcome => ({
  valid: false,
  reason,
  expiresAt,
  latestVersion: version,
});

/**
 * Checks a licence for one account. A new account (or a released one coming back) is activated under the
 * licence's row lock: the count of activations in use and the insert happen in one transaction, so concurrent
 * first checks from more accounts than allowed activate exactly the allowed number. A demo account uses no
 * activation when the post makes demos free.
 */
export async function verifyLicence(db: Db, req: VerifyRequest): Promise<VerifyOutcome> {
  const { now } = req;
  const licence = await db.selectFrom('licences').selectAll().where('licence_key', '=', req.key).executeTakeFirst();
  if (!licence) return refused('invalid_key');
  const terms = await readLicenceTerms(db, licence.post_id);
  if (!terms || terms.productId !== req.productId) return refused('wrong_product');
  const version = (await latestVersion(db, licence.post_id))?.version ?? null;
  return inTransaction(db, async (trx) => {
    // The lock every activation of this licence queues on; it also reads a revocation made a moment ago.
    const locked = await trx.selectFrom('licences').selectAll().where('id', '=', licence.id).forUpdate().executeTakeFirstOrThrow();
    const ent = await trx.selectFrom('entitlements').selectAll().where('id', '=', locked.entitlement_id).executeTakeFirst();
    const state = licenceState(locked, ent, terms, now);
    if (state.status !== 'active') return refused(state.status, state.expiresAt, version);
    const existing = await activationOf(trx, locked.id, req.account, req.server);
    const active = existing !== undefined && existing.released_at === null;
    const needsSlot = countsAgainstLimit(req.accountType, terms) && !(active && countsAgainstLimit(existing.account_type, terms));
    if (needsSlot && (await countedActivations(trx, locked.id, terms.demoFree, existing?.id ?? null)) >= terms.maxActivations) {
      return refused('activation_limit', state.expiresAt, version);
    }
    if (existing) {
      await trx
        .updateTable('licence_activations')
        .set((eb) => ({
          account_type: req.accountType,
          last_check_at: now,
          last_ea_version: req.eaVersion || null,
          checks: eb('checks', '+', 1),
          released_at: null,
          ...(active ? {} : { activated_at: now }),
        }))
        .where('id', '=', existing.id)
        .execute();
    } else {
      await trx
        .insertInto('licence_activations')
        .values({
          licence_id: locked.id,
          account: req.account,
          account_type: req.accountType,
          server: req.server,
          activated_at: now,
          last_check_at: now,
          last_ea_version: req.eaVersion || null,
        })
        .execute();
    }
    if (!active) {
      await recordEvent(trx, { licenceId: locked.id, actor: 'ea', action: 'activate', account: req.account, detail: `${req.accountType} on ${req.server}`, now });
    }
    return { valid: true, reason: active ? 'ok' : 'activated', expiresAt: state.expiresAt, latestVersion: version };
  });
}

// /api/licenses: the EA's signed licence check (no JWT), the visitor's licences and releases, the admin's licences.
import { createHash } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { countAttempt } from '../db/rate-counters.js';
import { findEntitlement } from '../spending/unlock.js';
import {
  changeLicence,
  licenceDetail,
  licenceOfPost,
  licencesOfUser,
  listLicences,
  normalizeKey,
  releaseActivation,
  type AdminLicenceDetail,
  type LicenceView,
} from '../licences/licences.js';
import { protocolTime, signAnswer, type SignedFields } from '../licences/signature.js';
import { MAX_LICENCE_DAYS, versionHistory, type EaVersion } from '../licences/terms.js';
import { publishVersion } from '../licences/versions.js';
import { verifyLicence } from '../licences/verify.js';
import { requireCap } from './auth.js';
import type { AppDeps, AppEnv } from './context.js';
import { ApiError, badRequest, notFound } from './errors.js';
import { remoteAddress } from './ipn.js';
import { rateLimited, windowLimit } from './rate-limit.js';
import { adminLicencesQuery, extendBody, revokeBody, verifyBody, versionBody } from './schemas/licences.js';
import { parseId, parseJson, parseQuery } from './validate.js';

const DAY_MS = 86_400_000;

/** A counter row is keyed by a number: 48 bits of the text's SHA-256 (a key's counter says nothing of the key). */
function counterId(text: string): number {
  return createHash('sha256').update(text).digest().readUIntBE(0, 6);
}

export function licenceJson(l: LicenceView) {
  return {
    id: l.id,
    post_id: l.postId,
    title: l.title,
    product_id: l.productId,
    key: l.key,
    status: l.status,
    expires_at: l.expiresAt?.toISOString() ?? null,
    max_activations: l.maxActivations,
    demo_free: l.demoFree,
    used_activations: l.usedActivations,
    activations: l.activations.map((a) => ({
      id: a.id,
      account: a.account,
      account_type: a.accountType,
      server: a.server,
      activated_at: a.activatedAt.toISOString(),
      last_check_at: a.lastCheckAt.toISOString(),
      ea_version: a.eaVersion,
      counted: a.counted,
    })),
    releases_left: l.releasesLeft,
    release_frees_at: l.releaseFreesAt?.toISOString() ?? null,
    latest_version: l.latestVersion ? versionJson(l.latestVersion) : null,
  };
}

const versionJson = (v: EaVersion) => ({ version: v.version, notes: v.notes, created_at: v.createdAt.toISOString() });

function detailJson(d: AdminLicenceDetail) {
  return {
    licence: licenceJson(d.licence),
    user_id: d.userId,
    revoked_reason: d.revokedReason,
    events: d.events.map((e) => ({ id: e.id, actor: e.actor, action: e.action, account: e.account, detail: e.detail, created_at: e.created_at.toISOString() })),
  };
}

/**
 * POST /api/licenses/verify, mounted in front of the JWT check. Counted per calling address before the body is
 * read and per key (known or not) after: a wrong key is limited exactly as a right one. The answer is signed with
 * the key the caller sent, so an unknown key gets the same shape, status and kind of signature as a known one
 * refused for any other reason; the caller learns nothing it did not send.
 */
export function licenceVerifyRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const byAddress = windowLimit(deps, 'licenceAddress');
  const byKey = windowLimit(deps, 'licenceKey');
  app.post('/api/licenses/verify', async (c) => {
    if (byAddress) {
      const counted = await countAttempt(deps.db, byAddress, counterId(`addr:${remoteAddress(c, deps.config.trustProxy) ?? 'unknown'}`));
      if (!counted.ok) throw rateLimited(byAddress, counted.retryAfterS);
    }
    const b = await parseJson(c, verifyBody);
    const key = normalizeKey(b.key);
    if (byKey) {
      const counted = await countAttempt(deps.db, byKey, counterId(`key:${key}`));
      if (!counted.ok) throw rateLimited(byKey, counted.retryAfterS);
    }
    const now = deps.clock.now();
    // A key of the wrong form is an unknown key: no lookup, the same answer.
    const outcome = /^[A-Z2-7]{32}$/.test(key)
      ? await verifyLicence(deps.db, { key, account: b.account, accountType: b.account_type, server: b.server, productId: b.product_id, eaVersion: b.ea_version, now })
      : { valid: false, reason: 'invalid_key' as const, expiresAt: null, latestVersion: null };
    const fields: SignedFields = {
      nonce: b.nonce,
      product_id: b.product_id,
      account: b.account,
      status: outcome.valid ? 'valid' : 'invalid',
      reason: outcome.reason,
      expires_at: outcome.expiresAt ? protocolTime(outcome.expiresAt) : '',
      latest_version: outcome.latestVersion ?? '',
      server_time: protocolTime(now),
    };
    return c.json({ ...fields, signature: signAnswer(key, fields) });
  });
  return app;
}

export function licenceRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const { db } = deps;
  const perMonth = deps.config.spending.licenceReleasesPerMonth;

  app.get('/licenses', async (c) => {
    const licences = await licencesOfUser(db, c.get('user').id, deps.clock.now(), perMonth);
    return c.json({ licences: licences.map(licenceJson), releases_per_month: perMonth });
  });

  app.get('/posts/:postId/license', async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const result = await licenceOfPost(db, c.get('user').id, postId, deps.clock.now(), perMonth);
    if (!result.ok) {
      if (result.code === 'not_unlocked') throw new ApiError(403, 'not_unlocked', 'unlock this post to get its licence');
      throw notFound('no_licence', 'this post sells no licence');
    }
    return c.json({ licence: licenceJson(result.licence) });
  });

  app.get('/posts/:postId/versions', async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const user = c.get('user');
    const now = deps.clock.now();
    if (!(await mayEdit(db, user, postId)) && !(await findEntitlement(db, user.id, postId, now))) {
      throw new ApiError(403, 'not_unlocked', 'unlock this post to see its versions');
    }
    return c.json({ versions: (await versionHistory(db, postId)).map(versionJson) });
  });

  app.post('/posts/:postId/versions', async (c) => {
    const postId = parseId(c.req.param('postId'), 'postId');
    const user = c.get('user');
    const b = await parseJson(c, versionBody);
    if (!(await mayEdit(db, user, postId))) throw new ApiError(403, 'forbidden', "only the post's author or an administrator may publish a version");
    const result = await publishVersion(db, { postId, version: b.version, notes: b.notes, fileId: b.file_id, actorId: user.id, now: deps.clock.now() });
    if (!result.ok) {
      if (result.code === 'version_exists') throw new ApiError(409, 'version_exists', `version ${b.version} was recorded before`);
      throw notFound('no_licence', 'this post sells no licence');
    }
    return c.json({ versions: result.versions.map(versionJson), notified: result.notified }, 201);
  });

  app.post('/licenses/:id/activations/:activationId/release', async (c) => {
    const licenceId = parseId(c.req.param('id'), 'id');
    const activationId = parseId(c.req.param('activationId'), 'activationId');
    const now = deps.clock.now();
    const result = await releaseActivation(db, { userId: c.get('user').id, licenceId, activationId, now, perMonth });
    if (!result.ok) {
      if (result.code === 'not_found') throw notFound('not_found', 'no such active activation on your licences');
      if (!result.freesAt) throw new ApiError(429, 'release_limit_reached', 'releasing activations is switched off on this site', { limit: 0, frees_at: null });
      const frees = result.freesAt.toISOString();
      const retryAfterS = Math.max(1, Math.ceil((result.freesAt.getTime() - now.getTime()) / 1000));
      throw new ApiError(
        429,
        'release_limit_reached',
        `you have released ${result.limit} activations of this licence in the last 30 days; the next release frees up at ${frees}`,
        { limit: result.limit, frees_at: frees },
        { 'Retry-After': String(retryAfterS) },
      );
    }
    return c.json({ licence: licenceJson(result.licence) });
  });
  return app;
}

/** The post's author holding edit_posts, or an administrator (the plugin checked edit_post before asking). */
async function mayEdit(db: AppDeps['db'], user: { id: number; caps: string[] }, postId: number): Promise<boolean> {
  if (user.caps.includes('manage_options')) return true;
  if (!user.caps.includes('edit_posts')) return false;
  const post = await db.selectFrom('posts').select('post_author').where('ID', '=', postId).executeTakeFirst();
  return post !== undefined && Number(post.post_author) === user.id;
}

/** Mounted at /api/admin/licenses (manage_options). */
export function adminLicenceRoutes(deps: AppDeps) {
  const app = new Hono<AppEnv>();
  const { db } = deps;
  const perMonth = deps.config.spending.licenceReleasesPerMonth;
  app.use('*', requireCap('manage_options'));

  app.get('/', async (c) => {
    const q = parseQuery(c, adminLicencesQuery);
    const page = await listLicences(db, {
      beforeId: q.cursor ? Number(q.cursor) : null,
      limit: q.limit,
      ...(q.post_id ? { postId: Number(q.post_id) } : {}),
      ...(q.user_id ? { userId: Number(q.user_id) } : {}),
      now: deps.clock.now(),
    });
    return c.json({
      licences: page.licences.map((l) => ({
        id: l.id,
        user_id: l.userId,
        display_name: l.displayName,
        post_id: l.postId,
        title: l.title,
        key_tail: l.keyTail,
        status: l.status,
        expires_at: l.expiresAt?.toISOString() ?? null,
        active_accounts: l.activeAccounts,
        created_at: l.createdAt.toISOString(),
      })),
      next_cursor: page.nextCursor,
    });
  });

  const detail = async (c: Context<AppEnv>, id: number) => {
    const d = await licenceDetail(db, id, deps.clock.now(), perMonth);
    if (!d) throw notFound('not_found', 'no such licence');
    return c.json(detailJson(d));
  };

  app.get('/:id', async (c) => detail(c, parseId(c.req.param('id'), 'id')));

  app.post('/:id/revoke', async (c) => {
    const id = parseId(c.req.param('id'), 'id');
    const b = await parseJson(c, revokeBody);
    if (!(await changeLicence(db, id, { kind: 'revoke', reason: b.reason }, `admin:${c.get('user').id}`, deps.clock.now()))) throw notFound('not_found', 'no such licence');
    return detail(c, id);
  });

  app.post('/:id/reinstate', async (c) => {
    const id = parseId(c.req.param('id'), 'id');
    const b = await parseJson(c, revokeBody);
    if (!(await changeLicence(db, id, { kind: 'reinstate', reason: b.reason }, `admin:${c.get('user').id}`, deps.clock.now()))) throw notFound('not_found', 'no such licence');
    return detail(c, id);
  });

  app.post('/:id/extend', async (c) => {
    const id = parseId(c.req.param('id'), 'id');
    const b = await parseJson(c, extendBody);
    const now = deps.clock.now();
    const expiresAt = new Date(b.expires_at);
    if (expiresAt.getTime() <= now.getTime() || expiresAt.getTime() > now.getTime() + MAX_LICENCE_DAYS * DAY_MS) {
      throw badRequest('invalid_expiry', `the new end must be in the future and within ${MAX_LICENCE_DAYS} days`);
    }
    if (!(await changeLicence(db, id, { kind: 'extend', expiresAt, reason: b.reason }, `admin:${c.get('user').id}`, now))) throw notFound('not_found', 'no such licence');
    return detail(c, id);
  });
  return app;
}

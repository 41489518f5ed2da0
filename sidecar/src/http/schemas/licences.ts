// /api/licenses: the EA's licence check (no JWT), the visitor's licences and releases, the admin's licences.
import { z } from 'zod';
import { MAX_ADMIN_PAGE } from '../../licences/licences.js';
import { MAX_LICENCE_DAYS, PRODUCT_ID_PATTERN, VERSION_PATTERN } from '../../licences/terms.js';
import { cursorText, dateTime, fails, idParams, idText, nextCursor, ok, type RouteSpec } from './common.js';

export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;

export const verifyBody = z.strictObject({
  key: z.string().min(1).max(64).describe('the licence key as the buyer typed it: spaces and dashes are dropped, case ignored'),
  account: z.string().regex(/^[0-9]{1,20}$/).describe('the trading account number (AccountInfoInteger(ACCOUNT_LOGIN))'),
  account_type: z.enum(['demo', 'real']),
  server: z.string().min(1).max(128).regex(/^[^\x00-\x1f\x7f]+$/).describe("the broker's trade server (AccountInfoString(ACCOUNT_SERVER))"),
  product_id: z.string().regex(PRODUCT_ID_PATTERN),
  ea_version: z.union([z.string().regex(VERSION_PATTERN), z.literal('')]).default(''),
  nonce: z.string().regex(NONCE_PATTERN).describe('16..64 random characters from the EA, echoed and signed'),
});

/** Every field is text, empty for none, so the MQL include reads it with one small parser. */
export const verifyAnswer = z.object({
  status: z.enum(['valid', 'invalid']),
  reason: z.enum(['ok', 'activated', 'invalid_key', 'wrong_product', 'expired', 'revoked', 'activation_limit']),
  product_id: z.string(),
  account: z.string(),
  expires_at: z.string().describe('YYYY-MM-DDTHH:MM:SSZ, or empty for a licence that does not end (and on invalid_key, wrong_product)'),
  latest_version: z.string().describe('the newest EA version uploaded, or empty'),
  server_time: z.string().describe('YYYY-MM-DDTHH:MM:SSZ'),
  nonce: z.string(),
  signature: z.string().regex(/^[0-9a-f]{64}$/).describe('hex HMAC-SHA256 keyed with the licence key over docs/licences.md\'s canonical text'),
});

const activation = z.object({
  id: z.number().int(),
  account: z.string(),
  account_type: z.enum(['demo', 'real']),
  server: z.string(),
  activated_at: dateTime,
  last_check_at: dateTime,
  ea_version: z.string().nullable(),
  counted: z.boolean().describe('whether it uses one of the activations (a demo account does not when demos are free)'),
});
const version = z.object({ version: z.string(), notes: z.string(), created_at: dateTime });
export const licence = z.object({
  id: z.number().int(),
  post_id: z.number().int(),
  title: z.string(),
  product_id: z.string().nullable(),
  key: z.string(),
  status: z.enum(['active', 'expired', 'revoked']),
  expires_at: dateTime.nullable().describe('null = does not end'),
  max_activations: z.number().int(),
  demo_free: z.boolean(),
  used_activations: z.number().int(),
  activations: z.array(activation),
  releases_left: z.number().int().describe('releases allowed in the rolling 30 days'),
  release_frees_at: dateTime.nullable().describe('when the next release is allowed again, when none is left'),
  latest_version: version.nullable(),
});
export const versionList = z.object({ versions: z.array(version) });
export const versionBody = z.strictObject({
  version: z.string().regex(VERSION_PATTERN),
  notes: z.string().max(2000).default(''),
  file_id: z.number().int().positive().describe("the new file's attachment ID (the plugin points _goldcoin_file at it)"),
});
export const published = versionList.extend({ notified: z.number().int().describe('readers notified in site') });
export const licenceList = z.object({ licences: z.array(licence), releases_per_month: z.number().int() });
export const licenceOne = z.object({ licence });

export const adminLicencesQuery = z.object({
  cursor: cursorText.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_ADMIN_PAGE).default(20),
  post_id: idText.optional(),
  user_id: idText.optional(),
});
export const adminLicencePage = z.object({
  licences: z.array(
    z.object({
      id: z.number().int(),
      user_id: z.number().int(),
      display_name: z.string().nullable(),
      post_id: z.number().int(),
      title: z.string(),
      key_tail: z.string().describe('the last 4 characters of the key'),
      status: z.enum(['active', 'expired', 'revoked']),
      expires_at: dateTime.nullable(),
      active_accounts: z.number().int(),
      created_at: dateTime,
    }),
  ),
  next_cursor: nextCursor,
});
export const adminLicenceDetail = z.object({
  licence,
  user_id: z.number().int(),
  revoked_reason: z.string().nullable(),
  events: z.array(
    z.object({ id: z.number().int(), actor: z.string(), action: z.string(), account: z.string().nullable(), detail: z.string().nullable(), created_at: dateTime }),
  ),
});
const reason = z.string().trim().min(1).max(200);
export const revokeBody = z.strictObject({ reason });
export const extendBody = z.strictObject({
  expires_at: dateTime.describe(`the new end, at most ${MAX_LICENCE_DAYS} days ahead`),
  reason,
});

const licenceId = idParams('id');
const releaseParams = z.object({ id: idText, activationId: idText });
const unknownLicence = fails('No such licence', 'not_found');

export const licenceRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/api/licenses/verify',
    summary:
      "The EA's licence check (no JWT): activates a new account while activations remain; always 200 with a signed valid/invalid answer, the same for an unknown key as for any other wrong one",
    auth: 'none',
    rateLimit: true,
    body: verifyBody,
    responses: { 200: ok('The signed answer', verifyAnswer) },
  },
  {
    method: 'get',
    path: '/api/licenses',
    summary: "The user's EA licences (created on first ask), with keys, activations and the releases left",
    auth: 'user',
    responses: { 200: ok('The licences', licenceList) },
  },
  {
    method: 'get',
    path: '/api/posts/:postId/license',
    summary: "The user's licence to this EA post, created on first ask (after an unlock)",
    auth: 'user',
    params: idParams('postId'),
    responses: {
      200: ok('The licence', licenceOne),
      400: fails('Bad post id', 'invalid_id'),
      403: fails('The user has not unlocked this post (or the access ended)', 'not_unlocked'),
      404: fails('The post sells no licence (no EA product id)', 'no_licence'),
    },
  },
  {
    method: 'post',
    path: '/api/licenses/:id/activations/:activationId/release',
    summary: 'Free one activation so another account can take it; limited per licence per 30 days',
    auth: 'user',
    params: releaseParams,
    responses: {
      200: ok('The licence after the release', licenceOne),
      400: fails('Bad id', 'invalid_id'),
      404: fails('No such licence of this user, or no such active activation', 'not_found'),
      429: fails('Releases used up, with details {limit, frees_at} (frees_at null: releases are switched off); see Retry-After', 'release_limit_reached'),
    },
  },
  {
    method: 'get',
    path: '/api/posts/:postId/versions',
    summary: "The EA file's versions, newest first, for a reader entitled to the post or an editor",
    auth: 'user',
    params: idParams('postId'),
    responses: {
      200: ok('The versions', versionList),
      400: fails('Bad post id', 'invalid_id'),
      403: fails('The user has not unlocked this post (or the access ended)', 'not_unlocked'),
    },
  },
  {
    method: 'post',
    path: '/api/posts/:postId/versions',
    summary: "Record a new version of the post's EA file and notify every reader entitled to it (the post's author with edit_posts, or manage_options)",
    auth: 'user',
    params: idParams('postId'),
    body: versionBody,
    responses: {
      201: ok('The versions after it, and how many readers were notified', published),
      400: fails('Bad post id', 'invalid_id'),
      403: fails("Not the post's author with edit_posts, nor an administrator", 'forbidden'),
      404: fails('The post sells no licence (no EA product id)', 'no_licence'),
      409: fails('This version number was recorded before', 'version_exists'),
    },
  },
  {
    method: 'get',
    path: '/api/admin/licenses',
    summary: 'Every licence, newest first (manage_options)',
    auth: 'admin',
    query: adminLicencesQuery,
    responses: { 200: ok('A page of licences', adminLicencePage) },
  },
  {
    method: 'get',
    path: '/api/admin/licenses/:id',
    summary: 'One licence with its activations and audit trail (manage_options)',
    auth: 'admin',
    params: licenceId,
    responses: { 200: ok('The licence', adminLicenceDetail), 400: fails('Bad id', 'invalid_id'), 404: unknownLicence },
  },
  {
    method: 'post',
    path: '/api/admin/licenses/:id/revoke',
    summary: 'Revoke a licence: every check answers revoked; audited (manage_options)',
    auth: 'admin',
    params: licenceId,
    body: revokeBody,
    responses: { 200: ok('The licence', adminLicenceDetail), 400: fails('Bad id', 'invalid_id'), 404: unknownLicence },
  },
  {
    method: 'post',
    path: '/api/admin/licenses/:id/reinstate',
    summary: 'Undo a revocation; audited (manage_options)',
    auth: 'admin',
    params: licenceId,
    body: revokeBody,
    responses: { 200: ok('The licence', adminLicenceDetail), 400: fails('Bad id', 'invalid_id'), 404: unknownLicence },
  },
  {
    method: 'post',
    path: '/api/admin/licenses/:id/extend',
    summary: "Set a licence's end, replacing what the post's settings give; audited (manage_options)",
    auth: 'admin',
    params: licenceId,
    body: extendBody,
    responses: {
      200: ok('The licence', adminLicenceDetail),
      400: fails('Bad id, or an end in the past or too far ahead', 'invalid_id', 'invalid_expiry'),
      404: unknownLicence,
    },
  },
];

// Typed client for the sidecar API: bearer token, one refresh through the shim on 401, errors as values.
import type { z } from 'zod';
import type * as admin from '../../sidecar/src/http/schemas/admin.js';
import type * as catalog from '../../sidecar/src/http/schemas/catalog.js';
import type * as common from '../../sidecar/src/http/schemas/common.js';
import type * as licences from '../../sidecar/src/http/schemas/licences.js';
import type * as notifications from '../../sidecar/src/http/schemas/notifications.js';
import type * as packages from '../../sidecar/src/http/schemas/packages.js';
import type * as posts from '../../sidecar/src/http/schemas/posts.js';
import type * as recharges from '../../sidecar/src/http/schemas/recharges.js';
import type * as referrals from '../../sidecar/src/http/schemas/referrals.js';
import type * as rewards from '../../sidecar/src/http/schemas/rewards.js';
import type * as vip from '../../sidecar/src/http/schemas/vip.js';
import type * as wallet from '../../sidecar/src/http/schemas/wallet.js';

/** The sidecar's error code (or network_error) with the HTTP status; views show a localized text per code. */
export interface ApiError {
  status: number;
  code: string;
  retryAfterS?: number;
  /** The error's details, when a view acts on them (the new price of a 409 price_changed, an invalid_request's fields). */
  details?: Record<string, unknown>;
}
export interface FieldIssue {
  path: string;
  message: string;
  code?: string;
  limit?: number;
  rule?: string;
}
/**
 * invalid_request: each refused field (path, zod issue code, bound or rule), for a message beside its input. Read from
 * the details only by the admin forms, so the visitor script carries none of it.
 */
export const fieldIssues = (e: ApiError): FieldIssue[] => (Array.isArray(e.details?.['fields']) ? (e.details['fields'] as FieldIssue[]) : []);
export type Result<T> = { ok: true; data: T } | { ok: false; error: ApiError };

// The API's shapes come from the sidecar's schemas as types only: `import type` adds nothing to the bundle.
export type Wallet = z.output<typeof wallet.wallet>;
/** A ledger entry as the wallet, the history and the admin ledger search show it (the admin one adds the user). */
export type LedgerEntry = z.output<typeof common.ledgerEntry> & { user_id?: number; user_login?: string | null };
export type Packages = z.output<typeof packages.packages>;
export type Recharge = z.output<typeof recharges.recharge>;
export type Post = z.output<typeof posts.post>;
export type Reward = z.output<typeof rewards.rewardList>['rewards'][number];
export type Redemption = z.output<typeof rewards.redeemed>;
export type Notification = z.output<typeof notifications.notification>;
export type AdminPayment = z.output<typeof admin.adminPayment>;
/** GET /api/admin/payments/:id and the answer of its resolve. */
export type AdminPaymentDetail = z.output<typeof admin.paymentDetail>;
export type Stats = z.output<typeof admin.stats>;
export type CatalogAnswer = z.output<typeof catalog.catalogAnswer>;
export type CatalogDoc = CatalogAnswer['catalog'];
export type CatalogAudit = z.output<typeof catalog.catalogAuditPage>;
export type VipState = z.output<typeof vip.vipState>;
export type Bought = z.output<typeof vip.bought>;
export type Member = z.output<typeof vip.memberPage>['members'][number];
/** A membership period the user bought (GET /api/vip/purchases). */
export type VipPurchase = z.output<typeof vip.purchasePage>['purchases'][number];
export type AdminTier = z.output<typeof vip.adminTier>;
export type Unlocked = z.output<typeof posts.unlocked>;
export type ReferralSummary = z.output<typeof referrals.referralSummary>;
export type Referee = z.output<typeof referrals.refereePage>['referees'][number];
export type AdminReferral = z.output<typeof referrals.adminReferralPage>['referrals'][number];
/** A post the user bought, redeemed or reads through VIP (GET /api/posts). */
export type OwnedPost = z.output<typeof posts.ownedPosts>['posts'][number];
export type LicenceList = z.output<typeof licences.licenceList>;
export type Licence = LicenceList['licences'][number];
export type LicenceOne = z.output<typeof licences.licenceOne>;
export type AdminLicence = z.output<typeof licences.adminLicencePage>['licences'][number];
export type AdminLicenceDetail = z.output<typeof licences.adminLicenceDetail>;

export interface ClientOptions {
  api: string;
  token: string;
  refreshUrl?: string | undefined;
  refreshNonce?: string | undefined;
  /**
   * GETs already sent with this api and token, by path (paths the API serves to GET only): the first request of one of
   * those paths takes its response in place of sending it again (a failure or a 401 then goes the way it would have),
   * later ones send as usual.
   */
  early?: Record<string, Promise<Response>> | undefined;
}

/** Random key for Idempotency-Key; getRandomValues works on plain-http sites where randomUUID does not. */
export function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export type Client = ReturnType<typeof createClient>;

export function createClient(o: ClientOptions) {
  const base = o.api.replace(/\/+$/, '');
  let token = o.token;
  let refreshing: Promise<boolean> | null = null;

  /** Asks the WordPress shim for a fresh token; concurrent 401s share one refresh. */
  function refresh(): Promise<boolean> {
    if (!o.refreshUrl) return Promise.resolve(false);
    refreshing ??= fetch(o.refreshUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: o.refreshNonce ? { 'X-WP-Nonce': o.refreshNonce } : {},
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((j: { token?: unknown } | null) => {
        if (typeof j?.token !== 'string') return false;
        token = j.token;
        return true;
      })
      .catch(() => false)
      .finally(() => (refreshing = null));
    return refreshing;
  }

  async function send(method: string, path: string, body?: unknown, key?: string, signal?: AbortSignal): Promise<Response> {
    const go = () => {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (key) headers['Idempotency-Key'] = key;
      return fetch(base + path, { method, headers, body: body === undefined ? null : JSON.stringify(body), signal: signal ?? null });
    };
    const sent = token;
    const early = o.early?.[path];
    if (early) delete o.early![path];
    const res = await (early || go());
    // A request that went out with an older token retries with the newer one instead of refreshing again.
    return res.status === 401 && (token !== sent || (await refresh())) ? go() : res;
  }

  async function call<T>(method: string, path: string, body?: unknown, key?: string): Promise<Result<T>> {
    let res: Response;
    try {
      res = await send(method, path, body, key);
    } catch {
      return { ok: false, error: { status: 0, code: 'network_error' } };
    }
    const json = await res.json().catch(() => null);
    if (res.ok) return { ok: true, data: json as T };
    const retry = Number(res.headers.get('Retry-After'));
    return {
      ok: false,
      error: {
        status: res.status,
        code: json?.error?.code ?? `http_${res.status}`,
        details: json?.error?.details,
        ...(retry > 0 ? { retryAfterS: retry } : {}),
      },
    };
  }

  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown, key?: string) => call<T>('POST', path, body, key),
    /** The raw response, for a caller that reads the body as a stream (the payment's event stream). */
    send,
  };
}

// Bearer JWT from the WordPress shim: HS256 only, pinned issuer and audience, 30 s of clock skew.
import { errors, jwtVerify } from 'jose';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';
import type { Clock } from '../clock.js';
import type { AppEnv, AuthUser, Capability } from './context.js';

export const JWT_AUDIENCE = 'goldcoin';
export const CLOCK_SKEW_S = 30;
export const MAX_TOKEN_LIFETIME_S = 15 * 60;
const KNOWN_CAPS = new Set<Capability>(['read', 'edit_posts', 'manage_options']);
const MAX_TOKEN_BYTES = 4096;

const unauthorized = (message: string) =>
  new ApiError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer realm="goldcoin"' });

export interface AuthOptions {
  secret: string;
  issuer: string;
  clock: Clock;
}

export async function verifyToken(token: string, opts: AuthOptions): Promise<AuthUser> {
  return (await verifyTokenWithExpiry(token, opts)).user;
}

async function verifyTokenWithExpiry(token: string, opts: AuthOptions): Promise<{ user: AuthUser; expS: number }> {
  const key = new TextEncoder().encode(opts.secret);
  const now = opts.clock.now();
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: opts.issuer,
      audience: JWT_AUDIENCE,
      clockTolerance: CLOCK_SKEW_S,
      currentDate: now,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw unauthorized('token expired');
    throw unauthorized('invalid token');
  }
  const nowS = Math.floor(now.getTime() / 1000);
  const { sub, iat, exp } = payload as { sub: string; iat: number; exp: number };
  if (iat > nowS + CLOCK_SKEW_S) throw unauthorized('token issued in the future');
  if (exp - iat > MAX_TOKEN_LIFETIME_S) throw unauthorized('token lifetime too long');
  if (typeof sub !== 'string' || !/^[1-9][0-9]{0,15}$/.test(sub) || !Number.isSafeInteger(Number(sub))) {
    throw unauthorized('invalid subject');
  }
  const capsRaw = payload['caps'];
  if (!Array.isArray(capsRaw) || !capsRaw.every((c) => typeof c === 'string')) throw unauthorized('invalid caps');
  const caps = capsRaw.filter((c): c is Capability => KNOWN_CAPS.has(c as Capability));
  const post = payload['post'];
  const postId = typeof post === 'number' || (typeof post === 'string' && /^[1-9][0-9]{0,15}$/.test(post)) ? Number(post) : null;
  const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');
  const user: AuthUser = {
    id: Number(sub),
    email: str(payload['email'], 254),
    name: str(payload['name'], 250),
    locale: str(payload['locale'], 20) || 'en_US',
    caps,
    postId: postId !== null && Number.isSafeInteger(postId) && postId > 0 ? postId : null,
    tokenExpS: exp,
  };
  return { user, expS: exp };
}

/** How many verified tokens one process remembers; the widget reuses one token for its whole lifetime. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * Remembers tokens that verified, keyed by the exact token string, until their `exp` (plus the allowed
 * skew), so a widget's repeated requests skip the HMAC. Only a byte-identical token hits, and it is
 * re-checked against the clock on every hit; a full cache is simply cleared.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { user: AuthUser; expS: number }>();

  constructor(private readonly maxEntries = VERIFIED_TOKEN_CACHE_SIZE) {}

  get(token: string, nowS: number): AuthUser | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (nowS > hit.expS + CLOCK_SKEW_S) {
      this.entries.delete(token);
      return undefined;
    }
    return hit.user;
  }

  set(token: string, user: AuthUser, expS: number): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(token, { user, expS });
  }
}

export function requireAuth(opts: AuthOptions, cache = new VerifiedTokenCache()): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer ([A-Za-z0-9_\-.]+)$/.exec(header);
    if (!match) throw unauthorized('missing bearer token');
    const token = match[1]!;
    if (token.length > MAX_TOKEN_BYTES) throw unauthorized('token too large');
    const nowS = Math.floor(opts.clock.now().getTime() / 1000);
    let user = cache.get(token, nowS);
    if (!user) {
      const verified = await verifyTokenWithExpiry(token, opts);
      user = verified.user;
      cache.set(token, user, verified.expS);
    }
    c.set('user', user);
    await next();
  };
}


export function requireCap(cap: Capability): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.get('user').caps.includes(cap)) throw new ApiError(403, 'forbidden', `requires the ${cap} capability`);
    await next();
  };
}

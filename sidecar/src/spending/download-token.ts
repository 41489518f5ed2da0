// Short-lived download tokens: an HS256 JWT bound to one user, post and file, for the WordPress download route.
import { errors, jwtVerify, SignJWT } from 'jose';

export const DOWNLOAD_AUDIENCE = 'goldcoin-download';
/** The verifier refuses any token that claims to live longer than this, whatever the config says. */
export const MAX_DOWNLOAD_TOKEN_TTL_S = 15 * 60;
const CLOCK_SKEW_S = 30;
const MAX_TOKEN_CHARS = 2048;

export interface DownloadGrant {
  userId: number;
  postId: number;
  fileId: number;
  jti: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface SignOptions {
  secret: string;
  /** The sidecar's PUBLIC_URL. */
  issuer: string;
  ttlS: number;
  now: Date;
}

export async function signDownloadToken(
  g: { userId: number; postId: number; fileId: number },
  opts: SignOptions,
): Promise<{ token: string; grant: DownloadGrant }> {
  if (opts.ttlS <= 0 || opts.ttlS > MAX_DOWNLOAD_TOKEN_TTL_S) throw new RangeError(`bad download token ttl ${opts.ttlS}`);
  const iat = Math.floor(opts.now.getTime() / 1000);
  const exp = iat + opts.ttlS;
  const jti = crypto.randomUUID();
  const token = await new SignJWT({ post: g.postId, file: g.fileId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(opts.issuer)
    .setAudience(DOWNLOAD_AUDIENCE)
    .setSubject(String(g.userId))
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(jti)
    .sign(new TextEncoder().encode(opts.secret));
  return { token, grant: { ...g, jti, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) } };
}

export interface VerifyOptions {
  secret: string;
  issuer: string;
  now: Date;
  /** When given, a token for another user (or post) is refused: the downloader must be its subject. */
  userId?: number;
  postId?: number;
}

export type VerifyResult =
  | { ok: true; grant: DownloadGrant }
  | { ok: false; code: 'invalid_token' | 'expired' | 'wrong_user' | 'wrong_post' };

const positiveInt = (v: unknown): number | null =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : null;

/** The same checks the WordPress plugin makes in PHP (docs/download-token.md). */
export async function verifyDownloadToken(token: string, opts: VerifyOptions): Promise<VerifyResult> {
  if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return { ok: false, code: 'invalid_token' };
  let payload;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(opts.secret), {
      algorithms: ['HS256'],
      issuer: opts.issuer,
      audience: DOWNLOAD_AUDIENCE,
      clockTolerance: CLOCK_SKEW_S,
      currentDate: opts.now,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, code: 'expired' };
    return { ok: false, code: 'invalid_token' };
  }
  const { sub, iat, exp, jti } = payload as { sub: string; iat: number; exp: number; jti: string };
  const postId = positiveInt(payload['post']);
  const fileId = positiveInt(payload['file']);
  const nowS = Math.floor(opts.now.getTime() / 1000);
  if (!/^[1-9][0-9]{0,15}$/.test(sub) || postId === null || fileId === null) return { ok: false, code: 'invalid_token' };
  if (iat > nowS + CLOCK_SKEW_S || exp - iat > MAX_DOWNLOAD_TOKEN_TTL_S) return { ok: false, code: 'invalid_token' };
  const userId = Number(sub);
  if (opts.userId !== undefined && opts.userId !== userId) return { ok: false, code: 'wrong_user' };
  if (opts.postId !== undefined && opts.postId !== postId) return { ok: false, code: 'wrong_post' };
  return {
    ok: true,
    grant: { userId, postId, fileId, jti, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) },
  };
}

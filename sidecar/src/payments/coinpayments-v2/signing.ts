// CoinPayments' new-platform signature, for our API requests and for its webhooks (COINPAYMENTS.md §6).
import { createHmac, timingSafeEqual } from 'node:crypto';

const BOM = '\uFEFF';
/** HMAC-SHA256 is 32 bytes; Base64 of that is 44 characters with one `=`. */
const SIGNATURE_BYTES = 32;
const BASE64_SIGNATURE = /^[A-Za-z0-9+/]{43}=$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

export interface SignedParts {
  method: string;
  /** The full URL, query included, exactly as sent (or, for a webhook, exactly as registered). */
  url: string;
  clientId: string;
  /** `YYYY-MM-DDTHH:mm:ss`, UTC, no milliseconds, no zone. */
  timestamp: string;
  /** The exact body bytes; empty for a GET. */
  body: string | Buffer;
}

/** Base64(HMAC-SHA256(secret, BOM + METHOD + URL + client id + timestamp + body)). */
export function signV2(secret: string, parts: SignedParts): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${BOM}${parts.method.toUpperCase()}${parts.url}${parts.clientId}${parts.timestamp}`, 'utf8');
  // The body goes in as the bytes received: re-encoding a parsed body would change what was signed.
  mac.update(typeof parts.body === 'string' ? Buffer.from(parts.body, 'utf8') : parts.body);
  return mac.digest('base64');
}

/** Constant-time check of a signature header; a malformed header is a mismatch, never an exception. */
export function verifyV2(secret: string, parts: SignedParts, header: string | null | undefined): boolean {
  if (typeof header !== 'string' || !BASE64_SIGNATURE.test(header.trim())) return false;
  const given = Buffer.from(header.trim(), 'base64');
  const expected = Buffer.from(signV2(secret, parts), 'base64');
  if (given.length !== SIGNATURE_BYTES || expected.length !== SIGNATURE_BYTES) return false;
  return timingSafeEqual(given, expected);
}

/** The header's timestamp format for an instant in milliseconds. */
export function formatTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19);
}

/** Milliseconds since the epoch for a header timestamp, or null unless it is exactly the documented format. */
export function parseTimestamp(text: string | null | undefined): number | null {
  if (typeof text !== 'string') return null;
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2026-02-31 over into March: such a stamp is not a real one.
  return formatTimestamp(ms) === text ? ms : null;
}

// HMAC-SHA512 as CoinPayments uses it, for API requests (private key) and IPNs (IPN secret).
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex HMAC-SHA512 of the exact bytes sent or received. */
export function hmacSha512Hex(key: string, body: string | Buffer): string {
  return createHmac('sha512', key).update(body).digest('hex');
}

/** Constant-time check of a hex signature header against the body's HMAC. */
export function verifyHmac(key: string, body: string | Buffer, header: string | undefined | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(hmacSha512Hex(key, body), 'hex');
  const given = /^[0-9a-fA-F]{128}$/.test(header.trim()) ? Buffer.from(header.trim(), 'hex') : Buffer.alloc(0);
  // Compare equal-length buffers only; a wrong length is a mismatch without leaking the expected value.
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

/** PHP urlencode(): what CoinPayments' IPN generator emits (space as `+`, only A-Z a-z 0-9 - _ . kept). */
export function phpUrlencode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** A PHP-style form body with the keys in alphabetical order, as IPNs arrive. */
export function phpFormBody(fields: Record<string, string>): string {
  return Object.keys(fields)
    .sort()
    .map((k) => `${phpUrlencode(k)}=${phpUrlencode(fields[k]!)}`)
    .join('&');
}

// The verify answer's signature: HMAC-SHA256 keyed with the licence key over the nonce and the answer's fields,
// in the order docs/licences.md gives, so an answer replayed (another nonce) or made by hand fails the EA's check.
import { createHmac } from 'node:crypto';

export const SIGNATURE_VERSION = 'goldcoins-licence-v1';

/** Every field of the answer the EA reads, as the text it receives (empty for none). */
export interface SignedFields {
  nonce: string;
  product_id: string;
  account: string;
  status: 'valid' | 'invalid';
  reason: string;
  expires_at: string;
  latest_version: string;
  server_time: string;
}

/** The order is the protocol: the MQL include and the reference client join the same fields the same way. */
export const SIGNED_FIELD_ORDER = ['nonce', 'product_id', 'account', 'status', 'reason', 'expires_at', 'latest_version', 'server_time'] as const;

export function canonicalAnswer(f: SignedFields): string {
  return [SIGNATURE_VERSION, ...SIGNED_FIELD_ORDER.map((k) => f[k])].join('\n');
}

/** Lowercase hex. */
export function signAnswer(licenceKey: string, f: SignedFields): string {
  return createHmac('sha256', Buffer.from(licenceKey, 'ascii')).update(canonicalAnswer(f), 'utf8').digest('hex');
}

/** Seconds precision, no fraction: what MQL's StringToTime reads once '-' and 'T' are swapped. */
export function protocolTime(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

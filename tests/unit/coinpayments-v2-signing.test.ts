// The new-platform signature reproduces COINPAYMENTS.md §6's vector exactly, and any change to a signed part fails.
import { describe, expect, it } from 'vitest';
import { formatTimestamp, parseTimestamp, signV2, verifyV2, type SignedParts } from '../../sidecar/src/payments/coinpayments-v2/signing.js';

const SECRET = 'example-client-secret';
const VECTOR: SignedParts = {
  method: 'POST',
  url: 'https://example.com/wp-json/gold-coins/v1/coinpayments',
  clientId: 'example-client-id',
  timestamp: '2026-01-15T10:30:00',
  body: '{"id":"evt1","type":"invoicePaid","invoice":{"id":"inv123","invoiceId":"GC_42","state":"paid"}}',
};
const SIGNATURE = 'RGHpgSmkuXTl6ZTFCBvtw9Xm5XaqAsB6oNw29ozDcmM=';

describe('CoinPayments new-platform signing', () => {
  it('reproduces the §6 test vector exactly', () => {
    expect(signV2(SECRET, VECTOR)).toBe(SIGNATURE);
    expect(signV2(SECRET, { ...VECTOR, body: Buffer.from(VECTOR.body as string) })).toBe(SIGNATURE);
    expect(verifyV2(SECRET, VECTOR, SIGNATURE)).toBe(true);
  });

  it('refuses a change to any signed part', () => {
    const tampered: Array<Partial<SignedParts>> = [
      { method: 'PUT' },
      { url: 'https://example.com/wp-json/gold-coins/v1/coinpayments?x=1' },
      { url: 'http://example.com/wp-json/gold-coins/v1/coinpayments' },
      { clientId: 'example-client-id2' },
      { timestamp: '2026-01-15T10:30:01' },
      { body: (VECTOR.body as string).replace('"paid"', '"unpaid"') },
      { body: `${VECTOR.body as string} ` },
      { body: '' },
    ];
    for (const change of tampered) expect(verifyV2(SECRET, { ...VECTOR, ...change }, SIGNATURE)).toBe(false);
    expect(verifyV2('example-client-secreT', VECTOR, SIGNATURE)).toBe(false);
  });

  it('refuses malformed or altered signature headers without throwing', () => {
    const flipped = (SIGNATURE[0] === 'R' ? 'S' : 'R') + SIGNATURE.slice(1);
    for (const header of [flipped, SIGNATURE.slice(0, 43), `${SIGNATURE}=`, '', '   ', 'not base64 at all!!!!!!!!!!!!!!!!!!!!!!!!!=', null, undefined]) {
      expect(verifyV2(SECRET, VECTOR, header)).toBe(false);
    }
    expect(verifyV2(SECRET, VECTOR, ` ${SIGNATURE} `)).toBe(true);
  });

  it('formats and parses only the documented timestamp form', () => {
    const ms = Date.UTC(2026, 0, 15, 10, 30, 0, 987);
    expect(formatTimestamp(ms)).toBe('2026-01-15T10:30:00');
    expect(parseTimestamp('2026-01-15T10:30:00')).toBe(Date.UTC(2026, 0, 15, 10, 30, 0));
    for (const bad of ['2026-01-15T10:30:00Z', '2026-01-15T10:30:00.000', '2026-01-15 10:30:00', '2026-02-31T10:30:00', '2026-01-15T24:00:00', '', null]) {
      expect(parseTimestamp(bad)).toBeNull();
    }
  });
});

// The widget's own QR encoder must draw exactly what uqr (a maintained reference encoder) draws for the same settings.
import { encode } from 'uqr';
import { describe, expect, test } from 'vitest';
import { qrEncode } from '../../widget/src/qr.js';

const texts = [
  'a',
  'TXyq3nsmvMXL8UQ7ks3nN1d1vZ5gkZt5pj',
  'tron:TXyq3nsmvMXL8UQ7ks3nN1d1vZ5gkZt5pj?amount=7.28000000',
  'ethereum:0x77c7d48ea9b5bf57256745b3b9aef7e403e1a22b?value=1.27e16&dt=4242',
  '金币 payment ✓ '.repeat(6),
  'x'.repeat(120),
  'y'.repeat(200),
  'z'.repeat(330),
];

describe('qrEncode', () => {
  test.each(texts.map((t) => [t.length, t] as const))('matches uqr module for module (%i bytes)', (_, text) => {
    const reference = encode(text, { ecc: 'M', maskPattern: 0, border: 0, boostEcc: false });
    expect(qrEncode(text)).toEqual(reference.data);
  });

  test('covers versions 1 to 13 and refuses longer text', () => {
    expect(qrEncode('a').length).toBe(21);
    expect(qrEncode('z'.repeat(330)).length).toBe(13 * 4 + 17);
    expect(() => qrEncode('z'.repeat(400))).toThrow(RangeError);
  });
});

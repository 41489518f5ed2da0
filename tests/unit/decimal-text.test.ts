// Exact decimals as people read them: trailing zeros trimmed as text, never through a float, and the QR payment URI
// carrying the same amount the view shows.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseDecimal, trimDecimal } from '../../sidecar/src/payments/decimal.js';
import { qrText } from '../../sidecar/src/http/serialize.js';

describe('trimDecimal', () => {
  test('drops trailing zeros down to the display places, keeps every significant digit', () => {
    expect(trimDecimal('7.2800000000')).toBe('7.28');
    expect(trimDecimal('140.0000000000')).toBe('140');
    expect(trimDecimal('100')).toBe('100');
    expect(trimDecimal('0.0000000100')).toBe('0.00000001');
    expect(trimDecimal('52.00', 2)).toBe('52.00');
    expect(trimDecimal('52.5', 2)).toBe('52.50');
    expect(trimDecimal('123456789012345678.1234567891')).toBe('123456789012345678.1234567891');
    expect(trimDecimal('not a number')).toBe('not a number');
  });

  test('the value never changes: the trimmed text parses to the same exact amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 28n }), fc.integer({ min: 0, max: 10 }), (units, places) => {
        const s = units.toString().padStart(places + 1, '0');
        const text = places === 0 ? s : `${s.slice(0, -places)}.${s.slice(-places)}`;
        expect(parseDecimal(trimDecimal(text))).toBe(parseDecimal(text));
      }),
    );
  });
});

describe('qrText', () => {
  test('a whole amount keeps its zeros in the payment URI (140 BTC is not 14)', () => {
    expect(qrText('BTC', 'bc1qaddress', '140')).toBe('bitcoin:bc1qaddress?amount=140');
    expect(qrText('BTC', 'bc1qaddress', '0.00140000')).toBe('bitcoin:bc1qaddress?amount=0.0014');
    expect(qrText('USDT.TRC20', 'Taddress', '7.28')).toBe('Taddress');
  });
});

// COINPAYMENTS.md's test vectors for the request signature and the IPN verifier, plus PHP-style encoding.
import { describe, expect, it } from 'vitest';
import { encodeForm, nonceSource } from '../../sidecar/src/payments/coinpayments/client.js';
import { hmacSha512Hex, phpFormBody, phpUrlencode, verifyHmac } from '../../sidecar/src/payments/coinpayments/signing.js';
import { phpNumber } from '../../simulators/coinpayments-legacy/simulator.js';
import { formatDecimal, parseDecimal } from '../../sidecar/src/payments/decimal.js';

const REQUEST_BODY = 'currency=BTC&version=1&cmd=get_callback_address&key=your_api_public_key&format=json';
const REQUEST_HMAC =
  '5590eac015e7692902e1a9cd5464f1d305a4b593d2f1343d826ac5affc5ac6f960a5167284f9bf31295cba0e04df9d8f7087935b5344c468ccf2dd036e159102';
const IPN_KEY = 'U1BC9v1s3l0zxdH3';
const IPN_BODY =
  'address=0x77c7d48ea9b5bf57256745b3b9aef7e403e1a22b&amount=0.01271186&amounti=1271186&confirms=6&currency=ETH&fee=0.00006356&feei=6356&fiat_amount=1.47483322&fiat_amounti=147483322&fiat_coin=USD&fiat_fee=0.00737425&fiat_feei=737425&ipn_id=6239290766d3d78c7054031dc4192019&ipn_mode=hmac&ipn_type=deposit&ipn_version=1.0&merchant=898d6ead05235f6081e97a58a6699289&status=100&status_text=Deposit+confirmed&txn_id=0x42995a06b0b11bd6ca9b20fa5af858971354be1b194ac1689740b767f57a4ba2';
const IPN_HMAC =
  'dd12aab950be3b459bb70e1b9c24f39cd81597496cfe779efd82023c71e38cb3ae83b8f7cef203a01c8aa885e1219ba1a1ef5c8be72d6a5cff2e5e9c7bdf5842';

describe('CoinPayments signing', () => {
  it('signs the request test vector exactly', () => {
    expect(hmacSha512Hex('test', REQUEST_BODY)).toBe(REQUEST_HMAC);
  });

  it('produces the same bytes as the vector when encoding its fields in that order', () => {
    const body = encodeForm({ currency: 'BTC', version: '1', cmd: 'get_callback_address', key: 'your_api_public_key', format: 'json' });
    expect(body).toBe(REQUEST_BODY);
  });

  it('verifies the IPN test vector and refuses any change to body, key or signature', () => {
    expect(verifyHmac(IPN_KEY, IPN_BODY, IPN_HMAC)).toBe(true);
    expect(verifyHmac(IPN_KEY, Buffer.from(IPN_BODY), IPN_HMAC.toUpperCase())).toBe(true);
    expect(verifyHmac(IPN_KEY, IPN_BODY.replace('status=100', 'status=101'), IPN_HMAC)).toBe(false);
    expect(verifyHmac('U1BC9v1s3l0zxdH4', IPN_BODY, IPN_HMAC)).toBe(false);
    expect(verifyHmac(IPN_KEY, IPN_BODY, IPN_HMAC.slice(0, 127) + '0')).toBe(false);
    expect(verifyHmac(IPN_KEY, IPN_BODY, IPN_HMAC.slice(0, 64))).toBe(false);
    expect(verifyHmac(IPN_KEY, IPN_BODY, '')).toBe(false);
    expect(verifyHmac(IPN_KEY, IPN_BODY, undefined)).toBe(false);
  });

  it('rebuilds the IPN vector body byte for byte from its fields (PHP urlencode, keys sorted)', () => {
    const fields = Object.fromEntries(new URLSearchParams(IPN_BODY));
    const shuffled = Object.fromEntries(Object.entries(fields).reverse());
    expect(phpFormBody(shuffled)).toBe(IPN_BODY);
    expect(hmacSha512Hex(IPN_KEY, phpFormBody(shuffled))).toBe(IPN_HMAC);
  });

  it("encodes like PHP's urlencode", () => {
    expect(phpUrlencode('a b@c.d~e*f')).toBe('a+b%40c.d%7Ee%2Af');
    expect(phpUrlencode('Deposit confirmed')).toBe('Deposit+confirmed');
  });

  it('issues strictly increasing nonces even when the clock stands still or steps back', () => {
    let t = 1_700_000_000_000;
    const next = nonceSource(() => t);
    const seen = [next(), next()];
    t -= 5_000;
    seen.push(next());
    t += 10_000;
    seen.push(next());
    for (let i = 1; i < seen.length; i++) expect(BigInt(seen[i]!)).toBeGreaterThan(BigInt(seen[i - 1]!));
  });
});

describe('decimal amounts', () => {
  it('parses plain, trimmed and PHP exponent forms exactly', () => {
    expect(parseDecimal('52', 2)).toBe(5200n);
    expect(parseDecimal('52.00', 2)).toBe(5200n);
    expect(parseDecimal('1.0E-5', 8)).toBe(1000n);
    expect(parseDecimal('5.2E+1', 2)).toBe(5200n);
    expect(parseDecimal('7.28000000', 8)).toBe(728000000n);
    expect(parseDecimal('0.123456789', 8)).toBe(12345678n);
    for (const bad of ['', '-1', '1e', 'abc', '1.2.3', ' 1 2', 'NaN', 'Infinity', '0x10']) expect(parseDecimal(bad)).toBeNull();
  });

  it('formats with fixed places and prints numbers the way PHP does', () => {
    expect(formatDecimal(5200n, 2)).toBe('52.00');
    expect(formatDecimal(5n, 2)).toBe('0.05');
    expect(phpNumber('52.00')).toBe('52');
    expect(phpNumber('7.28000000')).toBe('7.28');
    expect(phpNumber('0.00001000')).toBe('1.0E-5');
    expect(phpNumber('0.00003640')).toBe('3.64E-5');
    expect(parseDecimal(phpNumber('0.00003640'), 8)).toBe(3640n);
  });
});

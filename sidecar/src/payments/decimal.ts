// Exact decimal arithmetic for fiat and crypto amounts: scaled BigInts, never binary floats.

/** Digits kept after the point when comparing amounts; CoinPayments sends at most 8. */
export const AMOUNT_SCALE = 18;
const MAX_DIGITS = 40;

/**
 * Parses a non-negative decimal string, including the exponent forms PHP emits (`1.0E-5`, `5.2E+1`),
 * into an integer scaled by 10^scale (digits beyond the scale are dropped, i.e. rounded down).
 * Returns null for anything else.
 */
export function parseDecimal(text: string, scale = AMOUNT_SCALE): bigint | null {
  const m = /^(\d{1,40})(?:\.(\d{0,40}))?(?:[eE]([+-]?\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const digits = m[1]! + (m[2] ?? '');
  const exponent = Number(m[3] ?? 0) - (m[2] ?? '').length + scale;
  if (digits.replace(/^0+/, '').length + Math.max(exponent, 0) > MAX_DIGITS + scale) return null;
  const n = BigInt(digits);
  return exponent >= 0 ? n * 10n ** BigInt(exponent) : n / 10n ** BigInt(-exponent);
}

/** Formats a scaled integer with exactly `places` decimals (places <= scale, rounding down). */
export function formatDecimal(value: bigint, scale = AMOUNT_SCALE, places = scale): string {
  if (value < 0n) throw new RangeError('negative amount');
  const v = value / 10n ** BigInt(scale - places);
  if (places === 0) return v.toString();
  const s = v.toString().padStart(places + 1, '0');
  return `${s.slice(0, -places)}.${s.slice(-places)}`;
}

/** a * num / den, rounded down; all non-negative. */
export function mulDiv(a: bigint, num: bigint, den: bigint): bigint {
  if (den <= 0n) throw new RangeError('division by zero');
  return (a * num) / den;
}

/**
 * An exact decimal string as people read it: trailing zeros dropped down to `minPlaces` decimals (2 for a fiat
 * price, 0 for a crypto amount), so DECIMAL(30,10)'s `7.2800000000` reads `7.28` and `140.0000000000` reads `140`.
 * Only the text changes; anything not a plain decimal is returned as it is.
 */
export function trimDecimal(text: string, minPlaces = 0): string {
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return text;
  const frac = (m[2] ?? '').replace(/0+$/, '').padEnd(minPlaces, '0');
  return frac ? `${m[1]}.${frac}` : m[1]!;
}

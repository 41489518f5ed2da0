// .env.example is a working configuration: the sidecar accepts it as it is, and it names every setting.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KNOWN_PLACEHOLDER_SECRETS, parseConfig } from '../../sidecar/src/config.js';

const example = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')) as Record<string, string>;
const RANDOM_32 = 'Zr8vQ1mXc4Tn7Lp0Wd3Hs6Jk9Fb2Ye5A';
const source = readFileSync(new URL('../../sidecar/src/config.ts', import.meta.url), 'utf8');

describe('.env.example', () => {
  it('is accepted by the sidecar as it stands', () => {
    expect(() => parseConfig(example)).not.toThrow();
  });

  it('lists every variable the sidecar reads', () => {
    const read = [...source.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(20);
    const listed = new Set(Object.keys(example));
    const commented = new Set([...readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').matchAll(/^#\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect(read.filter((k) => !listed.has(k) && !commented.has(k))).toEqual([]);
  });

  it("refuses its own secrets once the payment API is the real one, naming the variable and never the value", () => {
    const production = { ...example, COINPAYMENTS_API_URL: 'https://www.coinpayments.net/api.php' };
    expect(() => parseConfig(production)).toThrow(/^config: GOLDCOIN_JWT_SECRET is a published placeholder; set a random secret$/);
    const jwt = { ...production, GOLDCOIN_JWT_SECRET: RANDOM_32 };
    expect(() => parseConfig(jwt)).toThrow(/^config: COINPAYMENTS_PRIVATE_KEY is a published placeholder/);
    const keys = { ...jwt, COINPAYMENTS_PRIVATE_KEY: RANDOM_32 + 'ab' };
    expect(() => parseConfig(keys)).toThrow(/^config: COINPAYMENTS_IPN_SECRET is a published placeholder/);
    expect(() => parseConfig({ ...keys, COINPAYMENTS_IPN_SECRET: 'k7Qp2x9' })).toThrow(/^config: COINPAYMENTS_IPN_SECRET must be at least 16 bytes$/);
    expect(() => parseConfig({ ...keys, COINPAYMENTS_IPN_SECRET: RANDOM_32 })).not.toThrow();
  });

  it('publishes only secrets the sidecar knows to refuse', () => {
    for (const name of ['GOLDCOIN_JWT_SECRET', 'COINPAYMENTS_PRIVATE_KEY', 'COINPAYMENTS_IPN_SECRET']) {
      expect(KNOWN_PLACEHOLDER_SECRETS.has(example[name]!), name).toBe(true);
    }
  });

  it("holds the new platform's secret and API to the same rule", () => {
    const production = {
      ...example,
      COINPAYMENTS_API_URL: 'https://www.coinpayments.net/api.php',
      GOLDCOIN_JWT_SECRET: RANDOM_32,
      COINPAYMENTS_PRIVATE_KEY: RANDOM_32,
      COINPAYMENTS_IPN_SECRET: RANDOM_32,
    };
    expect(() => parseConfig({ ...production, COINPAYMENTS_API_BASE: 'http://a-api.coinpayments.net' })).toThrow(
      /^config: COINPAYMENTS_API_BASE must be https unless it points at a loopback simulator$/,
    );
    expect(() => parseConfig({ ...production, COINPAYMENTS_CLIENT_SECRET: 'local_client_secret' })).toThrow(/^config: COINPAYMENTS_CLIENT_SECRET is a published placeholder/);
    expect(() => parseConfig({ ...production, COINPAYMENTS_CLIENT_SECRET: 'short-but-random-9f2' })).toThrow(/^config: COINPAYMENTS_CLIENT_SECRET must be at least 32 bytes$/);
    // Both platforms on loopback simulators: the published values are what the simulators expect.
    expect(() => parseConfig({ ...example, COINPAYMENTS_API_BASE: 'http://[::1]:8790', COINPAYMENTS_CLIENT_ID: 'local_client_id', COINPAYMENTS_CLIENT_SECRET: 'local_client_secret' })).not.toThrow();
  });
});

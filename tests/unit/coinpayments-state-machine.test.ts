// The recharge state machine (pure part) and the quote: forward only, one completion, never over-credit.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../sidecar/src/config.js';
import { bonusForTiers, formatTiers, parseTiers, type BonusTier } from '../../sidecar/src/payments/bonus-tiers.js';
import { catalogue, quote, usdAmount } from '../../sidecar/src/payments/quote.js';
import { legacyStatus } from '../../sidecar/src/payments/coinpayments/status.js';
import { decide, type Decision, type PaymentEvent, type Policies, type RechargeState } from '../../sidecar/src/payments/transition.js';
import { testEnv } from '../support/app.js';

const pending = (over: Partial<RechargeState> = {}): RechargeState => ({
  status: 'pending',
  providerStatus: 0,
  coins: 1000,
  bonusCoins: 100,
  cryptoAmount: '140.00000000',
  holdReason: null,
  ...over,
});
/** A legacy IPN's status number, through the legacy provider's mapping onto the normalised event. */
const paid = (received: string | null, status = 100): PaymentEvent => ({ type: 'provider', ...legacyStatus(status), statusText: 'Complete', receivedAmount: received });
const proportional: Policies = { underpayment: 'proportional', latePayment: 'credit' };

/** What the database row becomes after a decision (mirrors transition.write). */
function next(s: RechargeState, e: PaymentEvent, d: Decision): RechargeState {
  const observed = e.type === 'provider' ? { providerStatus: e.progress } : {};
  switch (d.action) {
    case 'none':
      return s;
    case 'progress':
      return { ...s, ...observed };
    case 'hold':
      return { ...s, ...observed, holdReason: d.reason };
    case 'fail':
      return { ...s, ...observed, status: 'failed' };
    case 'complete':
      return { ...s, ...observed, status: 'completed' };
  }
}

describe('recharge state machine', () => {
  it('completes in full on a paid status (>= 100 or 2), including overpayment', () => {
    for (const status of [100, 2, 101]) {
      expect(decide(pending(), paid('140.00000000', status), proportional)).toEqual({
        action: 'complete',
        coinsCredited: 1000,
        bonusCredited: 100,
        underpaid: false,
        late: false,
      });
    }
    expect(decide(pending(), paid('150'), proportional)).toMatchObject({ action: 'complete', coinsCredited: 1000, bonusCredited: 100 });
  });

  it('treats 0, 1 and 3 as pending progress and never as paid', () => {
    expect(decide(pending({ providerStatus: null }), paid('0', 0), proportional)).toEqual({ action: 'progress', providerStatus: 0 });
    expect(decide(pending(), paid('140', 1), proportional)).toEqual({ action: 'progress', providerStatus: 1 });
    expect(decide(pending({ providerStatus: 1 }), paid('140', 1), proportional)).toEqual({ action: 'none', reason: 'not_newer' });
    expect(decide(pending({ providerStatus: 3 }), paid('140', 1), proportional)).toEqual({ action: 'none', reason: 'not_newer' });
  });

  it('credits an underpayment in proportion, rounding down, under the proportional policy', () => {
    // 70 of 140 arrived: half of 1000 coins and half of 100 bonus.
    expect(decide(pending(), paid('70'), proportional)).toEqual({ action: 'complete', coinsCredited: 500, bonusCredited: 50, underpaid: true, late: false });
    // 139.99999999 of 140: 999.99999992... rounds down to 999, bonus 99.
    expect(decide(pending(), paid('139.99999999'), proportional)).toMatchObject({ coinsCredited: 999, bonusCredited: 99 });
    // So little that nothing would be credited: a person has to look at it.
    expect(decide(pending(), paid('0.00000001'), proportional)).toEqual({ action: 'hold', reason: 'underpaid' });
  });

  it('gives an underpayment the bonus of the coins it credits, against the tiers frozen in the quote', () => {
    const tiers: BonusTier[] = [{ minCoins: 1000, bonusPercent: 10 }];
    // Quote 1,000 coins at 1000:10, pay half: 500 coins, which earn no bonus, as a direct 500-coin quote would not.
    expect(decide(pending({ bonusTiers: tiers }), paid('70'), proportional)).toEqual({
      action: 'complete',
      coinsCredited: 500,
      bonusCredited: 0,
      underpaid: true,
      late: false,
    });
    // A package's own bonus (25) shrinks in proportion; the tier bonus follows the coins credited.
    const pkg = pending({ coins: 2000, bonusCoins: 25 + 200, cryptoAmount: '280', bonusTiers: tiers });
    expect(decide(pkg, paid('210'), proportional)).toMatchObject({ coinsCredited: 1500, bonusCredited: 18 + 150 });
    expect(decide(pkg, paid('70'), proportional)).toMatchObject({ coinsCredited: 500, bonusCredited: 6 });
    // A person crediting what arrived follows the same rule; crediting the full quote pays the quoted bonus.
    const held = pending({ bonusTiers: tiers, holdReason: 'underpaid', receivedAmount: '70' });
    const resolve = (action: 'credit_received' | 'credit_full') => ({ type: 'resolve' as const, action, actor: 'admin:1', reason: 'x' });
    expect(decide(held, resolve('credit_received'), proportional)).toMatchObject({ coinsCredited: 500, bonusCredited: 0 });
    expect(decide(held, resolve('credit_full'), proportional)).toMatchObject({ coinsCredited: 1000, bonusCredited: 100 });
  });

  it('credits an underpayment no bonus a direct quote of the credited coins would not get, for any tiers and amounts', () => {
    const tierList = fc
      .array(fc.record({ minCoins: fc.integer({ min: 1, max: 60_000 }), bonusPercent: fc.integer({ min: 0, max: 100 }) }), { maxLength: 4 })
      .map((l) => [...l].sort((a, b) => a.minCoins - b.minCoins));
    fc.assert(
      fc.property(
        tierList,
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 1, max: 10_000_00000000 }),
        fc.integer({ min: 0, max: 10_000_00000000 }),
        (tiers, coins, packageBonus, askedUnits, receivedUnits) => {
          const asked = BigInt(askedUnits);
          const received = BigInt(Math.min(receivedUnits, askedUnits - 1));
          const quoted = packageBonus + bonusForTiers(tiers, coins);
          const state = pending({ coins, bonusCoins: quoted, bonusTiers: tiers, cryptoAmount: (Number(asked) / 1e8).toFixed(8) });
          const d = decide(state, paid((Number(received) / 1e8).toFixed(8)), proportional);
          // The frozen text reads back as the same tiers.
          expect(parseTiers(formatTiers(tiers))).toEqual(tiers);
          if (d.action !== 'complete') {
            expect(d).toEqual({ action: 'hold', reason: 'underpaid' });
            return;
          }
          const credited = Number((BigInt(coins) * received) / asked);
          expect(d.coinsCredited).toBe(credited);
          const expected = Math.min(quoted, Number((BigInt(packageBonus) * received) / asked) + bonusForTiers(tiers, credited));
          expect(d.bonusCredited).toBe(expected);
          expect(d.bonusCredited).toBeLessThanOrEqual(quoted);
          // Without a package bonus: never more than a direct quote of the coins credited earns.
          if (packageBonus === 0) expect(d.bonusCredited).toBeLessThanOrEqual(bonusForTiers(tiers, credited));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('holds an underpayment for review under the hold policy', () => {
    expect(decide(pending(), paid('70'), { underpayment: 'hold', latePayment: 'credit' })).toEqual({ action: 'hold', reason: 'underpaid' });
  });

  it('fails on a negative status, expires on our timeout, and credits a later genuine payment (or holds it)', () => {
    expect(decide(pending(), paid(null, -1), proportional)).toEqual({ action: 'fail', reason: 'expired' });
    expect(decide(pending(), paid(null, -2), proportional)).toEqual({ action: 'fail', reason: 'provider_failed' });
    expect(decide(pending(), { type: 'expired' }, proportional)).toEqual({ action: 'fail', reason: 'expired' });
    const failed = pending({ status: 'failed', providerStatus: -1 });
    expect(decide(failed, paid('140'), proportional)).toMatchObject({ action: 'complete', late: true, coinsCredited: 1000 });
    expect(decide(failed, paid('140'), { underpayment: 'proportional', latePayment: 'hold' })).toEqual({ action: 'hold', reason: 'late_payment' });
    expect(decide(failed, paid('140', 0), proportional)).toEqual({ action: 'none', reason: 'already_failed' });
  });

  it('never moves a completed recharge, whatever arrives', () => {
    const done = pending({ status: 'completed', providerStatus: 100 });
    for (const e of [paid('140', 0), paid('140', 1), paid(null, -1), paid('140'), { type: 'expired' } as const]) {
      expect(decide(done, e, proportional)).toEqual({ action: 'none', reason: 'already_completed' });
    }
  });

  it('holds a payment the provider failed or timed out after funds arrived, instead of failing it', () => {
    for (const kind of ['failed', 'expired'] as const) {
      const e: PaymentEvent = { type: 'provider', kind, progress: 40, statusText: 'x', receivedAmount: '3.5' };
      expect(decide(pending(), e, proportional)).toEqual({ action: 'hold', reason: 'underpaid' });
      expect(decide(pending(), { ...e, receivedAmount: '0' }, proportional)).toEqual({ action: 'fail', reason: kind === 'expired' ? 'expired' : 'provider_failed' });
    }
  });

  it('completes at most once, never credits more than quoted, and records pending progress only forward, for any sequence of normalised events', () => {
    const event = fc.oneof(
      fc.constant<PaymentEvent>({ type: 'expired' }),
      fc.record({
        type: fc.constant('provider' as const),
        kind: fc.constantFrom('pending', 'paid', 'failed', 'expired'),
        progress: fc.integer({ min: 0, max: 40 }),
        statusText: fc.constant('x'),
        receivedAmount: fc.option(fc.integer({ min: 0, max: 300_00000000 }).map((n) => (n / 1e8).toFixed(8)), { nil: null }),
      }),
    );
    const policies = fc.record({ underpayment: fc.constantFrom('proportional', 'hold'), latePayment: fc.constantFrom('credit', 'hold') }) as fc.Arbitrary<Policies>;
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), policies, fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 10_000 }), (events, pol, coins, bonus) => {
        let s = pending({ coins, bonusCoins: bonus });
        let completions = 0;
        for (const e of events) {
          const before = s.status;
          const prevProgress = s.providerStatus;
          const d = decide(s, e, pol);
          if (d.action === 'complete') {
            completions++;
            expect(d.coinsCredited).toBeGreaterThan(0);
            expect(d.coinsCredited).toBeLessThanOrEqual(coins);
            expect(d.bonusCredited).toBeLessThanOrEqual(bonus);
          }
          s = next(s, e, d);
          if (before === 'completed') expect(s.status).toBe('completed');
          if (before === 'failed') expect(s.status).not.toBe('pending');
          if (e.type === 'provider' && e.kind !== 'paid') expect(d.action).not.toBe('complete');
          if (d.action === 'progress') expect(d.providerStatus).toBeGreaterThan(prevProgress ?? -1);
        }
        expect(completions).toBeLessThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('resolving a held payment', () => {
  const resolve = (action: 'credit_received' | 'credit_full' | 'reject'): PaymentEvent => ({ type: 'resolve', action, actor: 'admin:1', reason: 'checked' });
  const held = (over: Partial<RechargeState> = {}) => pending({ holdReason: 'underpaid', receivedAmount: '70.00000000', ...over });

  it('credits what arrived by the proportional rule, the full quote, or fails it as rejected', () => {
    expect(decide(held(), resolve('credit_received'), proportional)).toEqual({ action: 'complete', coinsCredited: 500, bonusCredited: 50, underpaid: true, late: false });
    expect(decide(held(), resolve('credit_full'), proportional)).toEqual({ action: 'complete', coinsCredited: 1000, bonusCredited: 100, underpaid: false, late: false });
    expect(decide(held(), resolve('reject'), proportional)).toEqual({ action: 'fail', reason: 'rejected' });
    const late = held({ status: 'failed', holdReason: 'late_payment', receivedAmount: '140.00000000' });
    expect(decide(late, resolve('credit_received'), proportional)).toEqual({ action: 'complete', coinsCredited: 1000, bonusCredited: 100, underpaid: false, late: true });
  });

  it('refuses a payment that is not held or already completed, and dust that buys no coin', () => {
    expect(decide(pending(), resolve('credit_full'), proportional)).toEqual({ action: 'none', reason: 'not_on_hold' });
    expect(decide(held({ status: 'completed' }), resolve('credit_full'), proportional)).toEqual({ action: 'none', reason: 'already_completed' });
    expect(decide(held({ receivedAmount: '0.00000001' }), resolve('credit_received'), proportional)).toEqual({ action: 'none', reason: 'nothing_received' });
  });

  it('keeps a rejection final: no provider event reopens it', () => {
    const rejected = pending({ status: 'failed', failedReason: 'rejected' });
    for (const e of [paid('140'), paid('200', 2), paid('0', 0), { type: 'expired' } as const]) {
      expect(decide(rejected, e, proportional)).toEqual({ action: 'none', reason: 'already_failed' });
    }
  });
});

describe('recharge config', () => {
  const env = (extra: Record<string, string>) => () => parseConfig(testEnv('mysql://u:p@h:1/db', extra));
  it('refuses the testnet coin, a zero price, empty networks and min above max', () => {
    expect(env({ RECHARGE_COINS: 'BTC,LTCT' })).toThrow(/RECHARGE_COINS/);
    expect(env({ RECHARGE_COIN_PRICE: '0.00' })).toThrow(/RECHARGE_COIN_PRICE/);
    expect(env({ RECHARGE_USDT_NETWORKS: ',' })).toThrow(/RECHARGE_USDT_NETWORKS/);
    expect(env({ RECHARGE_MIN_COINS: '100', RECHARGE_MAX_COINS: '50' })).toThrow(/RECHARGE_MIN_COINS/);
    expect(env({ RECHARGE_PACKAGES: '22,abc' })).toThrow(/RECHARGE_PACKAGES/);
    expect(env({ RECHARGE_UNDERPAYMENT: 'refund' })).toThrow(/RECHARGE_UNDERPAYMENT/);
  });

  it('reads packages with their own bonus and sorts the tiers', () => {
    const cfg = env({ RECHARGE_PACKAGES: '100,1000:50', RECHARGE_BONUS_TIERS: '5000:20,1000:10' })().recharge;
    expect(cfg.packages).toEqual([
      { id: 'p100', coins: 100, bonusCoins: 0, price: null },
      { id: 'p1000', coins: 1000, bonusCoins: 50, price: null },
    ]);
    expect(cfg.bonusTiers.map((t) => t.minCoins)).toEqual([1000, 5000]);
    expect(quote(cfg, 'CNY', { packageId: 'p1000', method: 'USDT' })).toMatchObject({ ok: true, quote: { bonusCoins: 150 } });
    expect(quote(cfg, 'CNY', { coins: 6000, method: 'USDT' })).toMatchObject({ ok: true, quote: { bonusCoins: 1200 } });
  });
});

describe('recharge quote', () => {
  const cfg = parseConfig(testEnv('mysql://u:p@h:1/db')).recharge;

  it('prices the seed packages at 1 coin = 1 CNY with the USD amount and the 10% tier from 1000 coins', () => {
    expect(quote(cfg, 'CNY', { packageId: 'p52', method: 'USDT' })).toEqual({
      ok: true,
      quote: {
        packageId: 'p52',
        coins: 52,
        bonusCoins: 0,
        priceAmount: '52.00',
        priceCurrency: 'CNY',
        method: 'USDT',
        payCurrency: 'USDT.TRC20',
        bonusTiers: [{ minCoins: 1000, bonusPercent: 10 }],
      },
    });
    expect(quote(cfg, 'CNY', { coins: 1234, method: 'CoinPayment', currency: 'BTC' })).toMatchObject({
      ok: true,
      quote: { coins: 1234, bonusCoins: 123, priceAmount: '1234.00', payCurrency: 'BTC' },
    });
    const c = catalogue(cfg, 'CNY');
    expect(c.packages.map((p) => [p.id, p.coins, p.price])).toEqual([
      ['p22', 22, '22.00'],
      ['p52', 52, '52.00'],
      ['p200', 200, '200.00'],
      ['p500', 500, '500.00'],
    ]);
    expect(c.methods[0]).toEqual({ id: 'USDT', networks: ['USDT.TRC20', 'USDT.ERC20', 'USDT.BEP20', 'USDT.SOL'], default_network: 'USDT.TRC20' });
  });

  it('converts a price to USD exactly, rounding down', () => {
    expect(usdAmount('52.00', '0.14')).toBe('7.28');
    expect(usdAmount('1.00', '0.13999999')).toBe('0.13');
    expect(usdAmount('1234.00', '0.14285714')).toBe('176.28');
  });

  it('refuses bad requests with stable codes', () => {
    const code = (i: Parameters<typeof quote>[2]) => {
      const r = quote(cfg, 'CNY', i);
      return r.ok ? 'ok' : r.code;
    };
    expect(code({ packageId: 'p1', method: 'USDT' })).toBe('unknown_package');
    expect(code({ coins: 1, method: 'USDT' })).toBe('amount_below_minimum');
    expect(code({ coins: 10_000_000, method: 'USDT' })).toBe('amount_above_maximum');
    expect(code({ coins: 100, method: 'PayPal' })).toBe('unsupported_method');
    expect(code({ coins: 100, method: 'USDT', network: 'USDT' })).toBe('unsupported_currency');
    expect(code({ coins: 100, method: 'CoinPayment', currency: 'LTCT' })).toBe('unsupported_currency');
    expect(code({ coins: 100, method: 'CoinPayment' })).toBe('invalid_request');
    expect(code({ method: 'USDT' })).toBe('invalid_request');
    expect(code({ packageId: 'p22', coins: 22, method: 'USDT' })).toBe('invalid_request');
  });
});

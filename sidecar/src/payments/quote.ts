// Recharge pricing: packages, custom amounts, bonus tiers and payment methods, from the catalog's current terms.
// The price is always computed here from coins (or a package's own price); a price sent by the browser is never read.
import { bonusForTiers, type BonusTier } from './bonus-tiers.js';
import { formatDecimal, parseDecimal } from './decimal.js';

/** The catalog terms a quote reads (the catalog store's current version, or the environment's seed). */
export interface RechargeTerms {
  /** `price` null: coins × coinPrice. */
  packages: { id: string; coins: number; bonusCoins: number; price: string | null }[];
  coinPrice: string;
  usdRate: string;
  minCoins: number;
  maxCoins: number;
  dailyMaxCoins: number;
  /** Ascending by minCoins. */
  bonusTiers: { minCoins: number; bonusPercent: number }[];
  usdtNetworks: string[];
  coins: string[];
}
/** The name the recharge code has always used for these terms. */
export type RechargeConfig = RechargeTerms;
export type Method = 'USDT' | 'CoinPayment';

export interface Quote {
  packageId: string | null;
  coins: number;
  bonusCoins: number;
  /** Exact, two decimals, in priceCurrency. */
  priceAmount: string;
  priceCurrency: string;
  method: Method;
  /** The CoinPayments currency2 the buyer pays with. */
  payCurrency: string;
  /** The tiers this quote's bonus came from, stored with the recharge: an underpayment's bonus follows them. */
  bonusTiers: readonly BonusTier[];
}

export interface QuoteInput {
  packageId?: string;
  coins?: number;
  method: string;
  network?: string;
  currency?: string;
}

export type QuoteError =
  | 'unknown_package'
  | 'amount_below_minimum'
  | 'amount_above_maximum'
  | 'unsupported_method'
  | 'unsupported_currency'
  | 'invalid_request';

export type QuoteResult = { ok: true; quote: Quote } | { ok: false; code: QuoteError; message: string };

const CENTS = 2;

/** Bonus of the highest tier the amount reaches, rounded down. */
export function tierBonus(cfg: RechargeConfig, coins: number): number {
  return bonusForTiers(cfg.bonusTiers, coins);
}

export function priceOf(cfg: RechargeConfig, coins: number): string {
  return formatDecimal(parseDecimal(cfg.coinPrice, CENTS)! * BigInt(coins), CENTS);
}

/** A package's own price when the owner set one, else its coins at the coin price. */
function packagePrice(cfg: RechargeConfig, pkg: RechargeConfig['packages'][number]): string {
  return pkg.price === null ? priceOf(cfg, pkg.coins) : formatDecimal(parseDecimal(pkg.price, CENTS)!, CENTS);
}

/** price × (USD per unit of the price currency), two decimals, rounded down. */
export function usdAmount(priceAmount: string, usdPerUnit: string): string {
  const rate = parseDecimal(usdPerUnit, 8);
  if (rate === null) throw new RangeError(`bad USD rate ${usdPerUnit}`);
  return formatDecimal((parseDecimal(priceAmount, CENTS)! * rate) / 10n ** 8n, CENTS);
}

/** Currencies an IPN's currency2 may carry: the USDT networks and the checkout coins. */
export function allowedPayCurrencies(cfg: RechargeConfig): Set<string> {
  return new Set([...cfg.usdtNetworks, ...cfg.coins]);
}

export function quote(cfg: RechargeConfig, priceCurrency: string, input: QuoteInput): QuoteResult {
  let coins: number;
  let packageBonus = 0;
  let packageId: string | null = null;
  let packagePriceAmount: string | null = null;
  if (input.packageId !== undefined) {
    if (input.coins !== undefined) return { ok: false, code: 'invalid_request', message: 'send package_id or coins, not both' };
    const pkg = cfg.packages.find((p) => p.id === input.packageId);
    if (!pkg) return { ok: false, code: 'unknown_package', message: `no package ${input.packageId}` };
    coins = pkg.coins;
    packageBonus = pkg.bonusCoins;
    packageId = pkg.id;
    packagePriceAmount = packagePrice(cfg, pkg);
  } else if (input.coins !== undefined) {
    coins = input.coins;
    if (coins < cfg.minCoins) return { ok: false, code: 'amount_below_minimum', message: `at least ${cfg.minCoins} coins per recharge` };
    if (coins > cfg.maxCoins) return { ok: false, code: 'amount_above_maximum', message: `at most ${cfg.maxCoins} coins per recharge` };
  } else {
    return { ok: false, code: 'invalid_request', message: 'send package_id or coins' };
  }

  let payCurrency: string;
  if (input.method === 'USDT') {
    if (input.currency !== undefined) return { ok: false, code: 'invalid_request', message: 'USDT takes a network, not a currency' };
    payCurrency = input.network ?? cfg.usdtNetworks[0]!;
    if (!cfg.usdtNetworks.includes(payCurrency)) {
      return { ok: false, code: 'unsupported_currency', message: `network ${payCurrency} is not offered` };
    }
  } else if (input.method === 'CoinPayment') {
    if (input.currency === undefined) return { ok: false, code: 'invalid_request', message: 'CoinPayment needs a currency' };
    payCurrency = input.currency;
    if (!cfg.coins.includes(payCurrency)) return { ok: false, code: 'unsupported_currency', message: `currency ${payCurrency} is not offered` };
  } else {
    return { ok: false, code: 'unsupported_method', message: `method ${input.method} is not offered` };
  }

  const priceAmount = packagePriceAmount ?? priceOf(cfg, coins);
  return {
    ok: true,
    quote: {
      packageId,
      coins,
      bonusCoins: packageBonus + tierBonus(cfg, coins),
      priceAmount,
      priceCurrency,
      method: input.method,
      payCurrency,
      bonusTiers: cfg.bonusTiers,
    },
  };
}

/** The public catalogue served by GET /api/packages. */
export function catalogue(cfg: RechargeConfig, priceCurrency: string) {
  return {
    currency: priceCurrency,
    packages: cfg.packages.map((p) => ({
      id: p.id,
      coins: p.coins,
      bonus_coins: p.bonusCoins + tierBonus(cfg, p.coins),
      price: packagePrice(cfg, p),
    })),
    custom: { min_coins: cfg.minCoins, max_coins: cfg.maxCoins, daily_max_coins: cfg.dailyMaxCoins, coin_price: priceOf(cfg, 1) },
    bonus_tiers: cfg.bonusTiers.map((t) => ({ min_coins: t.minCoins, bonus_percent: t.bonusPercent })),
    methods: [
      { id: 'USDT', networks: cfg.usdtNetworks, default_network: cfg.usdtNetworks[0]! },
      { id: 'CoinPayment', currencies: cfg.coins },
    ],
  };
}

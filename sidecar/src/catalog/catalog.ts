// The catalog document: its sections as stored and edited, the environment's seed, and the terms the quote,
// rewards and referral code read from it.
import type { Config } from '../config.js';
import type { RechargeTerms } from '../payments/quote.js';
import type { ReferralTerms } from '../referrals/referrals.js';
import type { RewardDef } from '../spending/catalog.js';
import type { FulfilmentType } from '../db/tables/reward-redemptions.js';

export interface PricingSection {
  /** The fiat currency coins are priced in (CoinPayments' currency1). */
  currency: string;
  /** Exact decimal, two places at most. */
  coin_price: string;
  /** USD per unit of currency, used for amount_usd when the provider has no rate. */
  usd_rate: string;
}
export interface PackageItem {
  id: string;
  coins: number;
  bonus_coins: number;
  /** null: coins × coin_price. */
  price: string | null;
}
export interface BonusTier {
  min_coins: number;
  bonus_percent: number;
}
export interface LimitsSection {
  min_coins: number;
  max_coins: number;
  daily_max_coins: number;
}
export interface MethodsSection {
  /** The first is the default network. */
  usdt_networks: string[];
  coins: string[];
}
export interface RewardItem {
  key: string;
  title: string;
  description: string;
  cost_coins: number;
  fulfilment: FulfilmentType;
  value: string;
  stock: number | null;
  per_user_limit: number | null;
}
export interface ReferralsSection {
  reward_coins: number;
  min_recharge_coins: number;
  /** Rewards one referrer may earn per period; 0 = no cap. */
  max_rewards_per_period: number;
  period_days: number;
}

/**
 * Every editable section. A module that adds one (VIP tiers) adds its key here, its default to `seedCatalog`,
 * its schema to http/schemas/catalog.ts and its editor to the admin view; a database written before the section
 * existed serves the default until the owner saves it.
 */
export interface CatalogDoc {
  pricing: PricingSection;
  packages: PackageItem[];
  bonus_tiers: BonusTier[];
  limits: LimitsSection;
  methods: MethodsSection;
  rewards: RewardItem[];
  referrals: ReferralsSection;
}
export type SectionName = keyof CatalogDoc;
export const SECTION_NAMES: readonly SectionName[] = ['pricing', 'packages', 'bonus_tiers', 'limits', 'methods', 'rewards', 'referrals'];

/** What a fresh install starts with: the environment's values (RECHARGE_*, PRICE_CURRENCY, REWARDS_CATALOG, REFERRAL_*). */
export function seedCatalog(config: Pick<Config, 'recharge' | 'spending' | 'priceCurrency'>): CatalogDoc {
  const r = config.recharge;
  return {
    pricing: { currency: config.priceCurrency, coin_price: r.coinPrice, usd_rate: r.usdRate },
    packages: r.packages.map((p) => ({ id: p.id, coins: p.coins, bonus_coins: p.bonusCoins, price: p.price })),
    bonus_tiers: r.bonusTiers.map((t) => ({ min_coins: t.minCoins, bonus_percent: t.bonusPercent })),
    limits: { min_coins: r.minCoins, max_coins: r.maxCoins, daily_max_coins: r.dailyMaxCoins },
    methods: { usdt_networks: [...r.usdtNetworks], coins: [...r.coins] },
    rewards: config.spending.rewards.map((w) => ({
      key: w.key,
      title: w.title,
      description: w.description,
      cost_coins: w.costCoins,
      fulfilment: w.fulfilment,
      value: w.value,
      stock: w.stock,
      per_user_limit: w.perUserLimit,
    })),
    referrals: {
      reward_coins: config.spending.referralRewardCoins,
      min_recharge_coins: config.spending.referralMinRechargeCoins,
      max_rewards_per_period: config.spending.referralMaxRewardsPerPeriod,
      period_days: config.spending.referralPeriodDays,
    },
  };
}

/** One version of the catalog, as every reader sees it. */
export interface Catalog {
  version: number;
  doc: CatalogDoc;
  priceCurrency: string;
  recharge: RechargeTerms;
  rewards: RewardDef[];
  referrals: ReferralTerms;
}

export function catalogFrom(version: number, doc: CatalogDoc): Catalog {
  return {
    version,
    doc,
    priceCurrency: doc.pricing.currency,
    recharge: {
      packages: doc.packages.map((p) => ({ id: p.id, coins: p.coins, bonusCoins: p.bonus_coins, price: p.price })),
      coinPrice: doc.pricing.coin_price,
      usdRate: doc.pricing.usd_rate,
      minCoins: doc.limits.min_coins,
      maxCoins: doc.limits.max_coins,
      dailyMaxCoins: doc.limits.daily_max_coins,
      bonusTiers: doc.bonus_tiers.map((t) => ({ minCoins: t.min_coins, bonusPercent: t.bonus_percent })).sort((a, b) => a.minCoins - b.minCoins),
      usdtNetworks: doc.methods.usdt_networks,
      coins: doc.methods.coins,
    },
    rewards: doc.rewards.map((w) => ({
      key: w.key,
      title: w.title,
      description: w.description,
      costCoins: w.cost_coins,
      fulfilment: w.fulfilment,
      value: w.value,
      stock: w.stock,
      perUserLimit: w.per_user_limit,
    })),
    referrals: {
      rewardCoins: doc.referrals.reward_coins,
      minRechargeCoins: doc.referrals.min_recharge_coins,
      maxRewardsPerPeriod: doc.referrals.max_rewards_per_period,
      periodDays: doc.referrals.period_days,
    },
  };
}

/** JSON with object keys sorted, so two equal sections compare equal whatever order their keys were written in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

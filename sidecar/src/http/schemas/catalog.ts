// /api/admin/catalog (manage_options): the editable catalog, its changes and their audit; each field's rule and message.
import { z } from 'zod';
import type { CatalogDoc } from '../../catalog/catalog.js';
import { AUDIT_PAGE_MAX } from '../../catalog/store.js';
import { MAX_REWARDS, rewardItemSchema } from '../../spending/catalog.js';
import { coins, cursorText, dateTime, fails, nextCursor, ok, type RouteSpec } from './common.js';

const wholeCoins = (min: number, max: number) =>
  z
    .number({ error: 'must be a whole number of coins' })
    .int('must be a whole number of coins')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
const money = z
  .string({ error: 'must be a price like 52.00' })
  .regex(/^\d{1,9}(\.\d{1,2})?$/, 'must be a price like 52.00 (at most 2 decimals)')
  .refine((v) => /[1-9]/.test(v), { message: 'must be above zero', params: { rule: 'price' } });
const unique = <T>(key: (item: T) => string | number, what: string) => (items: T[], ctx: z.RefinementCtx) => {
  const seen = new Set<string | number>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) ctx.addIssue({ code: 'custom', message: `${what} ${k} appears twice`, path: [i], params: { rule: 'dup' } });
    seen.add(k);
  });
};

export const pricingSection = z
  .object({
    currency: z.string().regex(/^[A-Z]{3,5}$/, 'must be a currency code like CNY or USD'),
    coin_price: money,
    usd_rate: z.string().regex(/^\d{1,6}(\.\d{1,8})?$/, 'must be a decimal like 0.14 (at most 8 decimals)'),
  })
  .strict();
export const packageItem = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'must be 1 to 32 lower-case letters, digits, - or _'),
    coins: wholeCoins(1, 10_000_000),
    bonus_coins: wholeCoins(0, 10_000_000),
    price: money.nullable().default(null).describe('null: coins × coin_price'),
  })
  .strict();
export const packagesSection = z
  .array(packageItem)
  .max(20, 'at most 20 packages')
  .superRefine(unique((p) => p.id, 'package id'));
export const bonusTier = z
  .object({
    min_coins: wholeCoins(1, 100_000_000),
    bonus_percent: z.number().int('must be a whole percent').min(0, 'must be at least 0').max(100, 'must be at most 100'),
  })
  .strict();
export const bonusTiersSection = z
  .array(bonusTier)
  .max(20, 'at most 20 tiers')
  .superRefine(unique((t) => t.min_coins, 'a tier starting at'));
export const limitsSection = z
  .object({
    min_coins: wholeCoins(1, 1_000_000),
    max_coins: wholeCoins(1, 10_000_000),
    daily_max_coins: wholeCoins(1, 100_000_000),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.min_coins > l.max_coins) ctx.addIssue({ code: 'custom', message: 'must not be above the maximum per recharge', path: ['min_coins'], params: { rule: 'min_max' } });
  });
const usdtNetwork = z.string().regex(/^USDT(\.[A-Z0-9]{2,12})?$/, 'must be a USDT code like USDT.TRC20');
// LTCT is CoinPayments' worthless testnet coin: never accepted as payment.
const coinCode = z
  .string()
  .regex(/^[A-Z0-9]{2,10}(\.[A-Z0-9]{2,12})?$/, 'must be a coin code like BTC or USDT.TRC20')
  .refine((c) => c !== 'LTCT', { message: 'LTCT is a test coin and is never accepted', params: { rule: 'ltct' } });
export const methodsSection = z
  .object({
    usdt_networks: z.array(usdtNetwork).min(1, 'offer at least one USDT network').max(20).superRefine(unique((n) => n, 'network')),
    coins: z.array(coinCode).max(50).superRefine(unique((n) => n, 'coin')),
  })
  .strict();
export const rewardsSection = z
  .array(rewardItemSchema)
  .max(MAX_REWARDS, `at most ${MAX_REWARDS} rewards`)
  .superRefine(unique((r) => r.key, 'reward key'));
export const referralsSection = z
  .object({
    reward_coins: wholeCoins(0, 1_000_000),
    min_recharge_coins: wholeCoins(0, 100_000_000),
    max_rewards_per_period: z
      .number({ error: 'must be a whole number of rewards' })
      .int('must be a whole number of rewards')
      .min(0, 'must be at least 0 (0 = no cap)')
      .max(1_000_000, 'must be at most 1000000'),
    period_days: z.number({ error: 'must be a whole number of days' }).int('must be a whole number of days').min(1, 'must be at least 1').max(3_650, 'must be at most 3650'),
  })
  .strict();

export const catalogDoc = z.object({
  pricing: pricingSection,
  packages: packagesSection,
  bonus_tiers: bonusTiersSection,
  limits: limitsSection,
  methods: methodsSection,
  rewards: rewardsSection,
  referrals: referralsSection,
});
// The schema and the domain's document describe the same thing.
export const catalogShape: z.ZodType<CatalogDoc, z.input<typeof catalogDoc>> = catalogDoc;
const sectionName = z.enum(['pricing', 'packages', 'bonus_tiers', 'limits', 'methods', 'rewards', 'referrals']);

export const catalogUpdateBody = z
  .object({
    version: z.number().int().positive().describe('The version the editor loaded: a section changed since then is not overwritten'),
    catalog: catalogDoc.partial().strict().describe('Only the sections to replace; each is replaced whole'),
  })
  .strict();
export const catalogAnswer = z.object({ version: z.number().int(), catalog: catalogDoc });
export const catalogUpdated = catalogAnswer.extend({ changed: z.array(sectionName) });
export const catalogAuditQuery = z.object({
  section: sectionName.optional(),
  cursor: cursorText.transform(Number).optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(50),
});
export const catalogAuditPage = z.object({
  entries: z.array(
    z.object({
      id: z.number().int(),
      version: z.number().int(),
      section: sectionName,
      actor: z.string().describe('admin:<WordPress user id>, or seed for the environment on a fresh install'),
      actor_name: z.string(),
      before: z.unknown().nullable(),
      after: z.unknown(),
      created_at: dateTime,
    }),
  ),
  next_cursor: nextCursor,
});

export const BALANCES_MAX_IDS = 200;
export const balancesQuery = z.object({
  user_ids: z
    .string()
    .regex(/^[1-9][0-9]{0,15}(,[1-9][0-9]{0,15})*$/, 'comma-separated WordPress user ids')
    .transform((s) => [...new Set(s.split(',').map(Number))])
    .refine((ids) => ids.length <= BALANCES_MAX_IDS, `at most ${BALANCES_MAX_IDS} user ids`),
});
export const balancesAnswer = z.object({ balances: z.array(z.object({ user_id: z.number().int(), balance: coins })) });

export const exportParams = z.object({ kind: z.enum(['payments', 'ledger', 'redemptions']) });
export const exportQuery = z.object({ user_id: z.coerce.number().int().positive().safe().optional() });

export const catalogRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/admin/catalog',
    summary: 'The catalog as every instance serves it now: pricing, packages, bonus tiers, limits, methods, rewards, referrals (manage_options)',
    auth: 'admin',
    responses: { 200: ok('The catalog and its version', catalogAnswer) },
  },
  {
    method: 'post',
    path: '/api/admin/catalog',
    summary:
      'Replace catalog sections; new quotes on every instance use them from the next request, issued quotes keep their terms; each changed section is audited (manage_options)',
    auth: 'admin',
    body: catalogUpdateBody,
    responses: {
      200: ok('The catalog after the change, and the sections that changed (none when nothing differed)', catalogUpdated),
      409: fails('A section was changed by someone else since `version`; nothing was saved', 'catalog_changed'),
    },
  },
  {
    method: 'get',
    path: '/api/admin/catalog/audit',
    summary: 'Catalog changes, newest first: who, when, each section before and after (manage_options)',
    auth: 'admin',
    query: catalogAuditQuery,
    responses: { 200: ok('A page of changes', catalogAuditPage), 400: fails('Bad filter or page', 'invalid_query') },
  },
  {
    method: 'get',
    path: '/api/admin/balances',
    summary: 'The balances of a batch of WordPress users, for the Users screen (manage_options)',
    auth: 'admin',
    query: balancesQuery,
    responses: { 200: ok('One balance per id asked (0 without a wallet)', balancesAnswer), 400: fails('Bad id list', 'invalid_query') },
  },
  {
    method: 'get',
    path: '/api/admin/export/:kind',
    summary: 'CSV export of every payment, ledger entry or redemption, oldest first, streamed page by page (manage_options)',
    auth: 'admin',
    params: exportParams,
    query: exportQuery,
    responses: {
      200: { description: 'RFC 4180 CSV with a header row; cells a spreadsheet would run as a formula are prefixed with a quote', contentType: 'text/csv' },
      400: fails('Bad filter', 'invalid_query'),
      404: fails('No such export', 'unknown_export'),
    },
  },
];

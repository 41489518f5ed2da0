// The rewards catalog: what can be redeemed, for how many coins, and what fulfilment means for each.
import { z } from 'zod';
import type { FulfilmentType } from '../db/tables/reward-redemptions.js';

export const MAX_REWARDS = 100;

export interface RewardDef {
  key: string;
  title: string;
  description: string;
  costCoins: number;
  fulfilment: FulfilmentType;
  /** entitlement: the post ID granted; role: the WordPress role; link: the URL shown; code: a prefix for generated codes. */
  value: string;
  /** Site-wide number of redemptions allowed; null = unlimited. */
  stock: number | null;
  perUserLimit: number | null;
}

const positive = z.number().int().positive().max(1_000_000_000);
export const rewardItemSchema = z
  .object({
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/),
    title: z.string().min(1).max(200),
    description: z.string().max(1000).default(''),
    cost_coins: positive,
    fulfilment: z.enum(['entitlement', 'role', 'code', 'link']),
    value: z.string().max(512).default(''),
    stock: positive.nullable().default(null),
    per_user_limit: positive.nullable().default(null),
  })
  .superRefine((r, ctx) => {
    const bad = (message: string) => ctx.addIssue({ code: 'custom', message: `${r.key}: ${message}`, path: ['value'] });
    if (r.fulfilment === 'entitlement' && !/^[1-9][0-9]{0,15}$/.test(r.value)) bad('entitlement needs a post ID as value');
    if (r.fulfilment === 'role' && !/^[a-z0-9_-]{1,64}$/.test(r.value)) bad('role needs a WordPress role name as value');
    if (r.fulfilment === 'link' && !/^https?:\/\/\S+$/.test(r.value)) bad('link needs an http(s) URL as value');
    if (r.fulfilment === 'code' && !/^[A-Z0-9-]{0,12}$/.test(r.value)) bad('code value is an optional prefix of A-Z 0-9 -');
  });
const catalog = z
  .array(rewardItemSchema)
  .max(MAX_REWARDS)
  .refine((items) => new Set(items.map((i) => i.key)).size === items.length, 'reward keys must be unique');

/** The seed's redemption page: a premium EA licence code (the seed's VIP group is a VIP tier, see VIP_TIERS). */
export function defaultCatalogJson(): string {
  return JSON.stringify([
    {
      key: 'premium-ea',
      title: 'Premium EA',
      description: 'A licence code for the premium Expert Advisor.',
      cost_coins: 100,
      fulfilment: 'code',
      value: 'EA-',
    },
  ]);
}

/** Parses REWARDS_CATALOG (a JSON array); returns a one-line reason when it is wrong. */
export function parseCatalog(json: string): { ok: true; rewards: RewardDef[] } | { ok: false; reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'is not valid JSON' };
  }
  const parsed = catalog.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `${issue.path.join('.')}: ${issue.message}` };
  }
  return {
    ok: true,
    rewards: parsed.data.map((r) => ({
      key: r.key,
      title: r.title,
      description: r.description,
      costCoins: r.cost_coins,
      fulfilment: r.fulfilment,
      value: r.value,
      stock: r.stock,
      perUserLimit: r.per_user_limit,
    })),
  };
}

// The configured providers: legacy keys, an integration, or both; new recharges go to the one the settings name.
import { CoinPaymentsClient, type CoinPaymentsOptions } from './coinpayments/client.js';
import type { CreditPoint } from './coinpayments-v2/model.js';
import { CoinPaymentsV2Provider } from './coinpayments-v2/provider.js';
import type { PaymentProvider, ProviderSet } from './provider.js';

export interface ProvidersConfig {
  platform: 'legacy' | 'v2';
  legacy: CoinPaymentsOptions | null;
  v2: {
    apiBase: string;
    clientId: string;
    clientSecret: string;
    creditOn: CreditPoint;
    invoicePrefix: string;
    notificationsUrl: string;
    timeoutMs: number;
  } | null;
}

export interface Providers extends ProviderSet {
  legacy: CoinPaymentsClient | null;
  v2: CoinPaymentsV2Provider | null;
}

/** `methods`: the site's USDT networks and checkout coins, to name the coin a new-platform invoice was paid in. */
export function createProviders(cfg: ProvidersConfig, methods: string[]): Providers {
  const legacy = cfg.legacy ? new CoinPaymentsClient(cfg.legacy) : null;
  const v2 = cfg.v2 ? new CoinPaymentsV2Provider({ ...cfg.v2, methods }) : null;
  const forNew: PaymentProvider | null = cfg.platform === 'v2' ? v2 : legacy;
  // config.ts refuses a platform that is not configured; this is the last guard, not the message.
  if (!forNew) throw new Error(`payments: platform ${cfg.platform} is not configured`);
  return { forNew, all: [legacy, v2].filter((p): p is NonNullable<typeof p> => p !== null), legacy, v2 };
}

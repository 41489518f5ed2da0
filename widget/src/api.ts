// Typed client for the sidecar API: bearer token, one refresh through the shim on 401, errors as values.

/** The sidecar's error code (or network_error) with the HTTP status; views show a localized text per code. */
export interface ApiError {
  status: number;
  code: string;
  retryAfterS?: number;
}
export type Result<T> = { ok: true; data: T } | { ok: false; error: ApiError };

export interface LedgerEntry {
  id: number;
  delta_coins: number;
  balance_after: number;
  kind: string;
  memo: string | null;
  created_at: string;
  user_id?: number;
}
export interface Wallet {
  balance: number;
  last_recharge: { coins: number; bonus_coins: number; price_amount: string; price_currency: string; completed_at: string | null } | null;
  recent: LedgerEntry[];
}
export interface Packages {
  currency: string;
  packages: { id: string; coins: number; bonus_coins: number; price: string }[];
  custom: { min_coins: number; max_coins: number; daily_max_coins: number; coin_price?: string };
  bonus_tiers: { min_coins: number; bonus_percent: number }[];
  methods: { id: 'USDT' | 'CoinPayment'; networks?: string[]; default_network?: string; currencies?: string[] }[];
}
export interface Recharge {
  id: number | string;
  status: 'pending' | 'completed' | 'failed';
  coins: number;
  bonus_coins: number;
  price: { amount: string; currency: string };
  payment: {
    txn_id: string;
    address: string;
    amount: string;
    currency: string;
    dest_tag?: string | null;
    confirms_needed?: string | number | null;
    expires_at: string;
    checkout_url?: string | null;
    status_url?: string | null;
    /** Text for the QR code (a payment URI or the address); null without an address. */
    qr: string | null;
  };
  coins_credited?: number | null;
  bonus_credited?: number | null;
  completed_at?: string | null;
  failed_reason?: string | null;
}
export interface Post {
  post_id: number;
  title: string;
  price_coins: number;
  unlocked: boolean;
  file_name: string | null;
  balance: number;
}
export interface Reward {
  key: string;
  title: string;
  description: string;
  cost_coins: number;
  fulfilment: string;
  stock_left: number | null;
  per_user_limit: number | null;
  redeemed_by_me: number;
}
export interface Redemption {
  redemption: { id: number; reward_key: string; cost_coins: number; fulfilment: { type: string; value: string }; created_at: string };
  balance: number;
}
export interface Notification {
  id: number;
  kind: string;
  title: string;
  body: string;
  read_at: string | null;
  created_at: string;
}
export interface AdminPayment {
  id: number;
  user_id: number;
  user_login?: string;
  status: string;
  coins: number;
  bonus_coins: number;
  price_amount?: string;
  price_currency?: string;
  price?: { amount: string; currency: string };
  payment_method?: string;
  currency?: string;
  created_at: string;
  user_email?: string | null;
  txn_id?: string | null;
  crypto_amount?: string | null;
  crypto_currency?: string | null;
  received_amount?: string | null;
  provider_status?: number | null;
  provider_status_text?: string | null;
  coins_credited?: number;
  bonus_credited?: number;
  /** 'underpaid' or 'late_payment' while the payment waits for an administrator. */
  hold_reason?: string | null;
  failed_reason?: string | null;
  completed_at?: string | null;
}
/** GET /api/admin/payments/:id and the answer of its resolve. */
export interface AdminPaymentDetail {
  payment: AdminPayment;
  ipn_log: { id: number; received_at: string; ipn_type: string | null; ipn_status: number | null; verdict: string; reason: string }[];
  ledger: LedgerEntry[];
  resolution: { action: string; actor: string; reason: string; coins_credited: number; bonus_credited: number; created_at: string } | null;
}
export interface Stats {
  currency: string;
  days: { date: string; revenue: string; coins_issued: number; coins_spent: number }[];
  totals: Record<string, string | number>;
}

export interface ClientOptions {
  api: string;
  token: string;
  refreshUrl?: string | undefined;
  refreshNonce?: string | undefined;
}

/** Random key for Idempotency-Key; getRandomValues works on plain-http sites where randomUUID does not. */
export function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export type Client = ReturnType<typeof createClient>;

export function createClient(o: ClientOptions) {
  const base = o.api.replace(/\/+$/, '');
  let token = o.token;
  let refreshing: Promise<boolean> | null = null;

  /** Asks the WordPress shim for a fresh token; concurrent 401s share one refresh. */
  function refresh(): Promise<boolean> {
    if (!o.refreshUrl) return Promise.resolve(false);
    refreshing ??= fetch(o.refreshUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: o.refreshNonce ? { 'X-WP-Nonce': o.refreshNonce } : {},
    })
      .then((r) => (r.ok ? r.json() : null))
      .then((j: { token?: unknown } | null) => {
        if (typeof j?.token !== 'string') return false;
        token = j.token;
        return true;
      })
      .catch(() => false)
      .finally(() => (refreshing = null));
    return refreshing;
  }

  async function send(method: string, path: string, body?: unknown, key?: string, signal?: AbortSignal): Promise<Response> {
    const go = () => {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (key) headers['Idempotency-Key'] = key;
      return fetch(base + path, { method, headers, body: body === undefined ? null : JSON.stringify(body), signal: signal ?? null });
    };
    const sent = token;
    const res = await go();
    // A request that went out with an older token retries with the newer one instead of refreshing again.
    return res.status === 401 && (token !== sent || (await refresh())) ? go() : res;
  }

  async function call<T>(method: string, path: string, body?: unknown, key?: string): Promise<Result<T>> {
    let res: Response;
    try {
      res = await send(method, path, body, key);
    } catch {
      return { ok: false, error: { status: 0, code: 'network_error' } };
    }
    const json = await res.json().catch(() => null);
    if (res.ok) return { ok: true, data: json as T };
    const retry = Number(res.headers.get('Retry-After'));
    return {
      ok: false,
      error: { status: res.status, code: json?.error?.code ?? `http_${res.status}`, ...(retry > 0 ? { retryAfterS: retry } : {}) },
    };
  }

  return {
    get: <T>(path: string) => call<T>('GET', path),
    post: <T>(path: string, body: unknown, key?: string) => call<T>('POST', path, body, key),
    /** The raw response, for a caller that reads the body as a stream (the payment's event stream). */
    send,
  };
}

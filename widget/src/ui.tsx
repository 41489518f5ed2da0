// Shared pieces of the views: the widget context, translation, submit and paging hooks, small components.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { encode } from 'uqr';
import { newKey, type ApiError, type Client, type Result } from './api.js';
import type { Strings } from './i18n/en.js';

export interface Ctx {
  api: Client;
  s: Strings;
  lang: string;
}
export const WidgetContext = createContext<Ctx>(null as unknown as Ctx);

export type T = (key: keyof Strings, vars?: Record<string, string | number>) => string;

export function useT(): T {
  const { s } = useContext(WidgetContext);
  return (key, vars) => (s[key] ?? '').replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? ''));
}
export const useApi = () => useContext(WidgetContext).api;

/** Integer coins in the reader's locale (grouping only, never money arithmetic). */
export function useNum() {
  const { lang } = useContext(WidgetContext);
  return (n: number) => n.toLocaleString(lang);
}

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', GBP: '£', JPY: '¥', HKD: 'HK$' };
/** Shows a decimal string as it came from the server: no float conversion of money. */
export const money = (amount: string, currency: string) =>
  SYMBOLS[currency] ? `${SYMBOLS[currency]}${amount}` : `${amount} ${currency}`;

export function errorText(t: T, e: ApiError): string {
  if (e.code === 'rate_limited') return t('e_rate_limited', { s: e.retryAfterS ?? 5 });
  if (e.status === 403) return t('e_forbidden');
  if (e.code === 'validation_failed' || e.code === 'bad_request' || e.code === 'invalid_json') return t('e_invalid_request');
  return t(`e_${e.code}` as keyof Strings) || t('e_unknown', { c: e.code });
}

export function ErrorBox({ error, onRetry }: { error: ApiError | null; onRetry?: () => void }) {
  const t = useT();
  if (!error) return null;
  return (
    <div class="err" role="alert">
      {errorText(t, error)}
      {onRetry && (
        <button type="button" class="link" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

/** Loads one GET resource; `reload` fetches it again. */
export function useLoad<D>(path: string | null) {
  const api = useApi();
  const [state, setState] = useState<{ data?: D; error: ApiError | null }>({ error: null });
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    void api.get<D>(path).then((r) => live && setState(r.ok ? { data: r.data, error: null } : { error: r.error }));
    return () => {
      live = false;
    };
  }, [path, n]);
  return { ...state, set: (data: D) => setState({ data, error: null }), reload: () => setN(n + 1) };
}

/**
 * One user action that writes: refuses a second submit while one is in flight, and reuses the same
 * Idempotency-Key when the same payload is retried after a failure, so a retry is never a second charge.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const inFlight = useRef(false);
  const last = useRef<[string, string] | null>(null);
  async function run<D>(payload: unknown, fn: (key: string) => Promise<Result<D>>): Promise<D | undefined> {
    if (inFlight.current) return undefined;
    const sig = JSON.stringify(payload);
    const key = last.current?.[0] === sig ? last.current[1] : newKey();
    last.current = [sig, key];
    inFlight.current = true;
    setBusy(true);
    setError(null);
    const r = await fn(key);
    inFlight.current = false;
    setBusy(false);
    if (r.ok) {
      last.current = null;
      return r.data;
    }
    setError(r.error);
    return undefined;
  }
  return { busy, error, setError, run };
}

/** A cursor-paged list: `more()` appends the next page. */
export function usePaged<R>(path: string, field: string) {
  const api = useApi();
  const [rows, setRows] = useState<R[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  async function load(from: string | null, append: boolean) {
    setBusy(true);
    const r = await api.get<Record<string, unknown>>(path + (from ? `${path.includes('?') ? '&' : '?'}cursor=${from}` : ''));
    setBusy(false);
    if (!r.ok) return setError(r.error);
    setError(null);
    const got = (r.data[field] ?? []) as R[];
    setRows(append ? (prev) => [...prev, ...got] : got);
    setCursor((r.data['next_cursor'] as string | null) ?? null);
  }
  useEffect(() => {
    void load(null, false);
  }, [path]);
  return { rows, busy, error, more: cursor ? () => load(cursor, true) : null };
}

export function MoreButton({ more, busy }: { more: (() => unknown) | null; busy: boolean }) {
  const t = useT();
  return more ? (
    <button type="button" class="btn ghost" disabled={busy} onClick={more}>
      {busy ? t('loading') : t('loadMore')}
    </button>
  ) : null;
}

export const Loading = () => <p class="muted" role="status">{useT()('loading')}</p>;

export function Coin({ n }: { n: number }) {
  const num = useNum();
  return (
    <span class="coin">
      <i aria-hidden="true" />
      {num(n)}
    </span>
  );
}

export function CopyField({ label, value }: { label: string; value: string }) {
  const t = useT();
  const [done, setDone] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Without clipboard access (plain http, permissions) the text is selected for a manual copy.
      input.current?.select();
      return;
    }
    setDone(true);
    setTimeout(() => setDone(false), 2000);
  }
  return (
    <label class="field">
      <span>{label}</span>
      <span class="copy">
        <input ref={input} readOnly value={value} onFocus={(e) => (e.target as HTMLInputElement).select()} />
        <button type="button" class="btn ghost sm" onClick={copy} aria-label={`${t('copy')} ${label}`}>
          {done ? t('copied') : t('copy')}
        </button>
      </span>
    </label>
  );
}

/** The QR code drawn locally as one SVG path: the payment text never leaves the page. */
export function Qr({ text, label }: { text: string; label: string }) {
  const q = encode(text, { ecc: 'M', border: 2 });
  let d = '';
  q.data.forEach((row, y) => row.forEach((on, x) => on && (d += `M${x} ${y}h1v1h-1z`)));
  return (
    <svg class="qr" viewBox={`0 0 ${q.size} ${q.size}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect width="100%" height="100%" fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}

export function Card({ title, children, aside }: { title?: string; children: ComponentChildren; aside?: ComponentChildren }) {
  return (
    <section class="card">
      {title && (
        <header class="head">
          <h2>{title}</h2>
          {aside}
        </header>
      )}
      {children}
    </section>
  );
}

/** Ticks every second while mounted, for countdowns. */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  return now;
}

export const fmtDate = (iso: string, lang: string) => new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });

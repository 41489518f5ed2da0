// Shared pieces of the views: the widget context, translation, load/submit/paging hooks, small components.
import { createContext, type ComponentChildren } from 'preact';
import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { newKey, type ApiError, type Client, type Result } from './api.js';
import type { Strings } from './i18n/en.js';
import { qrEncode } from './qr.js';

export interface Ctx {
  api: Client;
  /** The reader's strings: a language's Strings plus any the bundle adds. */
  s: Record<string, string>;
  lang: string;
}
export const WidgetContext = createContext<Ctx>(null as unknown as Ctx);
export const useCtx = () => useContext(WidgetContext);

export type T = (key: keyof Strings | string, vars?: Record<string, string | number>) => string;

/** Translation with {name} placeholders; an unknown key gives '' so callers can fall back. */
export function useT(): T {
  const { s } = useCtx();
  return (key, vars) => (s[key] ?? '').replace(/\{(\w+)\}/g, (_, k: string) => String(vars?.[k] ?? ''));
}

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', GBP: '£' };
/** A decimal string shown exactly as the server sent it: money is never turned into a float. */
export const money = (amount: string, currency: string) => (SYMBOLS[currency] ?? '') + amount + (SYMBOLS[currency] ? '' : ` ${currency}`);

export const date = (iso: string, lang: string) => new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * A code's own message when it has one; otherwise one of a few texts per kind of status, so every code the sidecar
 * can return reads clearly (the rarer ones name their code for support).
 */
export function errorText(t: T, e: ApiError): string {
  const s = e.status;
  return t(`e_${e.code}`, { s: e.retryAfterS ?? 5 }) || t(`e_${s > 499 ? 500 : s == 403 || s == 404 ? s : 400}`, { c: e.code });
}

export function ErrorBox({ error, onRetry }: { error: ApiError | null | undefined; onRetry?: () => void }) {
  const t = useT();
  return error ? (
    <p class="er" role="alert">
      {errorText(t, error)}{' '}
      {onRetry && (
        <button type="button" class="ln" onClick={onRetry}>
          {t('retry')}
        </button>
      )}
    </p>
  ) : null;
}

/** Loads one GET resource; `reload` fetches it again, `set` replaces it with a fresher copy. */
export function useLoad<D>(path: string) {
  const { api } = useCtx();
  const [state, setState] = useState<{ data?: D; error?: ApiError }>({});
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    void api.get<D>(path).then((r) => live && setState(r.ok ? { data: r.data } : { error: r.error }));
    return () => {
      live = false;
    };
  }, [path, n]);
  return { ...state, set: (data: D) => setState({ data }), reload: () => setN(n + 1) };
}

/** The first render of a view while its resource loads or failed to. */
export function gate(l: { data?: unknown; error?: ApiError; reload: () => void }) {
  return l.data ? null : (
    <section class="c">{l.error ? <ErrorBox error={l.error} onRetry={l.reload} /> : <Wait />}</section>
  );
}

/**
 * One user action that writes: refuses a second submit while one is in flight, and reuses the same
 * Idempotency-Key when the same payload is retried after a failure, so a retry is never a second charge.
 */
export function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const last = useRef<[string, string, boolean] | null>(null);
  async function run<D>(payload: unknown, fn: (key: string) => Promise<Result<D>>): Promise<D | undefined> {
    const sig = JSON.stringify(payload);
    if (last.current?.[2]) return undefined;
    const key = last.current?.[0] === sig ? last.current[1] : newKey();
    last.current = [sig, key, true];
    setBusy(true);
    setError(null);
    const r = await fn(key);
    setBusy(false);
    last.current = r.ok ? null : [sig, key, false];
    if (!r.ok) setError(r.error);
    return r.ok ? r.data : undefined;
  }
  return { busy, error, run };
}

/** A cursor-paged list under `field`; `more` appends the next page, or is null on the last one. */
export function usePaged<R>(path: string, field: string) {
  const { api } = useCtx();
  const [st, setSt] = useState<{ rows: R[]; next?: string | null; busy?: boolean; error?: ApiError }>({ rows: [] });
  // A filter changed while a page was loading: the late answer belongs to the old list, drop it.
  const current = useRef(path);
  current.current = path;
  async function load(from?: string) {
    setSt((s) => ({ ...s, busy: true }));
    const r = await api.get<Record<string, never>>(path + (from ? `${path.includes('?') ? '&' : '?'}cursor=${from}` : ''));
    if (current.current !== path) return;
    setSt((s) => (r.ok ? { rows: [...(from ? s.rows : []), ...(r.data[field] ?? [])], next: r.data['next_cursor'] } : { ...s, busy: false, error: r.error }));
  }
  useEffect(() => {
    void load();
  }, [path]);
  return { ...st, more: st.next ? () => load(st.next!) : null };
}

export function More({ list }: { list: { more: (() => unknown) | null; busy?: boolean | undefined; error?: ApiError | undefined } }) {
  const t = useT();
  return (
    <>
      <ErrorBox error={list.error} />
      {list.more && (
        <button type="button" class="btn gh" disabled={list.busy} onClick={list.more}>
          {t('more')}
        </button>
      )}
    </>
  );
}

export const Wait = () => <p class="mu" role="status">{useT()('loading')}</p>;

export const Coin = ({ n }: { n: number }) => <span class="coin">{n}</span>;

/** A stable ref callback, so focus moves once when its element appears and never again on a re-render. */
export const grab = (el: HTMLElement | null) => el?.focus();

/** `focus` moves keyboard and screen-reader focus to the heading as the card appears. */
export function Card({
  title,
  aside,
  focus,
  children,
}: {
  title?: string | undefined;
  aside?: ComponentChildren;
  focus?: boolean;
  children: ComponentChildren;
}) {
  return (
    <section class="c">
      {title && (
        <div class="hd">
          <h2 tabIndex={-1} ref={focus ? grab : null}>
            {title}
          </h2>
          {aside}
        </div>
      )}
      {children}
    </section>
  );
}

export function Copy({ label, value }: { label: string; value: string }) {
  const t = useT();
  const [done, setDone] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <label class="f">
      <span>{label}</span>
      <span class="cp">
        <input ref={input} readOnly value={value} onFocus={() => input.current!.select()} />
        <button
          type="button"
          class="btn gh sm"
          aria-label={`${t('copy')}: ${label}`}
          onClick={() =>
            navigator.clipboard.writeText(value).then(
              () => {
                setDone(true);
                setTimeout(() => setDone(false), 2000);
              },
              // Without clipboard access (plain http, permissions) the text is selected for a manual copy.
              () => input.current!.select(),
            )
          }
        >
          {done ? t('copied') : t('copy')}
        </button>
      </span>
    </label>
  );
}

/** The QR code drawn locally as one SVG path, with a two-module quiet zone: the payment text never leaves the page. */
export function Qr({ text, label }: { text: string; label: string }) {
  const q = qrEncode(text);
  let d = '';
  q.forEach((row, y) => row.forEach((on, x) => on && (d += `M${x} ${y}h1v1h-1z`)));
  return (
    <svg class="qr" viewBox={`-2 -2 ${q.length + 4} ${q.length + 4}`} role="img" aria-label={label} shape-rendering="crispEdges">
      <rect x="-2" y="-2" width="100%" height="100%" fill="#fff" />
      <path d={d} />
    </svg>
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

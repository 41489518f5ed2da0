// Shared pieces of the views: the widget context, translation, load/submit/paging hooks, small components.
import { createContext, type Attributes, type ComponentChildren, type ComponentType } from 'preact';
import { useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { newKey, type ApiError, type Client, type Result } from './api.js';
import type { Strings } from './i18n/en.js';

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

/**
 * A view kept in its own chunk, fetched the first time it is rendered (or when `load` is called ahead of that, say while
 * the request it follows is in flight); a wait card stands in meanwhile, and a failed fetch offers a retry.
 */
export function lazy<P>(load: () => Promise<ComponentType<P>>) {
  let got: Promise<unknown> | undefined;
  let Loaded: ComponentType<P> | undefined;
  const get = () =>
    (got ??= load().then(
      (c) => (Loaded = c),
      (e: unknown) => {
        got = undefined;
        throw e;
      },
    ));
  function Lazy(props: P & Attributes) {
    const [failed, setFailed] = useState(false);
    const [, setReady] = useState(false);
    // Also when the chunk is already in (a resolved fetch answers at once): one that lands between the placeholder's
    // paint and this effect (the view asked for it early) must still swap the placeholder out.
    useEffect(() => {
      if (!failed) get().then(() => setReady(true), () => setFailed(true));
    }, [failed]);
    if (Loaded) return <Loaded {...props} />;
    return <section class="c">{failed ? <ErrorBox error={{ status: 0, code: 'network_error' }} onRetry={() => setFailed(false)} /> : <Wait />}</section>;
  }
  Lazy.load = get;
  return Lazy;
}

/** A view whose own strings, as [en, zh-CN] pairs, travel in its chunk rather than in every reader's language file. */
export function withStrings<P extends object>(pairs: Record<string, [string, string]>, View: ComponentType<P>) {
  return function WithStrings(props: P) {
    const ctx = useCtx();
    const value = useMemo(() => {
      const s = { ...ctx.s };
      for (const k in pairs) s[k] = pairs[k]![+(ctx.lang == 'zh-CN')]!;
      return { ...ctx, s };
    }, [ctx]);
    return (
      <WidgetContext.Provider value={value}>
        <View {...props} />
      </WidgetContext.Provider>
    );
  };
}

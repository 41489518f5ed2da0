// Wallet: the balance, the paged coin history, and tabs for my payments, what I bought and the in-site notifications.
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError, LedgerEntry, Wallet as WalletT } from '../api.js';
import { walletStrings } from '../i18n/wallet.js';
import { Card, Coin, ErrorBox, lazy, useCtx, useLoad, useT, Wait, withStrings, type T } from '../ui.js';
import css from './wallet.css?inline';

/** Rows per page of each list: the first screen stays about as tall as the space the page reserved for it. */
const PAGE_ROWS = 5;

export const date = (iso: string, lang: string) => new Date(iso).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' });

// Only a reader who chooses to recharge fetches the recharge view.
const Recharge = lazy(() => import('./Recharge.js').then((m) => m.Recharge));

/**
 * A cursor-paged list under `field`; `more` appends the next page, or is null on the last one; `next` is undefined until
 * the first page has arrived; `last` is the latest page's whole answer (for counts beside the list).
 */
export function usePaged<R>(path: string, field: string) {
  const { api } = useCtx();
  const [st, setSt] = useState<{ rows: R[]; next?: string | null; busy?: boolean; error?: ApiError; last?: Record<string, unknown> }>({ rows: [] });
  // A filter changed while a page was loading: the late answer belongs to the old list, drop it.
  const current = useRef(path);
  current.current = path;
  async function load(from?: string) {
    setSt((s) => ({ ...s, busy: true }));
    const r = await api.get<Record<string, never>>(path + (from ? `${path.includes('?') ? '&' : '?'}cursor=${from}` : ''));
    if (current.current !== path) return;
    setSt((s) => (r.ok ? { rows: [...(from ? s.rows : []), ...(r.data[field] ?? [])], next: r.data['next_cursor'], last: r.data } : { ...s, busy: false, error: r.error }));
  }
  useEffect(() => {
    void load();
  }, [path]);
  return { ...st, more: st.next ? () => load(st.next!) : null, reload: () => load() };
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

/** A ledger row's memo in the reader's language: its code's text, else its title or reason as written; a row without a code, its stored text. */
function memo(t: T, e: LedgerEntry): string | null {
  const p = e.memo_params ?? {};
  return e.memo_code ? t(`m_${e.memo_code}`, p) || String(p['title'] ?? p['reason'] ?? '') : e.memo;
}

export function History({ rows, admin }: { rows: LedgerEntry[]; admin?: boolean }) {
  const t = useT();
  const { lang } = useCtx();
  return rows.length ? (
    <ul>
      {rows.map((e) => {
        const m = memo(t, e);
        return (
          <li key={e.id}>
            <span>
              <b>{t(`k_${e.kind}`) || e.kind}</b>
              {admin && ` · #${e.user_id}`}
              {m && <span class="mu"> · {m}</span>}
              <br />
              <small class="mu">{date(e.created_at, lang)}</small>
            </span>
            <b class={e.delta_coins > 0 ? 'plus' : ''}>
              {e.delta_coins > 0 ? '+' : ''}
              {e.delta_coins}
            </b>
          </li>
        );
      })}
    </ul>
  ) : (
    <p class="mu">{t('none')}</p>
  );
}

export type Paged<R> = ReturnType<typeof usePaged<R>>;
/** Replaces the wallet with another screen (a recharge, a reopened payment), or with null brings the wallet back. */
export type Go = (screen: VNode | null) => void;

// The tabs after the first are fetched when opened, so the wallet's first load carries only the balance and history.
const tab = (name: 'Payments' | 'Bought' | 'Notes') => lazy(() => import('./WalletTabs.js').then((m) => m[name]));
const TABS = { payments: tab('Payments'), bought: tab('Bought'), notes: tab('Notes') };

function WalletView() {
  const t = useT();
  const w = useLoad<WalletT>('/api/wallet');
  const m = w.data?.vip;
  const { lang } = useCtx();
  const history = usePaged<LedgerEntry>(`/api/ledger?limit=${PAGE_ROWS}`, 'entries');
  const [open, setOpen] = useState<'history' | keyof typeof TABS>('history');
  const [screen, go] = useState<VNode | null>(null);
  if (screen) return screen;
  // The cards appear together once their first answers are in: filled one by one, each would push the next down.
  const waiting = !(w.data || w.error) || (history.next === undefined && !history.error);
  // The unread count comes with the wallet; the notifications themselves with their tab.
  const n = w.data?.unread_notifications;
  const Tab = open != 'history' && TABS[open];
  return (
    <>
      {waiting ? (
        <section class="c">
          <Wait />
        </section>
      ) : (
        <>
          <Card>
            <ErrorBox error={w.error} onRetry={w.reload} />
            <div class="hero">
              <div>
                <p class="mu">{t('balance')}</p>
                <p class="big">{w.data ? <Coin n={w.data.balance} /> : '…'}</p>
                {/* No words to translate: the owner's tier title and a date in the reader's format. */}
                {m && <p class="ok">VIP {m.tier} {m.expires_at && '→ ' + date(m.expires_at, lang)}</p>}
              </div>
              <button type="button" class="btn" onClick={() => go(<Recharge onCancel={() => go(null)} />)}>
                {t('recharge')}
              </button>
            </div>
          </Card>
          <section class="c">
            <div class="wt" role="tablist">
              {(['history', 'payments', 'bought', 'notes'] as const).map((k) => (
                <button type="button" role="tab" aria-selected={open == k} class={open == k ? 'ln on' : 'ln'} onClick={() => setOpen(k)}>
                  {t(k)}
                  {k == 'notes' && !!n && ` (${n > 99 ? '99+' : n})`}
                </button>
              ))}
            </div>
            {Tab ? (
              <Tab go={go} onRead={w.reload} />
            ) : (
              <>
                <History rows={history.rows} />
                <More list={history} />
              </>
            )}
          </section>
        </>
      )}
      <style>{css}</style>
    </>
  );
}

export const Wallet = withStrings(walletStrings, WalletView);

/** The name goldcoin.js loads every view by. */
export { Wallet as view };

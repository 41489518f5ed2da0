// Wallet: the balance, the paged coin history and the in-site notifications.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError, LedgerEntry, Notification, Wallet as WalletT } from '../api.js';
import { walletStrings } from '../i18n/wallet.js';
import { Card, Coin, ErrorBox, lazy, useCtx, useLoad, useSubmit, useT, Wait, withStrings } from '../ui.js';
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

export function History({ rows, admin }: { rows: LedgerEntry[]; admin?: boolean }) {
  const t = useT();
  const { lang } = useCtx();
  return rows.length ? (
    <ul>
      {rows.map((e) => (
        <li key={e.id}>
          <span>
            <b>{t(`k_${e.kind}`) || e.kind}</b>
            {admin && ` · #${e.user_id}`}
            {e.memo && <span class="mu"> · {e.memo}</span>}
            <br />
            <small class="mu">{date(e.created_at, lang)}</small>
          </span>
          <b class={e.delta_coins > 0 ? 'plus' : ''}>
            {e.delta_coins > 0 ? '+' : ''}
            {e.delta_coins}
          </b>
        </li>
      ))}
    </ul>
  ) : (
    <p class="mu">{t('none')}</p>
  );
}

type Paged<R> = ReturnType<typeof usePaged<R>>;

function Notes({ list }: { list: Paged<Notification> }) {
  const t = useT();
  const { api, lang } = useCtx();
  const mark = useSubmit();
  const unread = Number(list.last?.['unread_count'] ?? 0);
  return (
    <Card
      title={t('notes')}
      aside={
        !!unread && (
          <button type="button" class="ln" disabled={mark.busy} onClick={() => mark.run(1, () => api.post('/api/notifications/read', { all: true })).then(list.reload)}>
            {t('read')} ({unread})
          </button>
        )
      }
    >
      <ErrorBox error={mark.error} />
      {list.rows.length ? (
        <ul>
          {list.rows.map((x) => (
            <li key={x.id}>
              <span>
                {!x.read_at && <span class="dot" aria-hidden="true" />}
                <b>{x.title}</b>
                <br />
                {x.body}
                <br />
                <small class="mu">{date(x.created_at, lang)}</small>
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="mu">{t('none')}</p>
      )}
      <More list={list} />
    </Card>
  );
}

function WalletView() {
  const t = useT();
  const w = useLoad<WalletT>('/api/wallet');
  const m = w.data?.vip;
  const { lang } = useCtx();
  const history = usePaged<LedgerEntry>(`/api/ledger?limit=${PAGE_ROWS}`, 'entries');
  const notes = usePaged<Notification>(`/api/notifications?limit=${PAGE_ROWS}`, 'notifications');
  const [recharging, setRecharging] = useState(false);
  if (recharging) return <Recharge onCancel={() => setRecharging(false)} />;
  // The three cards appear together once their first answers are in: filled one by one, each would push the next down.
  const waiting = !(w.data || w.error) || [history, notes].some((l) => l.next === undefined && !l.error);
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
              <button type="button" class="btn" onClick={() => setRecharging(true)}>
                {t('recharge')}
              </button>
            </div>
          </Card>
          <Card title={t('history')}>
            <History rows={history.rows} />
            <More list={history} />
          </Card>
          <Notes list={notes} />
        </>
      )}
      <style>{css}</style>
    </>
  );
}

export const Wallet = withStrings(walletStrings, WalletView);

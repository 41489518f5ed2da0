// Wallet: the balance, the paged coin history and the in-site notifications.
import { useState } from 'preact/hooks';
import type { LedgerEntry, Notification, Wallet as WalletT } from '../api.js';
import { Card, Coin, date, ErrorBox, More, useCtx, useLoad, usePaged, useSubmit, useT } from '../ui.js';
import { Recharge } from './Recharge.js';

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

function Notes() {
  const t = useT();
  const { api, lang } = useCtx();
  const n = useLoad<{ notifications: Notification[]; unread_count: number }>('/api/notifications');
  const mark = useSubmit();
  const list = n.data?.notifications ?? [];
  return (
    <Card
      title={t('notes')}
      aside={
        !!n.data?.unread_count && (
          <button type="button" class="ln" disabled={mark.busy} onClick={() => mark.run(1, () => api.post('/api/notifications/read', { all: true })).then(n.reload)}>
            {t('read')} ({n.data.unread_count})
          </button>
        )
      }
    >
      <ErrorBox error={n.error ?? mark.error} onRetry={n.reload} />
      {list.length ? (
        <ul>
          {list.map((x) => (
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
    </Card>
  );
}

export function Wallet() {
  const t = useT();
  const w = useLoad<WalletT>('/api/wallet');
  const history = usePaged<LedgerEntry>('/api/ledger?limit=20', 'entries');
  const [recharging, setRecharging] = useState(false);
  if (recharging) return <Recharge onCancel={() => setRecharging(false)} />;
  return (
    <>
      <Card>
        <ErrorBox error={w.error} onRetry={w.reload} />
        <div class="hero">
          <div>
            <p class="mu">{t('balance')}</p>
            <p class="big">{w.data ? <Coin n={w.data.balance} /> : '…'}</p>
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
      <Notes />
    </>
  );
}

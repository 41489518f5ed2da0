// The wallet's tabs fetched when opened: my payments (a pending one reopened in the payment view, a receipt for a
// credited one, why one failed with a new one offered), what I bought (posts with their downloads, redeemed rewards with
// their codes and links, memberships running and ended) and the notifications.
import type { VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { Notification, OwnedPost, Recharge as RechargeT, Redemption, VipPurchase } from '../api.js';
import { Copy } from '../copy.js';
import { walletTabStrings } from '../i18n/wallet-tabs.js';
import { Coin, ErrorBox, lazy, money, useCtx, useSubmit, useT, withStrings } from '../ui.js';
import { date, More, usePaged, type Go } from './Wallet.js';
import css from './wallet-tabs.css?inline';

const Payment = lazy(() => import('./Payment.js').then((m) => m.Payment));
const Recharge = lazy(() => import('./Recharge.js').then((m) => m.Recharge));

export interface TabProps {
  go: Go;
  /** Called once notifications were marked read, so the tab's count follows. */
  onRead: () => void;
}

const ROWS = 5;
const FAILURES = ['expired', 'provider_failed', 'provider_unavailable', 'abandoned'];

/** Starts a new recharge in the wallet's place; cancelling it brings the wallet back. */
const recharge = (go: Go) => go(<Recharge onCancel={() => go(null)} />);

function PaymentRow({ r, go }: { r: RechargeT; go: Go }) {
  const t = useT();
  const { lang } = useCtx();
  const [shown, setShown] = useState(false);
  const state = r.on_hold ? 'review' : r.status;
  const coins = r.status == 'completed' ? r.coins_credited + r.bonus_credited : r.coins + r.bonus_coins;
  const reopen = () => go(<Payment r={r} onDone={() => go(null)} onRestart={() => recharge(go)} />);
  return (
    <li>
      <span>
        <b>
          <Coin n={coins} />
        </b>{' '}
        <span class="mu">· {money(r.price.amount, r.price.currency)}</span>
        <br />
        <small class="mu">{r.created_at && date(r.created_at, lang)}</small>
        {shown && r.status == 'completed' && (
          <dl>
            <dt>{t('credited')}</dt>
            <dd>
              <Coin n={r.coins_credited} />
              {!!r.bonus_credited && ` + ${r.bonus_credited}`}
            </dd>
            <dt>{t('price')}</dt>
            <dd>{money(r.price.amount, r.price.currency)}</dd>
            {r.payment.amount && (
              <>
                <dt>{t('paid')}</dt>
                <dd>
                  {r.payment.received_amount ?? r.payment.amount} {r.payment.currency}
                </dd>
              </>
            )}
            {r.payment.txn_id && (
              <>
                <dt>{t('txn')}</dt>
                <dd class="mono">{r.payment.txn_id}</dd>
              </>
            )}
            {r.completed_at && (
              <>
                <dt>{t('when')}</dt>
                <dd>{date(r.completed_at, lang)}</dd>
              </>
            )}
          </dl>
        )}
        {shown && r.status == 'failed' && (
          <p class="sm">
            {t(`f_${FAILURES.includes(r.failed_reason ?? '') ? r.failed_reason : 'other'}`)}{' '}
            <button type="button" class="ln" onClick={() => recharge(go)}>
              {t('again')}
            </button>
          </p>
        )}
        {state == 'review' && <p class="sm mu">{t('review')}</p>}
      </span>
      {state == 'pending' ? (
        <button type="button" class="btn sm" onClick={reopen}>
          {t('open')}
        </button>
      ) : (
        <button type="button" class={`st ${state}`} aria-expanded={shown} onClick={() => setShown(!shown)}>
          {t(`s_${state}`)} {shown ? '▴' : '▾'}
        </button>
      )}
    </li>
  );
}

function PaymentsTab({ go }: TabProps) {
  const t = useT();
  const list = usePaged<RechargeT>(`/api/recharges?limit=${ROWS}`, 'recharges');
  return (
    <>
      {list.rows.length ? (
        <ul>
          {list.rows.map((r) => (
            <PaymentRow key={r.id} r={r} go={go} />
          ))}
        </ul>
      ) : (
        list.next !== undefined && <p class="mu">{t('none')}</p>
      )}
      <More list={list} />
    </>
  );
}

function PostRow({ p }: { p: OwnedPost }) {
  const t = useT();
  const { api, lang } = useCtx();
  const dl = useSubmit();
  async function download() {
    const r = await dl.run(p.post_id, () => api.post<{ url: string }>(`/api/posts/${p.post_id}/download`, {}));
    if (r) location.assign(r.url);
  }
  return (
    <li>
      <span>
        <a href={p.url}>{p.title ?? `#${p.post_id}`}</a>
        <br />
        <small class="mu">{!p.active ? t('ended') : p.access_until ? t('until', { d: date(p.access_until, lang) }) : t('forever')}</small>
        <ErrorBox error={dl.error} />
      </span>
      {p.file_name && p.active && (
        <button type="button" class="btn gh sm" disabled={dl.busy} onClick={download} aria-label={`${t('download')}: ${p.file_name}`}>
          {t('download')}
        </button>
      )}
    </li>
  );
}

function RewardRow({ r }: { r: Redemption['redemption'] }) {
  const t = useT();
  const { lang } = useCtx();
  const f = r.fulfilment;
  const title = r.reward_title ?? r.reward_key;
  return (
    <li>
      <span>
        {/* A link reward reads as its title, never as the raw address. */}
        {f.type == 'link' ? (
          <a href={f.value} target="_blank" rel="noopener">
            {title}
          </a>
        ) : (
          <b>{title}</b>
        )}
        <br />
        <small class="mu">{date(r.created_at, lang)}</small>
        {f.type == 'code' && <Copy label={t('code')} value={f.value} />}
      </span>
    </li>
  );
}

/** One membership period bought: its tier, from and until, and whether it runs, is still to come or has ended. */
function VipRow({ p }: { p: VipPurchase }) {
  const t = useT();
  const { lang } = useCtx();
  const day = (iso: string) => new Date(iso).toLocaleDateString(lang, { dateStyle: 'medium' });
  return (
    <li>
      <span>
        <b>{p.tier_title ?? p.tier_key}</b>
        <br />
        <small class="mu">{p.ends_at ? t('span', { a: day(p.starts_at), b: day(p.ends_at) }) : `${day(p.starts_at)} · ${t('forever')}`}</small>
      </span>
      <span class={`st v${p.state}`}>{t(`v_${p.state}`)}</span>
    </li>
  );
}

function BoughtTab() {
  const t = useT();
  const vip = usePaged<VipPurchase>(`/api/vip/purchases?limit=${ROWS}`, 'purchases');
  const posts = usePaged<OwnedPost>(`/api/posts?limit=${ROWS}`, 'posts');
  const rewards = usePaged<Redemption['redemption']>(`/api/rewards/redemptions?limit=${ROWS}`, 'redemptions');
  return (
    <>
      <h3>{t('vip')}</h3>
      {vip.rows.length ? (
        <ul class="vip">
          {vip.rows.map((p) => (
            <VipRow key={p.id} p={p} />
          ))}
        </ul>
      ) : (
        vip.next !== undefined && <p class="mu">{t('none')}</p>
      )}
      <More list={vip} />
      <h3>{t('posts')}</h3>
      {posts.rows.length ? (
        <ul>
          {posts.rows.map((p) => (
            <PostRow key={p.post_id} p={p} />
          ))}
        </ul>
      ) : (
        posts.next !== undefined && <p class="mu">{t('none')}</p>
      )}
      <More list={posts} />
      <h3>{t('rewards')}</h3>
      {rewards.rows.length ? (
        <ul>
          {rewards.rows.map((r) => (
            <RewardRow key={r.id} r={r} />
          ))}
        </ul>
      ) : (
        rewards.next !== undefined && <p class="mu">{t('none')}</p>
      )}
      <More list={rewards} />
    </>
  );
}

function NotesTab({ onRead }: TabProps) {
  const t = useT();
  const { api, lang } = useCtx();
  const list = usePaged<Notification>(`/api/notifications?limit=${ROWS}`, 'notifications');
  const mark = useSubmit();
  const unread = Number(list.last?.['unread_count'] ?? 0);
  const read = () =>
    mark.run(1, () => api.post('/api/notifications/read', { all: true })).then(() => {
      list.reload();
      onRead();
    });
  return (
    <>
      {!!unread && (
        <button type="button" class="ln" disabled={mark.busy} onClick={read}>
          {t('read')} ({unread})
        </button>
      )}
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
        list.next !== undefined && <p class="mu">{t('none')}</p>
      )}
      <More list={list} />
    </>
  );
}

/** A tab with this chunk's strings and styles. */
const tab = (View: (p: TabProps) => VNode) =>
  withStrings(walletTabStrings, (p: TabProps) => (
    <>
      <View {...p} />
      <style>{css}</style>
    </>
  ));

export const Payments = tab(PaymentsTab);
export const Bought = tab(BoughtTab);
export const Notes = tab(NotesTab);

// VIP: the tiers on sale, the reader's membership and its expiry, buying or renewing one with coins.
import { useState } from 'preact/hooks';
import type { Bought, VipState } from '../api.js';
import { vipStrings } from '../i18n/vip.js';
import { Card, Coin, ErrorBox, gate, lazy, useCtx, useLoad, useSubmit, useT, withStrings } from '../ui.js';
import css from './vip.css?inline';

/** A day in the reader's own date format. */
const day = (iso: string, lang: string) => new Date(iso).toLocaleDateString(lang);

const Recharge = lazy(() => import('./Recharge.js').then((m) => m.Recharge));

function VipView() {
  const t = useT();
  const { api, lang } = useCtx();
  const state = useLoad<VipState>('/api/vip');
  const submit = useSubmit();
  const [active, setActive] = useState<string>();
  const [done, setDone] = useState<Bought['membership']>();
  const [need, setNeed] = useState(0);
  const v = state.data;
  if (!v) return gate(state);
  if (need > 0) {
    const back = () => {
      setNeed(0);
      state.reload();
    };
    return <Recharge need={need} onDone={back} onCancel={back} />;
  }
  const m = v.membership;
  const lifetime = m?.active && m.expires_at === null;

  async function buy(key: string) {
    setActive(key);
    setDone(undefined);
    const r = await submit.run(key, (k) => api.post<Bought>(`/api/vip/${encodeURIComponent(key)}/buy`, {}, k));
    if (r) {
      setDone(r.membership);
      state.set({ ...v!, membership: r.membership, balance: r.balance });
    }
  }

  return (
    <Card
      title={t('vip')}
      aside={
        <span class="mu">
          {t('balance')} <Coin n={v.balance} />
        </span>
      }
    >
      {m && (
        <p class={m.active ? 'ok' : 'mu'} role="status">
          {t('yours', { t: m.tier_title ?? m.tier_key })} ·{' '}
          {m.expires_at === null ? t('forever') : t(m.active ? 'until' : 'ended', { d: day(m.expires_at, lang) })}
        </p>
      )}
      {done && <p class="ok">✓ {done.expires_at ? t('bought', { d: day(done.expires_at, lang) }) : t('boughtForever')}</p>}
      <ul>
        {v.tiers.map((tier) => {
          const short = tier.price_coins - v.balance;
          const renew = m?.active && m.tier_key === tier.key;
          return (
            <li key={tier.key}>
              <span>
                <b>{tier.title}</b>
                <br />
                <span class="mu">
                  {tier.days === 0 ? t('lifetime') : t('days', { n: tier.days })}
                  {tier.daily_downloads !== null && ` · ${t('dl', { n: tier.daily_downloads })}`}
                </span>
                {active === tier.key && <ErrorBox error={submit.error} />}
              </span>
              <button
                type="button"
                class="btn sm"
                disabled={submit.busy || !!lifetime}
                onClick={() => (short > 0 ? setNeed(short) : buy(tier.key))}
                aria-label={`${t(renew ? 'renew' : 'buy', { n: tier.price_coins })}: ${tier.title}`}
              >
                {submit.busy && active === tier.key ? t('loading') : short > 0 ? t('short', { n: short }) : t(renew ? 'renew' : 'buy', { n: tier.price_coins })}
              </button>
            </li>
          );
        })}
      </ul>
      {!v.tiers.length && <p class="mu">{t('none')}</p>}
      {/* Last, so no sibling rule counts it. */}
      <style>{css}</style>
    </Card>
  );
}

export const Vip = withStrings(vipStrings, VipView);

/** The name goldcoin.js loads every view by. */
export { Vip as view };

// Redeem: the rewards catalog with balance checks, and the fulfilment shown once redeemed.
import { useState } from 'preact/hooks';
import type { Redemption, Reward } from '../api.js';
import { redeemStrings } from '../i18n/redeem.js';
import { Card, Coin, ErrorBox, gate, lazy, useCtx, useLoad, useSubmit, useT, withStrings } from '../ui.js';
import css from './redeem.css?inline';

// Needed only once a code has been redeemed: not part of the catalog's first load.
const Copy = lazy(() => import('../copy.js').then((m) => m.Copy));

function RedeemView() {
  const t = useT();
  const { api } = useCtx();
  const cat = useLoad<{ rewards: Reward[]; balance: number }>('/api/rewards');
  const submit = useSubmit();
  const [active, setActive] = useState<string>();
  const [got, setGot] = useState<Redemption['redemption']>();
  const c = cat.data;
  if (!c) return gate(cat);

  async function redeem(r: Reward) {
    setActive(r.key);
    setGot(undefined);
    const res = await submit.run(r.key, (key) => api.post<Redemption>(`/api/rewards/${encodeURIComponent(r.key)}/redeem`, {}, key));
    if (res) {
      setGot(res.redemption);
      cat.set({
        balance: res.balance,
        rewards: c!.rewards.map((x) => (x.key === r.key ? { ...x, redeemed_by_me: x.redeemed_by_me + 1, stock_left: x.stock_left && x.stock_left - 1 } : x)),
      });
    }
  }

  const f = got?.fulfilment;
  return (
    <Card
      title={t('rewards')}
      aside={
        <span class="mu">
          {t('balance')} <Coin n={c.balance} />
        </span>
      }
    >
      {f && (
        <div class="done" role="status">
          <h2>✓ {t('reward')}</h2>
          {f.type === 'link' ? (
            // The reward's title reads better than its URL, which the browser shows on hover anyway.
            <a class="btn" href={f.value} target="_blank" rel="noopener">
              {c.rewards.find((x) => x.key === active)?.title ?? f.value}
            </a>
          ) : f.type === 'code' ? (
            <Copy label={t('reward')} value={f.value} />
          ) : (
            <p>{f.value}</p>
          )}
        </div>
      )}
      <ul>
        {c.rewards.map((r) => {
          const soldOut = r.stock_left !== null && r.stock_left <= 0;
          const limited = r.per_user_limit !== null && r.redeemed_by_me >= r.per_user_limit;
          const need = r.cost_coins - c.balance;
          return (
            <li key={r.key}>
              <span>
                <b>{r.title}</b>
                {r.stock_left !== null && !soldOut && <span class="bg">{t('left', { n: r.stock_left })}</span>}
                <br />
                <span class="mu">{r.description}</span>
                {active === r.key && <ErrorBox error={submit.error} />}
              </span>
              <button
                type="button"
                class="btn sm"
                disabled={soldOut || limited || need > 0 || submit.busy}
                onClick={() => redeem(r)}
                aria-label={`${t('redeem', { n: r.cost_coins })}: ${r.title}`}
              >
                {submit.busy && active === r.key
                  ? t('loading')
                  : soldOut
                    ? t('soldOut')
                    : limited
                      ? t('limit')
                      : need > 0
                        ? t('short', { n: need })
                        : t('redeem', { n: r.cost_coins })}
              </button>
            </li>
          );
        })}
      </ul>
      {!c.rewards.length && <p class="mu">{t('none')}</p>}
      {/* Last, so no sibling rule counts it: a style element takes no room but is still an element. */}
      <style>{css}</style>
    </Card>
  );
}

export const Redeem = withStrings(redeemStrings, RedeemView);

/** The name goldcoin.js loads every view by. */
export { Redeem as view };

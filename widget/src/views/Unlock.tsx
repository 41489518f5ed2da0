// Unlock: the post's price and the balance, one button to unlock, an inline recharge when short, then the download and
// the post's premium content put in place on the page.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiError, Post, Unlocked } from '../api.js';
import { unlockStrings } from '../i18n/unlock.js';
import { Card, Coin, ErrorBox, gate, lazy, useCtx, useLoad, useSubmit, useT, withStrings } from '../ui.js';

// Only a reader who chooses to recharge fetches the recharge view.
const Recharge = lazy(() => import('./Recharge.js').then((m) => m.Recharge));

/** What follows an unlock (the premium parts put in place, the EA's licence key): its own chunk, fetched once unlocked. */
type AfterView = ComponentType<{ postId: string; licence: boolean }>;

function UnlockView({ postId }: { postId: string }) {
  const t = useT();
  const { api, lang } = useCtx();
  const path = `/api/posts/${encodeURIComponent(postId)}`;
  const post = useLoad<Post>(path);
  const act = useSubmit();
  const [recharging, setRecharging] = useState(false);
  const p = post.data;
  const [After, setAfter] = useState<AfterView>();
  useEffect(() => {
    if (p?.unlocked)
      import('../unlocked.js').then(
        (m) => setAfter(() => m.After),
        () => setAfter(() => () => <ErrorBox error={{ status: 0, code: 'network_error' }} />),
      );
  }, [p?.unlocked]);
  if (!p) return gate(post);
  const raised = act.error?.code === 'price_changed';
  // What this reader pays: a member's price when the post has VIP terms; null when only members may unlock.
  const price = p.your_price_coins;
  const membersOnly = !p.unlocked && price === null;
  const short = price === null ? 0 : price - p.balance;
  const until = p.access_until ? new Date(p.access_until).toLocaleDateString(lang) : null;

  if (recharging) {
    const back = () => {
      setRecharging(false);
      post.reload();
    };
    return <Recharge need={short} onDone={back} onCancel={back} />;
  }

  async function go() {
    if (p!.unlocked) {
      const r = await act.run('download', () => api.post<{ url: string }>(`${path}/download`, {}));
      if (r) location.assign(r.url);
    } else {
      // The price shown is the most this click may spend: a raise since comes back as 409 price_changed.
      const body = price === null ? {} : { expected_price_coins: price };
      let refused: ApiError | undefined;
      const r = await act.run(body, async (key) => {
        const res = await api.post<Unlocked>(`${path}/unlock`, body, key);
        if (!res.ok) refused = res.error;
        return res;
      });
      const raisedTo = refused?.code === 'price_changed' ? refused.details?.['price_coins'] : undefined;
      if (r) post.set({ ...p!, unlocked: true, balance: r.balance, access_until: r.access_until });
      // The refusal carries the new price: showing it and asking again needs no extra request.
      else if (typeof raisedTo === 'number') post.set({ ...p!, your_price_coins: raisedTo });
      // A 402 means the balance changed elsewhere: reloading shows the new shortfall.
      else post.reload();
    }
  }

  return (
    <Card title={p.title}>
      <dl>
        {p.price_coins > 0 && (
          <>
            <dt>{t('price')}</dt>
            <dd>{price !== null && price < p.price_coins ? <s><Coin n={p.price_coins} /></s> : <Coin n={p.price_coins} />}</dd>
          </>
        )}
        {p.vip && (
          <>
            <dt>VIP</dt>
            <dd>
              {p.vip.mode === 'free' ? t('vipFree') : p.vip.mode === 'only' ? t('vipOnly') : <>{t('vipPrice')} <Coin n={p.vip.price_coins ?? 0} /></>}
            </dd>
          </>
        )}
        {p.access_days !== null && !p.unlocked && (
          <>
            <dt>{t('access')}</dt>
            <dd>{t('days', { n: p.access_days })}</dd>
          </>
        )}
        <dt>{t('balance')}</dt>
        <dd>
          <Coin n={p.balance} />
        </dd>
      </dl>
      {p.unlocked && <p class="ok">✓ {until ? t('until', { d: until }) : t('unlocked')}</p>}
      {membersOnly && (
        <p class="wa" role="status">
          {t('e_vip_required')}
        </p>
      )}
      {After && <After postId={postId} licence={p.licence} />}
      {!p.unlocked && short > 0 && (
        <p class="wa" role="status">
          {t('short', { n: short })}
        </p>
      )}
      {raised && price !== null && (
        <p class="wa" role="alert">
          {t('priceChanged', { n: price })}
        </p>
      )}
      <ErrorBox error={act.error?.code === 'insufficient_coins' || raised || (membersOnly && act.error?.code === 'vip_required') ? null : act.error} />
      {/* A premium post without an EA file has nothing to download once unlocked. */}
      {((!p.unlocked && !membersOnly) || (p.unlocked && p.file_name)) && (
        <button type="button" class="btn wd" disabled={act.busy} onClick={!p.unlocked && short > 0 ? () => setRecharging(true) : go}>
          {act.busy
            ? t('loading')
            : p.unlocked
              ? t('download', { f: p.file_name! })
              : short > 0
                ? t('topUp')
                : price === 0
                  ? t('unlockFree')
                  : t('unlock', { n: price! })}
        </button>
      )}
    </Card>
  );
}

export const Unlock = withStrings(unlockStrings, UnlockView);

/** The name goldcoin.js loads every view by. */
export { Unlock as view };

// Unlock: the post's price and the balance, one button to unlock, an inline recharge when short, then the download.
import { useState } from 'preact/hooks';
import type { Post } from '../api.js';
import { unlockStrings } from '../i18n/unlock.js';
import { Card, Coin, ErrorBox, gate, lazy, useCtx, useLoad, useSubmit, useT, withStrings } from '../ui.js';

// Only a reader who chooses to recharge fetches the recharge view.
const Recharge = lazy(() => import('./Recharge.js').then((m) => m.Recharge));

function UnlockView({ postId }: { postId: string }) {
  const t = useT();
  const { api } = useCtx();
  const path = `/api/posts/${encodeURIComponent(postId)}`;
  const post = useLoad<Post>(path);
  const act = useSubmit();
  const [recharging, setRecharging] = useState(false);
  const p = post.data;
  if (!p) return gate(post);
  const short = p.price_coins - p.balance;

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
      const r = await act.run('unlock', (key) => api.post<{ balance: number }>(`${path}/unlock`, {}, key));
      // A 402 here means the balance changed elsewhere: reloading shows the new shortfall.
      if (r) post.set({ ...p!, unlocked: true, balance: r.balance });
      else post.reload();
    }
  }

  return (
    <Card title={p.title}>
      <dl>
        <dt>{t('price')}</dt>
        <dd>
          <Coin n={p.price_coins} />
        </dd>
        <dt>{t('balance')}</dt>
        <dd>
          <Coin n={p.balance} />
        </dd>
      </dl>
      {p.unlocked && <p class="ok">✓ {t('unlocked')}</p>}
      {!p.unlocked && short > 0 && (
        <p class="wa" role="status">
          {t('short', { n: short })}
        </p>
      )}
      <ErrorBox error={act.error?.code === 'insufficient_coins' ? null : act.error} />
      {/* A premium post without an EA file has nothing to download once unlocked. */}
      {(!p.unlocked || p.file_name) && (
        <button type="button" class="btn wd" disabled={act.busy} onClick={!p.unlocked && short > 0 ? () => setRecharging(true) : go}>
          {act.busy
            ? t('loading')
            : p.unlocked
              ? t('download', { f: p.file_name! })
              : short > 0
                ? t('topUp')
                : t('unlock', { n: p.price_coins })}
        </button>
      )}
    </Card>
  );
}

export const Unlock = withStrings(unlockStrings, UnlockView);

// Unlock: the post's price and the balance, one button to unlock, an inline recharge when short, then the download and
// the post's premium content put in place on the page.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError, Post } from '../api.js';
import { unlockStrings } from '../i18n/unlock.js';
import { Card, Coin, ErrorBox, gate, lazy, useCtx, useLoad, useSubmit, useT, withStrings } from '../ui.js';

// Only a reader who chooses to recharge fetches the recharge view.
const Recharge = lazy(() => import('./Recharge.js').then((m) => m.Recharge));

interface PremiumParts {
  parts: { index: number; html: string }[];
}

/**
 * Once the post is unlocked, the premium parts the page shows locked (the plugin's boxes, marked with data attributes)
 * are fetched from WordPress's premium-url, which renders them only after the sidecar confirms the entitlement, and put
 * in their place. The HTML is WordPress's own rendering passed through wp_kses_post.
 */
function useReveal(unlocked: boolean | undefined) {
  const ref = useRef<HTMLDivElement>(null);
  const [state, setState] = useState('');
  useEffect(() => {
    const host = (ref.current?.getRootNode() as ShadowRoot | undefined)?.host;
    const url = host?.getAttribute('premium-url');
    const source = host?.closest('.goldcoin-premium-locked')?.getAttribute('data-goldcoin-source');
    if (!unlocked || !host || !url || !source) return;
    void fetch(url, { credentials: 'same-origin', headers: { 'X-WP-Nonce': host.getAttribute('refresh-nonce') ?? '' } })
      .then((r) => (r.ok ? (r.json() as Promise<PremiumParts>) : Promise.reject(new Error(String(r.status)))))
      .then(({ parts }) => {
        const boxes = [...document.querySelectorAll<HTMLElement>('.goldcoin-premium-locked')].filter((b) => b.dataset['goldcoinSource'] == source);
        for (const part of parts) {
          const box = boxes.find((b) => b.dataset['goldcoinPart'] == String(part.index));
          if (!box) continue;
          const content = document.createElement('div');
          content.className = 'goldcoin-premium-content';
          content.innerHTML = part.html;
          // The teaser and the note go; this widget (or what a theme wrapped it in) stays for the download.
          for (const child of [...box.children]) if (!child.contains(host)) child.remove();
          box.prepend(content);
          box.classList.replace('goldcoin-premium-locked', 'goldcoin-premium-open');
        }
        setState('revealed');
      })
      .catch(() => setState('revealFailed'));
  }, [unlocked]);
  return [ref, state] as const;
}

function UnlockView({ postId }: { postId: string }) {
  const t = useT();
  const { api } = useCtx();
  const path = `/api/posts/${encodeURIComponent(postId)}`;
  const post = useLoad<Post>(path);
  const act = useSubmit();
  const [recharging, setRecharging] = useState(false);
  const p = post.data;
  const [ref, revealed] = useReveal(p?.unlocked);
  if (!p) return <div ref={ref}>{gate(post)}</div>;
  const raised = act.error?.code === 'price_changed';
  const short = p.price_coins - p.balance;

  if (recharging) {
    const back = () => {
      setRecharging(false);
      post.reload();
    };
    return (
      <div ref={ref}>
        <Recharge need={short} onDone={back} onCancel={back} />
      </div>
    );
  }

  async function go() {
    if (p!.unlocked) {
      const r = await act.run('download', () => api.post<{ url: string }>(`${path}/download`, {}));
      if (r) location.assign(r.url);
    } else {
      // The price shown is the most this click may spend: a raise since comes back as 409 price_changed.
      const body = { expected_price_coins: p!.price_coins };
      let refused: ApiError | undefined;
      const r = await act.run(body, async (key) => {
        const res = await api.post<{ balance: number }>(`${path}/unlock`, body, key);
        if (!res.ok) refused = res.error;
        return res;
      });
      const price = refused?.code === 'price_changed' ? refused.details?.['price_coins'] : undefined;
      if (r) post.set({ ...p!, unlocked: true, balance: r.balance });
      // The refusal carries the new price: showing it and asking again needs no extra request.
      else if (typeof price === 'number') post.set({ ...p!, price_coins: price });
      // A 402 means the balance changed elsewhere: reloading shows the new shortfall.
      else post.reload();
    }
  }

  return (
    <div ref={ref}>
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
        {revealed && (
          <p class={revealed == 'revealed' ? 'mu' : 'er'} role="status">
            {t(revealed)}
          </p>
        )}
        {!p.unlocked && short > 0 && (
          <p class="wa" role="status">
            {t('short', { n: short })}
          </p>
        )}
        {raised && (
          <p class="wa" role="alert">
            {t('priceChanged', { n: p.price_coins })}
          </p>
        )}
        <ErrorBox error={act.error?.code === 'insufficient_coins' || raised ? null : act.error} />
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
    </div>
  );
}

export const Unlock = withStrings(unlockStrings, UnlockView);

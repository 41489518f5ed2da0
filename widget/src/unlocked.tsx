// What follows an unlock, in a chunk of its own so the unlock view's first load carries none of it: the post's premium
// parts put in place on the page (reveal.ts), and the EA's licence key when the post sells one.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { LicenceOne } from './api.js';
import { Copy } from './copy.js';
import { reveal } from './reveal.js';
import { useCtx, withStrings, useT } from './ui.js';

const strings: Record<string, [string, string]> = {
  revealed: ['The premium content is now shown in the post.', '付费内容已显示在文章中。'],
  revealFailed: ['The premium content could not be loaded: reload the page to read it.', '付费内容未能加载：请刷新页面阅读。'],
  key: ['Your licence key', '您的授权码'],
  keyHint: ['Enter it in the EA\'s inputs; the EA activates your trading account at its first start.', '请填入 EA 的输入参数；EA 首次运行时会自动激活您的交易账户。'],
};

function AfterUnlock({ postId, licence }: { postId: string; licence: boolean }) {
  const t = useT();
  const { api } = useCtx();
  const ref = useRef<HTMLDivElement>(null);
  const [said, setSaid] = useState<boolean>();
  const [key, setKey] = useState<string>();
  useEffect(() => {
    const host = (ref.current!.getRootNode() as ShadowRoot).host;
    const url = host.getAttribute('premium-url');
    const source = host.closest('.goldcoin-premium-locked')?.getAttribute('data-goldcoin-source');
    if (url && source) reveal(host, url, source).then(() => setSaid(true), () => setSaid(false));
    // Only a post that sells a licence has one to show: the post's answer says so, so other unlocks ask nothing more.
    if (licence) void api.get<LicenceOne>(`/api/posts/${encodeURIComponent(postId)}/license`).then((r) => r.ok && setKey(r.data.licence.key));
  }, []);
  return (
    <div ref={ref}>
      {said !== undefined && (
        <p class={said ? 'mu' : 'er'} role="status">
          {t(said ? 'revealed' : 'revealFailed')}
        </p>
      )}
      {key && (
        <>
          <Copy label={t('key')} value={key} />
          <p class="mu">{t('keyHint')}</p>
        </>
      )}
    </div>
  );
}

export const After = withStrings(strings, AfterUnlock);

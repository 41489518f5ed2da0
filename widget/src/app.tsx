// The widget's renderer: the chosen view with its strings, client and styles, rendered into the element's shadow root.
import { render, type ComponentType } from 'preact';
import { useMemo } from 'preact/hooks';
import { createClient } from './api.js';
import type { Mount, WidgetConfig } from './element.js';
import css from './styles.css?inline';
import { WidgetContext } from './ui.js';
import type { RechargeProps } from './views/Recharge.js';

export type View = ComponentType<RechargeProps & { postId: string }>;

export interface Bundle {
  /** The view to render; null when this script does not carry it (view="admin" asked of goldcoin.js, which says so). */
  view: View | null;
  /** The reader's language and its strings (i18n/en.ts or i18n/zh-CN.ts, and what goldcoin-admin.js adds). */
  zh: boolean;
  s: Record<string, string>;
  /** Extra CSS, for views only one script ships. */
  css?: string;
}

function App({ c, bundle }: { c: WidgetConfig; bundle: Bundle }) {
  const zh = bundle.zh;
  const ctx = useMemo(
    () => ({
      api: createClient(c),
      s: bundle.s,
      lang: zh ? 'zh-CN' : 'en-US',
    }),
    [c.api, c.token, c.refreshUrl, c.refreshNonce, bundle.s],
  );
  const View = bundle.view;
  return (
    <WidgetContext.Provider value={ctx}>
      <style>
        {css}
        {bundle.css}
      </style>
      <div class="r" lang={ctx.lang}>
        {!View || !(c.api && c.token) ? (
          <p class="er" role="alert">
            {ctx.s[View ? 'e_config' : 'e_admin']}
          </p>
        ) : (
          <View postId={c.postId} />
        )}
      </div>
    </WidgetContext.Provider>
  );
}

/** A Mount for one bundle: the element calls it with its config, or with null when it leaves the page. */
export const mounter =
  (bundle: Bundle): Mount =>
  (root, c) =>
    render(c && <App c={c} bundle={bundle} />, root);

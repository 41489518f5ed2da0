// The <goldcoin-widget> custom element: reads its config, renders the chosen view into a shadow root.
import { render, type ComponentType } from 'preact';
import { useMemo } from 'preact/hooks';
import { createClient } from './api.js';
import { en } from './i18n/en.js';
import { zhCN } from './i18n/zh-CN.js';
import css from './styles.css?inline';
import { WidgetContext } from './ui.js';
import type { RechargeProps } from './views/Recharge.js';

/** What the WordPress shim may print as window.goldcoinConfig; the element's attributes win. */
export interface WidgetConfig {
  view: string;
  postId: string;
  token: string;
  api: string;
  locale: string;
  refreshUrl: string;
  refreshNonce: string;
}
const KEYS = ['view', 'postId', 'token', 'api', 'locale', 'refreshUrl', 'refreshNonce'] as const;
const attrOf = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export interface Bundle {
  views: Record<string, ComponentType<RechargeProps & { postId: string }>>;
  /** Extra strings as [en, zh-CN] pairs, and extra CSS, for views only one bundle ships. */
  strings?: Record<string, [string, string]>;
  css?: string;
}

/** The token's own locale claim, used when neither the attribute nor the config names one. */
function tokenLocale(token: string): string {
  try {
    return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).locale ?? '';
  } catch {
    return '';
  }
}

function App({ c, bundle }: { c: WidgetConfig; bundle: Bundle }) {
  const zh = /^zh/i.test(c.locale || tokenLocale(c.token));
  const ctx = useMemo(() => {
    const s: Record<string, string> = { ...(zh ? zhCN : en) };
    for (const [k, pair] of Object.entries(bundle.strings ?? {})) s[k] = pair[+zh]!;
    return {
      api: createClient({ api: c.api, token: c.token, refreshUrl: c.refreshUrl, refreshNonce: c.refreshNonce }),
      s,
      lang: zh ? 'zh-CN' : 'en-US',
    };
  }, [c.api, c.token, c.refreshUrl, c.refreshNonce, zh]);
  // An unknown view shows the recharge, but the admin view asked of goldcoin.js says which script it needs.
  const View = c.view == 'admin' ? bundle.views['admin'] : (bundle.views[c.view] ?? bundle.views['recharge']);
  return (
    <WidgetContext.Provider value={ctx}>
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

/** Registers the element once per page, whichever bundle loads first. */
export function defineWidget(bundle: Bundle) {
  if (customElements.get('goldcoin-widget')) return;
  customElements.define(
    'goldcoin-widget',
    class extends HTMLElement {
      static get observedAttributes() {
        return KEYS.map(attrOf);
      }
      // Nothing is rendered or fetched before the element is on the page.
      connectedCallback() {
        if (!this.shadowRoot) {
          const style = document.createElement('style');
          style.textContent = css + (bundle.css ?? '');
          this.attachShadow({ mode: 'open' }).append(style, document.createElement('div'));
        }
        this.update();
      }
      disconnectedCallback() {
        render(null, this.shadowRoot!.lastChild as Element);
      }
      attributeChangedCallback() {
        if (this.isConnected && this.shadowRoot) this.update();
      }
      update() {
        const global = (window as { goldcoinConfig?: Record<string, unknown> }).goldcoinConfig ?? {};
        const c = {} as WidgetConfig;
        for (const k of KEYS) c[k] = this.getAttribute(attrOf(k)) ?? String(global[k] ?? '');
        render(<App c={c} bundle={bundle} />, this.shadowRoot!.lastChild as Element);
      }
    },
  );
}

// The <goldcoin-widget> custom element: reads its config, renders the chosen view into a shadow root.
import { render } from 'preact';
import { useMemo } from 'preact/hooks';
import { createClient } from './api.js';
import { en } from './i18n/en.js';
import { zhCN } from './i18n/zh-CN.js';
import css from './styles.css?inline';
import { WidgetContext } from './ui.js';
import { Admin } from './views/Admin.js';
import { Recharge } from './views/Recharge.js';
import { Redeem } from './views/Redeem.js';
import { Unlock } from './views/Unlock.js';
import { Wallet } from './views/Wallet.js';

/** What the WordPress shim may print as window.goldcoinConfig; the element's attributes win. */
export interface WidgetConfig {
  view?: string;
  postId?: string | number;
  token?: string;
  api?: string;
  locale?: string;
  refreshUrl?: string;
  refreshNonce?: string;
}

const ATTRS = { view: 'view', postId: 'post-id', token: 'token', api: 'api', locale: 'locale', refreshUrl: 'refresh-url', refreshNonce: 'refresh-nonce' } as const;

/** The token's own locale claim, used when neither the attribute nor the config names one. */
function tokenLocale(token: string): string {
  try {
    const part = token.split('.')[1] ?? '';
    return String(JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/'))).locale ?? '');
  } catch {
    return '';
  }
}

function App({ c }: { c: Required<WidgetConfig> }) {
  const zh = /^zh/i.test(c.locale || tokenLocale(c.token));
  const ctx = useMemo(
    () => ({
      api: createClient({ api: c.api, token: c.token, refreshUrl: c.refreshUrl || undefined, refreshNonce: c.refreshNonce || undefined }),
      s: zh ? zhCN : en,
      lang: zh ? 'zh-CN' : 'en-US',
    }),
    [c.api, c.token, c.refreshUrl, c.refreshNonce, zh],
  );
  const view =
    !c.api || !c.token ? (
      <p class="err" role="alert">{ctx.s.e_config}</p>
    ) : c.view === 'unlock' ? (
      <Unlock postId={String(c.postId)} />
    ) : c.view === 'wallet' ? (
      <Wallet />
    ) : c.view === 'redeem' ? (
      <Redeem />
    ) : c.view === 'admin' ? (
      <Admin />
    ) : (
      <Recharge />
    );
  return (
    <WidgetContext.Provider value={ctx}>
      <div class="r" lang={ctx.lang}>
        {view}
      </div>
    </WidgetContext.Provider>
  );
}

class GoldcoinWidget extends HTMLElement {
  static get observedAttributes() {
    return Object.values(ATTRS);
  }

  connectedCallback() {
    if (!this.shadowRoot) {
      const style = document.createElement('style');
      style.textContent = css;
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

  private update() {
    const global = ((window as { goldcoinConfig?: WidgetConfig }).goldcoinConfig ?? {}) as Record<string, unknown>;
    const c = {} as Record<string, string>;
    for (const [key, attr] of Object.entries(ATTRS)) c[key] = this.getAttribute(attr) ?? String(global[key] ?? '');
    render(<App c={c as Required<WidgetConfig>} />, this.shadowRoot!.lastChild as Element);
  }
}

if (!customElements.get('goldcoin-widget')) customElements.define('goldcoin-widget', GoldcoinWidget);

// The <goldcoin-widget> custom element without the renderer: reads its config, reserves its view's height, and
// hands the shadow root to the renderer once `boot` has loaded it (at once in goldcoin-admin.js, as chunks in goldcoin.js).
import { RESERVE_PX } from './reserve.js';

/** What the WordPress shim may print as window.goldcoinConfig; the element's attributes win. */
export interface WidgetConfig {
  view: string;
  postId: string;
  token: string;
  api: string;
  locale: string;
  refreshUrl: string;
  refreshNonce: string;
  /** Not printed by the shim: the view's first GETs, which goldcoin.js's boot sends and the client takes (ClientOptions.early). */
  early?: Record<string, Promise<Response>>;
}
const KEYS = ['view', 'postId', 'token', 'api', 'locale', 'refreshUrl', 'refreshNonce'] as const;
const attrOf = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Renders (or, with null, clears) the widget in its shadow root's container. */
export type Mount = (root: Element, c: WidgetConfig | null) => void;
/**
 * Loads what the view needs in the reader's language; the element renders only once it has resolved, with the same `c`.
 * `first` is true while the element has never been rendered: goldcoin.js then sends the view's first GETs beside its
 * chunks, in `c.early`.
 */
export type Boot = (c: WidgetConfig, zh: boolean, first: boolean) => Promise<Mount>;

/** The token's own locale claim, used when neither the attribute nor the config names one. */
function tokenLocale(token: string): string {
  try {
    return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).locale ?? '';
  } catch {
    return '';
  }
}

/** Registers the element once per page, whichever script loads first. */
export function defineWidget(boot: Boot) {
  if (customElements.get('goldcoin-widget')) return;
  customElements.define(
    'goldcoin-widget',
    class extends HTMLElement {
      declare m?: Mount;
      static get observedAttributes() {
        return KEYS.map(attrOf);
      }
      // Nothing is rendered or fetched before the element is on the page.
      connectedCallback() {
        if (!this.shadowRoot) this.attachShadow({ mode: 'open' }).append(document.createElement('style'), document.createElement('div'));
        this.update();
      }
      disconnectedCallback() {
        this.m?.(this.shadowRoot!.lastChild as Element, null);
      }
      attributeChangedCallback() {
        if (this.isConnected && this.shadowRoot) this.update();
      }
      update() {
        const global = (window as { goldcoinConfig?: Record<string, unknown> }).goldcoinConfig ?? {};
        const c = {} as WidgetConfig;
        for (const k of KEYS) c[k] = this.getAttribute(attrOf(k)) ?? String(global[k] ?? '');
        // The same height the plugin reserves in its markup, for pages that print the element by hand: set before
        // the renderer arrives, so the page below does not move when the view appears.
        (this.shadowRoot!.firstChild as HTMLStyleElement).textContent = `:host{display:block;min-height:${RESERVE_PX[c.view] ?? RESERVE_PX['recharge']}px}`;
        void boot(c, /^zh/i.test(c.locale || tokenLocale(c.token)), !this.m).then((m) => {
          this.m = m;
          if (this.isConnected) m(this.shadowRoot!.lastChild as Element, c);
        });
      }
    },
  );
}

// Entry of goldcoin.js, the visitor widget. It only defines the element: the renderer, each view and each language are
// chunks in the same folder, fetched (in parallel) when an element needs them. It has no static import or export, so it runs as a
// plain <script async>, and import() resolves the chunks against the script's own URL with no configuration.
import type { View } from './app.js';
import { defineWidget } from './element.js';

const VIEWS: Record<string, () => Promise<View>> = {
  recharge: () => import('./views/Recharge.js').then((m) => m.view),
  unlock: () => import('./views/Unlock.js').then((m) => m.view),
  wallet: () => import('./views/Wallet.js').then((m) => m.view),
  redeem: () => import('./views/Redeem.js').then((m) => m.view),
  vip: () => import('./views/Vip.js').then((m) => m.view),
  referral: () => import('./views/Referral.js').then((m) => m.view),
  bell: () => import('./views/Bell.js').then((m) => m.view),
  licenses: () => import('./views/Licences.js').then((m) => m.view),
};
const LANGUAGES = [() => import('./i18n/en.js').then((m) => m.en), () => import('./i18n/zh-CN.js').then((m) => m.zhCN)];

defineWidget((view, zh) =>
  Promise.all([import('./app.js'), view == 'admin' ? null : (VIEWS[view] ?? VIEWS['recharge']!)(), LANGUAGES[+zh]!()]).then(([app, v, s]) =>
    app.mounter({ view: v, zh, s }),
  ),
);

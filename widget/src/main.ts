// Entry of goldcoin.js, the visitor widget. It only defines the element: the renderer, each view and each language are
// chunks in the same folder, fetched (in parallel) when an element needs them. It has no static import or export, so it runs as a
// plain <script async>, and import() resolves the chunks against the script's own URL with no configuration.
import type { View } from './app.js';
import { defineWidget } from './element.js';

// Each view's chunk, and what the view asks first under /api/ (its first useLoad, and the wallet's first history page;
// # stands for the post's id): sent while the chunks load, so the answer is on its way before the view has
// rendered. tests/widget/first-load.browser.test.ts checks every view asks each of these once, and before its chunk is in.
const VIEWS: Record<string, [() => Promise<View>, string]> = {
  recharge: [() => import('./views/Recharge.js').then((m) => m.view), 'packages'],
  unlock: [() => import('./views/Unlock.js').then((m) => m.view), 'posts/#'],
  wallet: [() => import('./views/Wallet.js').then((m) => m.view), 'wallet ledger?limit=5'],
  redeem: [() => import('./views/Redeem.js').then((m) => m.view), 'rewards'],
  vip: [() => import('./views/Vip.js').then((m) => m.view), 'vip'],
  referral: [() => import('./views/Referral.js').then((m) => m.view), 'referrals'],
  bell: [() => import('./views/Bell.js').then((m) => m.view), 'notifications?limit=5'],
  licenses: [() => import('./views/Licences.js').then((m) => m.view), 'licenses'],
};

defineWidget((c, zh, first) => {
  const v = VIEWS[c.view];
  const early: Record<string, Promise<Response>> = (c.early = {});
  // Only what the view will ask: not for the admin view or an unknown one, nor without an api and a token (an error shows).
  for (const p of (first && c.api && c.token && v?.[1].split(' ')) || []) {
    const path = `/api/${p}`.replace('#', encodeURIComponent(c.postId));
    // Read (or its failure met) by the view's own get(); the catch only keeps a page that never asks from logging it.
    (early[path] = fetch(c.api.replace(/\/+$/, '') + path, { headers: { Authorization: `Bearer ${c.token}` } })).catch(() => 0);
  }
  return Promise.all([import('./app.js'), c.view == 'admin' ? null : (v ?? VIEWS['recharge']!)[0](), zh ? import('./i18n/zh-CN.js').then((m) => m.zhCN) : import('./i18n/en.js').then((m) => m.en)]).then(([app, view, s]) =>
    app.mounter({ view, zh, s }),
  );
});

// Entry of goldcoin-admin.js, for the WordPress admin page: every visitor view plus the admin view, its strings and
// styles, in one self-contained script (no chunks), kept out of goldcoin.js so visitors never download it.
import adminCss from './admin.css?inline';
import { mounter, type View } from './app.js';
import { defineWidget } from './element.js';
import { adminStrings } from './i18n/admin.js';
import { en } from './i18n/en.js';
import { walletStrings } from './i18n/wallet.js';
import { zhCN } from './i18n/zh-CN.js';
import { Admin } from './views/Admin.js';
import { Bell } from './views/Bell.js';
import { Recharge } from './views/Recharge.js';
import { Redeem } from './views/Redeem.js';
import { Unlock } from './views/Unlock.js';
import { Wallet } from './views/Wallet.js';
import walletCss from './views/wallet.css?inline';

// The bell is here too: on an admin page whichever script loads first defines the element, and the admin bar shows the bell.
const VIEWS: Record<string, View> = { recharge: Recharge, unlock: Unlock, wallet: Wallet, redeem: Redeem, admin: Admin, bell: Bell };

// Each language's strings with the admin view's and the wallet's (which the admin's user ledger shows) added.
const PAIRS: Record<string, [string, string]> = { ...walletStrings, ...adminStrings };
const S = [en, zhCN].map((base, i) => {
  const s: Record<string, string> = { ...base };
  for (const k in PAIRS) s[k] = PAIRS[k]![i]!;
  return s;
});

defineWidget((c, zh) => Promise.resolve(mounter({ view: VIEWS[c.view] ?? Recharge, zh, s: S[+zh]!, css: adminCss + walletCss })));

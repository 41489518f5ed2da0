// Entry of goldcoin-admin.js, for the WordPress admin page: every visitor view plus the admin view, its
// strings and styles. Kept out of goldcoin.js so visitors never download it.
import adminCss from './admin.css?inline';
import { defineWidget } from './element.js';
import { adminStrings } from './i18n/admin.js';
import { Admin } from './views/Admin.js';
import { Recharge } from './views/Recharge.js';
import { Redeem } from './views/Redeem.js';
import { Unlock } from './views/Unlock.js';
import { Wallet } from './views/Wallet.js';

defineWidget({
  views: { recharge: Recharge, unlock: Unlock, wallet: Wallet, redeem: Redeem, admin: Admin },
  strings: adminStrings,
  css: adminCss,
});

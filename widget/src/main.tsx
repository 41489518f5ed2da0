// Entry of goldcoin.js, the visitor widget: recharge, unlock, wallet and redeem views.
import { defineWidget } from './element.js';
import { Recharge } from './views/Recharge.js';
import { Redeem } from './views/Redeem.js';
import { Unlock } from './views/Unlock.js';
import { Wallet } from './views/Wallet.js';

defineWidget({
  views: { recharge: Recharge, unlock: Unlock, wallet: Wallet, redeem: Redeem },
  // Shown for view="admin", which only goldcoin-admin.js carries.
  strings: { e_admin: ['The admin view needs the admin script, goldcoin-admin.js.', '管理视图需要加载管理脚本 goldcoin-admin.js。'] },
});

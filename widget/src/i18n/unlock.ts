// Strings only the unlock view uses, English and Simplified Chinese side by side: they travel in its chunk, so a page
// without that view never downloads them.
export const unlockStrings: Record<string, [string, string]> = {
  price: ['Price', '价格'],
  unlock: ['Unlock for {n} coins', '使用 {n} 金币解锁'],
  topUp: ['Recharge to unlock', '充值并解锁'],
  unlocked: ['Unlocked', '已解锁'],
  download: ['Download {f}', '下载 {f}'],
  revealed: ['The premium content is now shown in the post.', '付费内容已显示在文章中。'],
  priceChanged: ['The price is now {n} coins. Nothing was charged: unlock at the new price?', '价格已变为 {n} 金币，未扣费。按新价格解锁吗？'],
  revealFailed: ['The premium content could not be loaded: reload the page to read it.', '付费内容未能加载：请刷新页面阅读。'],
};

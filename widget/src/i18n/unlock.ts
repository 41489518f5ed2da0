// Strings only the unlock view uses, English and Simplified Chinese side by side: they travel in its chunk, so a page
// without that view never downloads them.
export const unlockStrings: Record<string, [string, string]> = {
  price: ['Price', '价格'],
  unlock: ['Unlock for {n} coins', '使用 {n} 金币解锁'],
  topUp: ['Recharge to unlock', '充值并解锁'],
  unlocked: ['Unlocked', '已解锁'],
  download: ['Download {f}', '下载 {f}'],
};

// Strings only the unlock view uses, English and Simplified Chinese side by side: they travel in its chunk, so a page
// without that view never downloads them.
export const unlockStrings: Record<string, [string, string]> = {
  price: ['Price', '价格'],
  unlock: ['Unlock for {n} coins', '使用 {n} 金币解锁'],
  topUp: ['Recharge to unlock', '充值并解锁'],
  unlocked: ['Unlocked', '已解锁'],
  download: ['Download {f}', '下载 {f}'],
  priceChanged: ['The price is now {n} coins. Nothing was charged: unlock at the new price?', '价格已变为 {n} 金币，未扣费。按新价格解锁吗？'],
  unlockFree: ['Unlock free with VIP', 'VIP 免费解锁'],
  vipFree: ['Free for VIP members', 'VIP 会员免费'],
  vipOnly: ['VIP members only', '仅限 VIP 会员'],
  vipPrice: ['VIP price', 'VIP 价'],
  access: ['Access', '访问期限'],
  days: ['{n} days per purchase', '每次购买 {n} 天'],
  until: ['Access until {d}', '访问有效期至 {d}'],
  e_vip_required: ['Only VIP members can unlock this post.', '仅 VIP 会员可解锁此内容。'],
  e_download_limit_reached: ['You have used every download of this purchase.', '本次购买的下载次数已用完。'],
  e_daily_download_limit_reached: ['Daily VIP download limit reached: one frees up within 24 hours.', 'VIP 每日下载次数已用完，24 小时内将恢复。'],
  // Errors only this view meets: here rather than in every view's language file.
  e_post_not_for_sale: ['Not for sale.', '该内容不出售。'],
  e_not_unlocked: ['Unlock it first.', '请先解锁。'],
  e_no_file: ['This post has no file to download yet.', '该内容暂无可下载的文件。'],
};

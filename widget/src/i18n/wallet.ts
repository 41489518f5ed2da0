// Strings only the wallet view uses, English and Simplified Chinese side by side: they travel in its chunk, so a page
// without that view never downloads them.
export const walletStrings: Record<string, [string, string]> = {
  history: ['Coin history', '金币明细'],
  more: ['Load more', '加载更多'],
  notes: ['Notifications', '通知'],
  read: ['Mark all as read', '全部标为已读'],
  k_recharge: ['Recharge', '充值'],
  k_bonus: ['Bonus', '赠送'],
  k_unlock: ['Unlock', '解锁'],
  k_author_share: ['Author share', '作者分成'],
  k_reward: ['Reward', '兑换'],
  k_referral: ['Referral', '推荐奖励'],
  k_adjustment: ['Adjustment', '人工调整'],
};

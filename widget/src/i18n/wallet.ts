// Strings only the wallet view uses, English and Simplified Chinese side by side: they travel in its chunk, so a page
// without that view never downloads them.
export const walletStrings: Record<string, [string, string]> = {
  history: ['Coin history', '金币明细'],
  more: ['Load more', '加载更多'],
  notes: ['Notifications', '通知'],
  payments: ['My payments', '我的支付'],
  bought: ['What I bought', '我的购买'],
  k_recharge: ['Recharge', '充值'],
  k_bonus: ['Bonus', '赠送'],
  k_unlock: ['Unlock', '解锁'],
  k_author_share: ['Author share', '作者分成'],
  k_reward: ['Reward', '兑换'],
  k_referral: ['Referral', '推荐奖励'],
  k_adjustment: ['Adjustment', '人工调整'],
  k_vip: ['VIP', 'VIP'],
  // Ledger memos by code (sidecar/src/ledger/memo.ts). A code without a text here shows its title or reason as written,
  // or nothing (a recharge, its bonus: the kind says it all).
  m_recharge_underpaid: ['underpaid', '少付'],
  m_recharge_resolved: ['resolved: {reason}', '已处理：{reason}'],
  m_recharge_underpaid_resolved: ['underpaid, resolved: {reason}', '少付，已处理：{reason}'],
  m_referral_reward: ['user #{referee_user_id}', '用户 #{referee_user_id}'],
};

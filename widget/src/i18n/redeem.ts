// Strings only the redeem view uses, English and Simplified Chinese side by side: they travel in its chunk, so a page
// without that view never downloads them.
export const redeemStrings: Record<string, [string, string]> = {
  rewards: ['Rewards', '兑换奖励'],
  e_out_of_stock: ['Out of stock.', '已兑完。'],
  e_limit_reached: ['Redemption limit reached.', '已达兑换上限。'],
  redeem: ['Redeem for {n} coins', '使用 {n} 金币兑换'],
  soldOut: ['Out of stock', '已兑完'],
  limit: ['Limit reached', '已达兑换上限'],
  left: ['{n} left', '剩余 {n}'],
  reward: ['Your reward', '您的奖励'],
};

// Strings only the recharge view uses, English and Simplified Chinese side by side: they travel in its chunk, so a page
// that shows no recharge (an unlock the reader can pay for, a wallet) never downloads them.
export const rechargeStrings: Record<string, [string, string]> = {
  custom: ['Custom', '自定义'],
  range: ['{min}–{max} coins', '{min}–{max} 金币'],
  method: ['Pay with', '支付方式'],
  other: ['Other coins', '其他币种'],
  network: ['Network', '网络'],
  get: ['You get', '到账'],
  // Errors only a recharge meets: here rather than in every view's language file.
  e_daily_limit_exceeded: ['Daily recharge limit reached.', '已达今日充值上限。'],
  e_provider_unavailable: ['Payment provider unavailable: try again soon.', '支付服务不可用，请稍后再试。'],
};

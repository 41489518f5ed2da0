// Strings only the VIP view uses, English and Simplified Chinese side by side: they travel in its chunk.
export const vipStrings: Record<string, [string, string]> = {
  vip: ['VIP membership', 'VIP 会员'],
  yours: ['Your membership: {t}', '您的会员：{t}'],
  until: ['Active until {d}', '有效期至 {d}'],
  forever: ['Never ends', '永久有效'],
  ended: ['Ended on {d}', '已于 {d} 到期'],
  days: ['{n} days', '{n} 天'],
  lifetime: ['Lifetime', '终身'],
  dl: ['{n} EA downloads a day', '每天 {n} 次 EA 下载'],
  buy: ['Buy for {n} coins', '使用 {n} 金币购买'],
  renew: ['Renew for {n} coins', '使用 {n} 金币续费'],
  bought: ['Welcome aboard: your membership runs until {d}.', '开通成功：会员有效期至 {d}。'],
  boughtForever: ['Welcome aboard: your membership never ends.', '开通成功：会员永久有效。'],
  e_already_lifetime: ['Your lifetime membership is already running.', '您已是终身会员。'],
  e_unknown_tier: ['This tier is no longer on sale.', '该会员等级已下架。'],
};

// Strings only the licences view uses, English and Simplified Chinese side by side: they travel in its chunk.
export const licencesStrings: Record<string, [string, string]> = {
  title: ['My EA licences', '我的 EA 授权'],
  key: ['Licence key', '授权码'],
  active: ['Active', '有效'],
  expired: ['Expired', '已过期'],
  revoked: ['Revoked', '已撤销'],
  until: ['until {d}', '至 {d}'],
  used: ['{u}/{m} accounts', '{u}/{m} 个账户'],
  demoFree: ['demo free', '模拟账户免费'],
  demo: ['demo', '模拟'],
  real: ['real', '真实'],
  release: ['Release', '解除绑定'],
  left: ['{n} releases left', '可解除 {n} 次'],
  next: ['next release {d}', '{d} 起可解除'],
  none: ['No licence yet.', '暂无授权。'],
  e_release_limit_reached: ['No release left this month.', '本月解除次数已用完。'],
};

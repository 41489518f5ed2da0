// Strings of the referral view's QR code, rules and list, English and Simplified Chinese side by side: they travel with
// the view's second chunk (views/ReferralList.tsx). The outcome texts (o_*) are shared with the admin report.
export const referralListStrings: Record<string, [string, string]> = {
  linkQr: ['QR code of your link', '邀请链接二维码'],
  rules: ['How it works', '规则'],
  ruleReward: ["When a friend who joined through your link completes a first recharge of at least {m} coins, you earn {n} coins.", '好友通过您的链接注册并完成首次充值（至少 {m} 金币）后，您获得 {n} 金币。'],
  ruleCap: ['Reward limit: {k} every {d} days.', '每 {d} 天最多获得 {k} 次奖励。'],
  ruleNoCap: ['No limit on rewards.', '奖励次数不限。'],
  ruleEmail: ['A payment made with your own email does not count.', '使用您本人邮箱付款的充值不计入。'],
  ruleOff: ['Referrals earn no coins at the moment.', '目前邀请好友暂无金币奖励。'],
  friends: ['Your referrals', '您邀请的好友'],
  joined: ['joined {d}', '{d} 加入'],
  o_pending: ['Waiting for the first recharge', '等待首次充值'],
  o_rewarded: ['Counted: +{n} coins', '已计入：+{n} 金币'],
  o_cap_reached: ['Not counted: cap reached', '未计入：已达奖励上限'],
  o_below_minimum: ['Not counted: first recharge below the minimum', '未计入：首充低于最低金额'],
  o_same_email: ['Not counted: paid with your email', '未计入：使用了您的邮箱付款'],
  o_no_reward: ['Not counted: no reward was offered then', '未计入：当时没有奖励'],
  o_not_first_recharge: ['Not counted: had recharged before', '未计入：此前已充值'],
  more: ['Load more', '加载更多'],
};

/** A referral's outcome in the reader's words (the o_* strings above); the referral view and the admin report agree. */
export const outcomeText = (t: (key: string, vars?: Record<string, string | number>) => string, r: { outcome: string | null; reward_coins: number }) =>
  t(`o_${r.outcome ?? 'pending'}`, { n: r.reward_coins });

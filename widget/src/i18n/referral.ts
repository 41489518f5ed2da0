// Strings of the referral view's first screen, English and Simplified Chinese side by side: they travel in its chunk (the
// rest of the view's in i18n/referral-list.ts, with its second chunk).
export const referralStrings: Record<string, [string, string]> = {
  invite: ['Invite friends', '邀请好友'],
  code: ['Your code', '您的邀请码'],
  link: ['Your link', '您的邀请链接'],
  referred: ['Friends referred', '已邀请好友'],
  earned: ['Coins earned', '已获得金币'],
  byYou: ['You were referred by {n}.', '您由 {n} 邀请。'],
};

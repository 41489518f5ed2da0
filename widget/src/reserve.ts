// Height each view takes once its first data has loaded, reserved before the script runs so mounting moves nothing on
// the page. The WordPress plugin prints the same numbers (Goldcoin_Widget::MIN_HEIGHT_PX; tests/widget/reserve.test.ts
// keeps the two equal).
export const RESERVE_PX: Record<string, number> = { recharge: 624, unlock: 272, wallet: 496, redeem: 440, vip: 440, referral: 720, licenses: 288, admin: 480, bell: 28 };

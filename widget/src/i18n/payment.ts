// Strings only the payment view uses, English and Simplified Chinese side by side: they travel in its chunk, so a page
// that never shows a payment never downloads them.
export const paymentStrings: Record<string, [string, string]> = {
  buying: ['You are buying', '您购买'],
  send: ['Send exactly', '请准确转账'],
  address: ['Address', '收款地址'],
  tag: ['Destination tag / memo', '目标标签 / 备注'],
  qr: ['Payment QR code', '支付二维码'],
  expires: ['Expires in {t}', '{t} 后过期'],
  expired: ['This payment has expired.', '本次支付已过期。'],
  waiting: ['Waiting for payment…', '等待付款…'],
  status: ['Payment status page', '支付状态页面'],
  checkout: ['CoinPayments checkout', 'CoinPayments 收银台'],
  credited: ['{n} gold coins credited', '已到账 {n} 金币'],
  back: ['Back to the content', '返回内容'],
  premium: ['Go to premium content', '前往付费内容'],
  failed: ['Payment failed.', '支付失败。'],
  again: ['Start a new payment', '重新发起支付'],
};

// English strings; the key set is the reference every other language must fill.
export const en = {
  loading: 'Please wait…',
  retry: 'Try again',
  none: 'Nothing yet.',
  balance: 'Your balance',
  recharge: 'Recharge',
  bonus: '+{n} bonus',
  amount: 'Coins',
  coin: 'Coin',
  total: 'Total',
  cancel: 'Cancel',
  pay: 'Continue to payment',
  short: '{n} more gold coins needed.',
  e_unauthorized: 'Session expired: reload the page.',
  e_insufficient_coins: 'Not enough gold coins.',
  e_rate_limited: 'Too many requests: wait {s} s.',
  e_network_error: 'Cannot reach the server.',
  e_request_in_progress: 'Still processing your last request.',
  e_config: 'Missing api or token setting.',
  e_admin: 'The admin view needs the admin script, goldcoin-admin.js.',
  // Every other code, by status. 4xx: what a page left open while the site's settings changed may send (a package,
  // method or amount no longer offered), a reused key, a body too large…
  e_400: 'Not accepted: check your choices or reload the page ({c}).',
  e_403: 'Not allowed.',
  e_404: 'Not found: it may have been removed.',
  e_500: 'Service unavailable: try again soon.',
};
export type Strings = typeof en;

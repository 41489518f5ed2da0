// Titles and bodies of notifications in English and Simplified Chinese, and the email built from them.
import type { NotificationKind } from './outbox.js';
import type { NotifyLocale } from './locale.js';

export type NotificationData = Record<string, unknown>;

export interface RenderedMessage {
  title: string;
  body: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** A non-negative or signed integer from data, whether stored as a number or a numeric string. */
function int(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'string' && /^-?[0-9]{1,15}$/.test(v)) return Number(v);
  return null;
}

function text(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t.length > 0 ? t.slice(0, 200) : null;
}

/** Why a recharge failed, by the payment state machine's reason code; an unknown code is left out. */
const FAILURE_REASONS: Record<string, { en: string; zh: string }> = {
  provider_failed: { en: 'the payment was cancelled or refused', zh: '付款被取消或拒绝' },
  expired: { en: 'it expired before the payment arrived', zh: '付款到账前已过期' },
  underpaid: { en: 'less than the amount due arrived', zh: '到账金额低于应付金额' },
  late_payment: { en: 'the payment arrived after it expired', zh: '付款在过期后才到账' },
};

/** Why a referral was not counted, by its outcome code; an unknown code is left out. */
const NOT_COUNTED_REASONS: Record<string, { en: string; zh: string }> = {
  cap_reached: { en: 'you reached the reward limit for this period', zh: '本期奖励次数已达上限' },
  same_email: { en: 'the payment was made with your email', zh: '付款使用了您的邮箱' },
  below_minimum: { en: 'their first recharge was below the minimum', zh: '好友首充低于最低金额' },
  not_first_recharge: { en: 'they had recharged before', zh: '好友此前已充值' },
};

function notCountedReason(v: unknown, locale: 'en' | 'zh'): string | null {
  return typeof v === 'string' && Object.hasOwn(NOT_COUNTED_REASONS, v) ? NOT_COUNTED_REASONS[v]![locale] : null;
}

function failureReason(v: unknown, locale: 'en' | 'zh'): string | null {
  return typeof v === 'string' && Object.hasOwn(FAILURE_REASONS, v) ? FAILURE_REASONS[v]![locale] : null;
}

/** The code or link a redemption handed over, as a sentence of its own ('' when it handed over neither). */
function handedOver(d: NotificationData, locale: 'en' | 'zh'): string {
  const value = typeof d['fulfilment_value'] === 'string' ? d['fulfilment_value'].trim().slice(0, 500) : '';
  if (!value) return '';
  if (d['fulfilment_type'] === 'code') return locale === 'en' ? ` Your code: ${value}.` : `兑换码：${value}。`;
  if (d['fulfilment_type'] === 'link') return locale === 'en' ? ` Your link: ${value}` : `链接：${value} `;
  return '';
}

/** Which recharge: its coins when known, else its number. */
function enRecharge(d: NotificationData): string {
  const coins = int(d['coins']);
  if (coins !== null) return ` of ${enCoins(coins)}`;
  const id = int(d['recharge_id']);
  return id === null ? '' : ` #${id}`;
}
function zhRecharge(d: NotificationData): string {
  const coins = int(d['coins']);
  if (coins !== null) return ` ${zhCoins(coins)}`;
  const id = int(d['recharge_id']);
  return id === null ? '' : ` #${id} `;
}

const enNumber = new Intl.NumberFormat('en-US');
const zhNumber = new Intl.NumberFormat('zh-CN');

function enCoins(n: number): string {
  return `${enNumber.format(n)} gold ${Math.abs(n) === 1 ? 'coin' : 'coins'}`;
}
function zhCoins(n: number): string {
  return `${zhNumber.format(n)} 金币`;
}

/** A membership's end as a day the reader recognises (UTC, the zone the sidecar keeps time in). */
function day(v: unknown, locale: 'en' | 'zh'): string | null {
  if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) return null;
  return new Intl.DateTimeFormat(locale === 'zh' ? 'zh-CN' : 'en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(v));
}

function en(kind: NotificationKind, d: NotificationData): RenderedMessage {
  const coins = int(d['coins']);
  const bonus = int(d['bonus_coins']);
  const balance = int(d['balance']);
  const amount = enRecharge(d);
  const balanceLine = balance === null ? '' : ` Your balance is now ${enCoins(balance)}.`;
  switch (kind) {
    case 'recharge_completed': {
      const extra = bonus !== null && bonus > 0 ? ` (+${enNumber.format(bonus)} bonus)` : '';
      return { title: 'Recharge complete', body: `Your recharge${amount}${extra} is complete.${balanceLine}` };
    }
    case 'recharge_failed': {
      const reason = failureReason(d['reason'], 'en');
      return {
        title: 'Recharge failed',
        body: `Your recharge${amount} did not go through${reason ? `: ${reason}` : ''}. No coins were added.`,
      };
    }
    case 'recharge_expired':
      return {
        title: 'Recharge expired',
        body: `Your recharge${amount} expired before the payment arrived. No coins were added; you can start a new recharge at any time.`,
      };
    case 'unlock': {
      const title = text(d['post_title']);
      const what = title ? `“${title}”` : 'a post';
      return { title: 'Content unlocked', body: `You unlocked ${what}${coins === null ? '' : ` for ${enCoins(coins)}`}.${balanceLine}` };
    }
    case 'reward_redeemed': {
      const name = text(d['reward_name']) ?? text(d['reward_key']);
      const what = name ? `“${name}”` : 'a reward';
      return { title: 'Reward redeemed', body: `You redeemed ${what}${coins === null ? '' : ` for ${enCoins(coins)}`}.${handedOver(d, 'en')}${balanceLine}` };
    }
    case 'referral_earned': {
      const who = text(d['referred_name']);
      const got = coins === null ? 'a referral reward' : enCoins(coins);
      const why = who ? ` because ${who} joined through your link` : ' from a referral';
      return { title: 'Referral reward', body: `You earned ${got}${why}.${balanceLine}` };
    }
    case 'referral_not_counted': {
      const who = text(d['referred_name']);
      const reason = notCountedReason(d['outcome'], 'en');
      return {
        title: 'Referral not counted',
        body: `${who ? `${who}, who joined through your link,` : 'A friend who joined through your link'} completed a first recharge, but it earned no reward${reason ? `: ${reason}` : ''}.`,
      };
    }
    case 'adjustment': {
      const reason = text(d['reason']);
      const change =
        coins === null
          ? 'An administrator adjusted your balance'
          : coins >= 0
            ? `An administrator added ${enCoins(coins)} to your balance`
            : `An administrator removed ${enCoins(-coins)} from your balance`;
      return { title: 'Balance adjusted', body: `${change}${reason ? `: ${reason}` : ''}.${balanceLine}` };
    }
    case 'vip_purchased': {
      const tier = text(d['tier_title']) ?? 'VIP';
      const until = day(d['expires_at'], 'en');
      const paid = coins === null ? '' : ` for ${enCoins(coins)}`;
      return { title: 'VIP membership active', body: `You bought “${tier}”${paid}. ${until ? `Your membership runs until ${until}.` : 'Your membership never ends.'}${balanceLine}` };
    }
    case 'vip_expiring': {
      const tier = text(d['tier_title']) ?? 'VIP';
      const until = day(d['expires_at'], 'en');
      return { title: 'VIP membership ending soon', body: `Your “${tier}” membership ends${until ? ` on ${until}` : ' soon'}. Renew it before then to keep your VIP access.` };
    }
    case 'vip_expired': {
      const tier = text(d['tier_title']) ?? 'VIP';
      return { title: 'VIP membership ended', body: `Your “${tier}” membership has ended. Posts you unlocked through it are locked again until you renew.` };
    }
    case 'ea_version': {
      const title = text(d['post_title']) ?? 'your EA';
      const notes = text(d['notes']);
      return { title: `New version of ${title}`, body: `Version ${text(d['version']) ?? ''} of “${title}” is out: download it from the post.${notes ? ` ${notes}` : ''}` };
    }
  }
}

function zh(kind: NotificationKind, d: NotificationData): RenderedMessage {
  const coins = int(d['coins']);
  const bonus = int(d['bonus_coins']);
  const balance = int(d['balance']);
  const amount = zhRecharge(d);
  const balanceLine = balance === null ? '' : `当前余额 ${zhCoins(balance)}。`;
  switch (kind) {
    case 'recharge_completed': {
      const extra = bonus !== null && bonus > 0 ? `（赠送 ${zhNumber.format(bonus)}）` : '';
      return { title: '充值成功', body: `您已成功充值${amount.trimEnd()}${extra}。${balanceLine}` };
    }
    case 'recharge_failed': {
      const reason = failureReason(d['reason'], 'zh');
      return { title: '充值失败', body: `您的${amount}充值未能完成${reason ? `（${reason}）` : ''}，未增加任何金币。` };
    }
    case 'recharge_expired':
      return { title: '充值已过期', body: `您的${amount}充值在付款到账前已过期，未增加任何金币。您可以随时重新充值。` };
    case 'unlock': {
      const title = text(d['post_title']);
      const what = title ? `《${title}》` : '文章';
      return { title: '内容已解锁', body: `您已${coins === null ? '' : `使用 ${zhCoins(coins)} `}解锁${what}。${balanceLine}` };
    }
    case 'reward_redeemed': {
      const name = text(d['reward_name']) ?? text(d['reward_key']);
      const what = name ? `「${name}」` : '奖励';
      return { title: '奖励已兑换', body: `您已${coins === null ? '' : `使用 ${zhCoins(coins)} `}兑换${what}。${handedOver(d, 'zh')}${balanceLine}` };
    }
    case 'referral_earned': {
      const who = text(d['referred_name']);
      const got = coins === null ? '推荐奖励' : zhCoins(coins);
      const why = who ? `${who} 通过您的链接加入，您获得 ${got}。` : `您通过推荐获得 ${got}。`;
      return { title: '推荐奖励', body: `${why}${balanceLine}` };
    }
    case 'referral_not_counted': {
      const who = text(d['referred_name']);
      const reason = notCountedReason(d['outcome'], 'zh');
      return { title: '推荐未计入', body: `${who ? `通过您的链接加入的好友 ${who} ` : '通过您的链接加入的好友'}已完成首次充值，但未计入奖励${reason ? `（${reason}）` : ''}。` };
    }
    case 'adjustment': {
      const reason = text(d['reason']);
      const change =
        coins === null ? '管理员调整了您的余额' : coins >= 0 ? `管理员为您增加了 ${zhCoins(coins)}` : `管理员从您的余额中扣除了 ${zhCoins(-coins)}`;
      return { title: '余额已调整', body: `${change}${reason ? `，原因：${reason}` : ''}。${balanceLine}` };
    }
    case 'vip_purchased': {
      const tier = text(d['tier_title']) ?? 'VIP';
      const until = day(d['expires_at'], 'zh');
      const paid = coins === null ? '' : `使用 ${zhCoins(coins)} `;
      return { title: 'VIP 会员已开通', body: `您已${paid}购买「${tier}」。${until ? `会员有效期至 ${until}。` : '会员永久有效。'}${balanceLine}` };
    }
    case 'vip_expiring': {
      const tier = text(d['tier_title']) ?? 'VIP';
      const until = day(d['expires_at'], 'zh');
      return { title: 'VIP 会员即将到期', body: `您的「${tier}」会员将于${until ? ` ${until} ` : '近期'}到期，请在到期前续费以保留 VIP 权益。` };
    }
    case 'vip_expired': {
      const tier = text(d['tier_title']) ?? 'VIP';
      return { title: 'VIP 会员已到期', body: `您的「${tier}」会员已到期。通过会员解锁的内容将重新锁定，续费后即可恢复。` };
    }
    case 'ea_version': {
      const title = text(d['post_title']) ?? 'EA';
      const notes = text(d['notes']);
      return { title: `${title} 有新版本`, body: `「${title}」已发布 ${text(d['version']) ?? ''} 版本，请到文章页面下载。${notes ? ` ${notes}` : ''}` };
    }
  }
}

export function renderNotification(kind: NotificationKind, data: NotificationData, locale: NotifyLocale): RenderedMessage {
  return locale === 'zh_CN' ? zh(kind, data) : en(kind, data);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]!);
}

export interface EmailContext {
  siteName: string;
  siteUrl: string;
  displayName: string | null;
}

/** Every value that came from data or WordPress is escaped in the HTML part; the text part is plain. */
export function renderEmail(message: RenderedMessage, locale: NotifyLocale, ctx: EmailContext): RenderedEmail {
  const name = ctx.displayName?.trim() || null;
  const greeting = locale === 'zh_CN' ? (name ? `${name}，您好：` : '您好：') : name ? `Hi ${name},` : 'Hi,';
  const footer = locale === 'zh_CN' ? `查看您的钱包：${ctx.siteUrl}` : `See your wallet: ${ctx.siteUrl}`;
  const subject = `[${ctx.siteName}] ${message.title}`;
  const text = `${greeting}\n\n${message.body}\n\n${footer}\n\n— ${ctx.siteName}\n`;
  const html =
    `<!doctype html><html><body>` +
    `<p>${escapeHtml(greeting)}</p>` +
    `<p>${escapeHtml(message.body)}</p>` +
    `<p><a href="${escapeHtml(ctx.siteUrl)}">${escapeHtml(footer)}</a></p>` +
    `<p>— ${escapeHtml(ctx.siteName)}</p>` +
    `</body></html>`;
  return { subject, text, html };
}

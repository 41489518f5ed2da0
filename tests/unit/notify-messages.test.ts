// Notification texts: every kind reads well in both languages with full, partial or empty data.
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../sidecar/src/notify/email-job.js';
import { normalizeLocale } from '../../sidecar/src/notify/locale.js';
import { escapeHtml, renderEmail, renderNotification } from '../../sidecar/src/notify/messages.js';
import { NOTIFICATION_KINDS } from '../../sidecar/src/notify/outbox.js';

const full = {
  recharge_id: 7,
  coins: 1200,
  bonus_coins: 120,
  balance: 1320,
  reason: 'underpaid',
  post_title: 'EA Pro',
  reward_name: 'VIP month',
  referred_name: 'Bob',
};

describe('renderNotification', () => {
  for (const locale of ['en_US', 'zh_CN'] as const) {
    for (const kind of NOTIFICATION_KINDS) {
      it(`writes a ${kind} notification in ${locale} from full and from empty data`, () => {
        for (const data of [full, {}, { coins: 'not a number', post_title: 42 }]) {
          const m = renderNotification(kind, data, locale);
          expect(m.title.length).toBeGreaterThan(0);
          expect(m.body.length).toBeGreaterThan(0);
          expect(m.body).not.toMatch(/undefined|null|NaN|\[object/);
        }
      });
    }
  }

  it('says what the seed says for a recharge with bonus, in both languages', () => {
    const data = { coins: 52, bonus_coins: 5 };
    expect(renderNotification('recharge_completed', data, 'en_US').body).toBe('Your recharge of 52 gold coins (+5 bonus) is complete.');
    expect(renderNotification('recharge_completed', data, 'zh_CN').body).toBe('您已成功充值 52 金币（赠送 5）。');
  });

  it('names a failed recharge by number when its coins are unknown and explains the reason code', () => {
    const data = { recharge_id: 12, reason: 'provider_failed' };
    expect(renderNotification('recharge_failed', data, 'en_US').body).toBe(
      'Your recharge #12 did not go through: the payment was cancelled or refused. No coins were added.',
    );
    expect(renderNotification('recharge_failed', data, 'zh_CN').body).toBe('您的 #12 充值未能完成（付款被取消或拒绝），未增加任何金币。');
    expect(renderNotification('recharge_failed', { coins: 22, reason: 'no_such_code' }, 'en_US').body).toBe(
      'Your recharge of 22 gold coins did not go through. No coins were added.',
    );
  });

  it('counts one coin in the singular and a deduction as a removal', () => {
    expect(renderNotification('unlock', { coins: 1 }, 'en_US').body).toBe('You unlocked a post for 1 gold coin.');
    expect(renderNotification('adjustment', { coins: -30, reason: 'refund' }, 'en_US').body).toBe(
      'An administrator removed 30 gold coins from your balance: refund.',
    );
    expect(renderNotification('adjustment', { coins: -30 }, 'zh_CN').body).toBe('管理员从您的余额中扣除了 30 金币。');
  });
});

describe('referral_not_counted', () => {
  it('tells the referrer which friend was not counted and why, in both languages', () => {
    const data = { outcome: 'cap_reached', referred_name: 'B***' };
    expect(renderNotification('referral_not_counted', data, 'en_US')).toEqual({
      title: 'Referral not counted',
      body: 'B***, who joined through your link, completed a first recharge, but it earned no reward: you reached the reward limit for this period.',
    });
    expect(renderNotification('referral_not_counted', data, 'zh_CN')).toEqual({
      title: '推荐未计入',
      body: '通过您的链接加入的好友 B*** 已完成首次充值，但未计入奖励（本期奖励次数已达上限）。',
    });
    expect(renderNotification('referral_not_counted', { outcome: 'same_email' }, 'en_US').body).toBe(
      'A friend who joined through your link completed a first recharge, but it earned no reward: the payment was made with your email.',
    );
    expect(renderNotification('referral_not_counted', { outcome: 'below_minimum' }, 'zh_CN').body).toBe(
      '通过您的链接加入的好友已完成首次充值，但未计入奖励（好友首充低于最低金额）。',
    );
  });
});

describe('renderEmail', () => {
  it('escapes every outside value in the HTML part and leaves the text part plain', () => {
    const msg = renderNotification('unlock', { post_title: `<img src=x onerror="alert('x')">`, coins: 3 }, 'en_US');
    const email = renderEmail(msg, 'en_US', { siteName: 'A & B', siteUrl: 'http://wp.test/?a=1&b="2"', displayName: '<Eve>' });
    expect(email.html).not.toMatch(/<img|<Eve>|"2"/);
    expect(email.html).toContain('&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;');
    expect(email.html).toContain('href="http://wp.test/?a=1&amp;b=&quot;2&quot;"');
    expect(email.text).toContain(`<img src=x onerror="alert('x')">`);
    expect(email.subject).toBe('[A & B] Content unlocked');
  });

  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});

describe('normalizeLocale and retryDelayMs', () => {
  it('maps every Chinese WordPress locale to Simplified Chinese and everything else to English', () => {
    expect(['zh_CN', 'zh-CN', 'zh_TW', 'zh', 'ZH_HK'].map(normalizeLocale)).toEqual(Array(5).fill('zh_CN'));
    expect(['en_US', 'de_DE', '', null, undefined, 'zhx'].map(normalizeLocale)).toEqual(Array(6).fill('en_US'));
  });

  it('doubles the retry delay from the base up to the cap', () => {
    expect([1, 2, 3, 4, 10, 1000].map((n) => retryDelayMs(n, 30_000, 3_600_000))).toEqual([
      30_000, 60_000, 120_000, 240_000, 3_600_000, 3_600_000,
    ]);
  });
});

// The languages notifications are written in, and how a WordPress locale maps onto them.

export const LOCALES = ['en_US', 'zh_CN'] as const;
export type NotifyLocale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: NotifyLocale = 'en_US';

/** Any Chinese WordPress locale (zh_CN, zh-Hans, zh_TW…) reads Simplified Chinese; everything else English. */
export function normalizeLocale(locale: string | null | undefined): NotifyLocale {
  if (!locale) return DEFAULT_LOCALE;
  return /^zh([_-]|$)/i.test(locale.trim()) ? 'zh_CN' : DEFAULT_LOCALE;
}

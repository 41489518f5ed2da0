// Strings only the bell uses, English and Simplified Chinese side by side: they travel in its chunk.
export const bellStrings: Record<string, [string, string]> = {
  notes: ['Notifications', '通知'],
  unread: ['{n} unread', '{n} 条未读'],
  close: ['Close', '关闭'],
};

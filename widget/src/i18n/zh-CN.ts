// Simplified Chinese strings.
import type { Strings } from './en.js';

export const zhCN: Strings = {
  loading: '请稍候…',
  retry: '重试',
  none: '暂无记录。',
  balance: '我的余额',
  recharge: '充值',
  bonus: '赠送 {n}',
  amount: '金币数',
  coin: '币种',
  total: '合计',
  cancel: '取消',
  pay: '前往支付',
  short: '还差 {n} 金币。',
  e_unauthorized: '登录已过期，请刷新页面。',
  e_insufficient_coins: '金币不足。',
  e_rate_limited: '请求过于频繁，请 {s} 秒后再试。',
  e_network_error: '无法连接服务器。',
  e_request_in_progress: '上一个请求仍在处理中。',
  e_config: '缺少 api 或 token 设置。',
  e_admin: '管理视图需要加载管理脚本 goldcoin-admin.js。',
  e_400: '请求未被接受，请检查所选内容或刷新页面（{c}）。',
  e_403: '无权限。',
  e_404: '未找到，可能已被删除。',
  e_500: '服务暂时不可用，请稍后再试。',
};

// The personal-data registry: each domain contributes one part saying what it holds about a user (export) and what
// erasure does to it. A new domain that stores something about a user adds one entry to PARTS.
import type { DbOrTx } from '../db/database.js';
import { parseMemoParams } from '../ledger/memo.js';
import { anonymiseBody, ERASED, withoutEmails } from './scrub.js';

/** A label in English and Simplified Chinese, chosen by the request's locale. */
export type Label = readonly [en: string, zh: string];

/** Who the request is about: the WordPress user, and the emails they paid or signed up with. */
export interface Subject {
  userId: number;
  emails: string[];
}

export interface Field {
  name: Label;
  value: string | number | null;
}
interface Row {
  id: string;
  fields: Field[];
}
interface Erased {
  removed: number;
  retained: number;
  /** Said to the administrator when something was kept: why. */
  message: Label | null;
  /** false when a bounded pass left work for the next call. */
  done: boolean;
}

export interface PrivacyPart {
  /** WordPress export group id: parts sharing one show as one group. */
  group: string;
  label: Label;
  count(db: DbOrTx, s: Subject): Promise<number>;
  /** At most `limit` rows from `offset`, in a stable order. */
  rows(db: DbOrTx, s: Subject, offset: number, limit: number): Promise<Row[]>;
  erase(db: DbOrTx, s: Subject, now: Date): Promise<Erased>;
}

/** Rows of the ipn_log anonymised per erase call: a user with more payments is finished by the next calls. */
const IPN_ERASE_BATCH = 200;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const n = (rows: { n: number | string | bigint }[]) => Number(rows[0]?.n ?? 0);
const kept = (retained: number, message: Label): Erased => ({ removed: 0, retained, message: retained > 0 ? message : null, done: true });
const BOOKS: Label = [
  'Kept: the coin records a business must keep for its accounts (they hold no name or email).',
  '已保留：企业依法须保存的金币账务记录（不含姓名或邮箱）。',
];

const wallet: PrivacyPart = {
  group: 'goldcoin-wallet',
  label: ['Gold Coins wallet', '金币钱包'],
  count: async (db, s) => n(await db.selectFrom('user_wallet').select((e) => e.fn.countAll<number>().as('n')).where('user_id', '=', s.userId).execute()),
  async rows(db, s, offset, limit) {
    const rows = await db.selectFrom('user_wallet').selectAll().where('user_id', '=', s.userId).offset(offset).limit(limit).execute();
    return rows.map((w) => ({
      id: `wallet-${w.user_id}`,
      fields: [
        { name: ['Balance (coins)', '余额（金币）'], value: w.total_coins },
        { name: ['Last recharge', '上次充值'], value: iso(w.last_recharge_at) },
        { name: ['Opened', '开通时间'], value: iso(w.created_at) },
      ],
    }));
  },
  // The wallet row holds a user id and a balance; it stays so the ledger still sums to it (a deleted user's too).
  erase: async (db, s) => kept(await wallet.count(db, s), BOOKS),
};

const ledger: PrivacyPart = {
  group: 'goldcoin-ledger',
  label: ['Gold Coins ledger', '金币明细'],
  count: async (db, s) => n(await db.selectFrom('coin_ledger').select((e) => e.fn.countAll<number>().as('n')).where('user_id', '=', s.userId).execute()),
  async rows(db, s, offset, limit) {
    const rows = await db.selectFrom('coin_ledger').selectAll().where('user_id', '=', s.userId).orderBy('id').offset(offset).limit(limit).execute();
    return rows.map((l) => ({
      id: `ledger-${l.id}`,
      fields: [
        { name: ['Date', '日期'], value: iso(l.created_at) },
        { name: ['Kind', '类型'], value: l.kind },
        { name: ['Coins', '金币'], value: l.delta_coins },
        { name: ['Balance after', '变动后余额'], value: l.balance_after },
        { name: ['Reference', '关联'], value: l.ref_type ? `${l.ref_type}:${l.ref_id ?? ''}` : null },
        { name: ['Memo', '备注'], value: l.memo },
      ],
    }));
  },
  // Amounts and balances stay (the books); an email an administrator typed into a memo does not, nor its copy among the
  // memo's parameters (the reason the widget shows).
  async erase(db, s) {
    const rows = await db
      .selectFrom('coin_ledger')
      .select(['id', 'memo', 'memo_params'])
      .where('user_id', '=', s.userId)
      .where((e) => e.or([e('memo', 'like', '%@%'), e('memo_params', 'like', '%@%')]))
      .execute();
    for (const r of rows) {
      const memo = r.memo === null ? null : withoutEmails(r.memo, s.emails);
      const params = parseMemoParams(r.memo_params);
      const cleaned = params && Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? withoutEmails(v, s.emails) : v]));
      const memoParams = cleaned ? JSON.stringify(cleaned) : r.memo_params;
      if (memo !== r.memo || memoParams !== r.memo_params) {
        await db.updateTable('coin_ledger').set({ memo, memo_params: memoParams }).where('id', '=', r.id).execute();
      }
    }
    return kept(await ledger.count(db, s), BOOKS);
  },
};

const payments: PrivacyPart = {
  group: 'goldcoin-payments',
  label: ['Gold Coins payments', '金币充值记录'],
  count: async (db, s) =>
    n(await db.selectFrom('recharge_transactions').select((e) => e.fn.countAll<number>().as('n')).where('user_id', '=', s.userId).execute()),
  async rows(db, s, offset, limit) {
    const rows = await db.selectFrom('recharge_transactions').selectAll().where('user_id', '=', s.userId).orderBy('id').offset(offset).limit(limit).execute();
    return rows.map((r) => ({
      id: `recharge-${r.id}`,
      fields: [
        { name: ['Date', '日期'], value: iso(r.created_at) },
        { name: ['Status', '状态'], value: r.status },
        { name: ['Coins', '金币'], value: r.coins },
        { name: ['Bonus coins', '赠送金币'], value: r.bonus_coins },
        { name: ['Price', '价格'], value: `${r.price_amount} ${r.price_currency}` },
        { name: ['Paid with', '支付币种'], value: r.crypto_amount ? `${r.crypto_amount} ${r.crypto_currency ?? ''}`.trim() : r.payment_method },
        { name: ['Payment address', '收款地址'], value: r.address },
        { name: ['Transaction', '交易号'], value: r.txn_id },
        { name: ['Payment email', '支付邮箱'], value: r.buyer_email },
        { name: ['Completed', '完成时间'], value: iso(r.completed_at) },
        { name: ['Failure reason', '失败原因'], value: r.failed_reason },
      ],
    }));
  },
  async erase(db, s) {
    await db.updateTable('recharge_transactions').set({ buyer_email: null }).where('user_id', '=', s.userId).where('buyer_email', 'is not', null).execute();
    return kept(await payments.count(db, s), [
      'Kept: payment records (amounts, dates, transaction ids) required for accounting; their email was removed.',
      '已保留：会计所需的支付记录（金额、日期、交易号），其中的邮箱已删除。',
    ]);
  },
};

/** The user's IPN and webhook rows: those tied to one of their recharges by id or by the provider's transaction id. */
function ipnRowsOf(db: DbOrTx, s: Subject) {
  // Subqueries from the expression builder: one from `db` would be table-prefixed twice (once as its own query).
  return db.selectFrom('ipn_log').where((e) =>
    e.or([
      e('recharge_id', 'in', e.selectFrom('recharge_transactions').select('id').where('user_id', '=', s.userId)),
      e('txn_id', 'in', e.selectFrom('recharge_transactions').select('txn_id').where('user_id', '=', s.userId).where('txn_id', 'is not', null)),
    ]),
  );
}

const paymentNotifications: PrivacyPart = {
  group: 'goldcoin-payments',
  label: ['Gold Coins payments', '金币充值记录'],
  count: async (db, s) => n(await ipnRowsOf(db, s).select((e) => e.fn.countAll<number>().as('n')).execute()),
  async rows(db, s, offset, limit) {
    const rows = await ipnRowsOf(db, s).selectAll().orderBy('id').offset(offset).limit(limit).execute();
    return rows.map((r) => ({
      id: `ipn-${r.id}`,
      fields: [
        { name: ['Payment notification received', '收到支付通知'], value: iso(r.received_at) },
        { name: ['Transaction', '交易号'], value: r.txn_id },
        { name: ['Verdict', '处理结果'], value: `${r.verdict} (${r.reason})` },
        { name: ['As received', '原始内容'], value: r.body_cleared_at ? null : r.raw_body },
      ],
    }));
  },
  async erase(db, s, now) {
    const rows = await ipnRowsOf(db, s)
      .select(['id', 'raw_body'])
      .where('anonymised_at', 'is', null)
      .orderBy('id')
      .limit(IPN_ERASE_BATCH + 1)
      .execute();
    for (const r of rows.slice(0, IPN_ERASE_BATCH)) {
      await db.updateTable('ipn_log').set({ raw_body: anonymiseBody(r.raw_body, s.emails), anonymised_at: now }).where('id', '=', r.id).execute();
    }
    const total = await paymentNotifications.count(db, s);
    return {
      ...kept(total, [
        "Kept: the payment provider's notifications and their verdicts, with the buyer's name and email replaced.",
        '已保留：支付服务商的通知及处理结果，其中买家姓名和邮箱已替换。',
      ]),
      done: rows.length <= IPN_ERASE_BATCH,
    };
  },
};

const notifications: PrivacyPart = {
  group: 'goldcoin-notifications',
  label: ['Gold Coins notifications', '金币通知'],
  count: async (db, s) => n(await db.selectFrom('notifications').select((e) => e.fn.countAll<number>().as('n')).where('user_id', '=', s.userId).execute()),
  async rows(db, s, offset, limit) {
    const rows = await db.selectFrom('notifications').selectAll().where('user_id', '=', s.userId).orderBy('id').offset(offset).limit(limit).execute();
    return rows.map((r) => ({
      id: `notification-${r.id}`,
      fields: [
        { name: ['Date', '日期'], value: iso(r.created_at) },
        { name: ['Kind', '类型'], value: r.kind },
        { name: ['Details', '内容'], value: r.data },
        { name: ['Read', '已读时间'], value: iso(r.read_at) },
      ],
    }));
  },
  // Messages to the user, not records of money: they go, with their queued emails.
  async erase(db, s) {
    await db
      .deleteFrom('email_outbox')
      .where((e) => e('notification_id', 'in', e.selectFrom('notifications').select('id').where('user_id', '=', s.userId)))
      .execute();
    const res = await db.deleteFrom('notifications').where('user_id', '=', s.userId).executeTakeFirst();
    // What the user marked read of their unlock receipts (the receipts are ledger rows, kept with the books).
    await db.deleteFrom('receipt_reads').where('user_id', '=', s.userId).execute();
    await db.deleteFrom('receipt_marks').where('user_id', '=', s.userId).execute();
    return { removed: Number(res.numDeletedRows), retained: 0, message: null, done: true };
  },
};

const referrals: PrivacyPart = {
  group: 'goldcoin-referrals',
  label: ['Gold Coins referrals', '金币推荐'],
  count: async (db, s) => {
    const [codes, bindings] = await Promise.all([
      db.selectFrom('referral_codes').select((e) => e.fn.countAll<number>().as('n')).where('user_id', '=', s.userId).execute(),
      db
        .selectFrom('referral_bindings')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where((e) => e.or([e('referee_user_id', '=', s.userId), e('referrer_user_id', '=', s.userId)]))
        .execute(),
    ]);
    return n(codes) + n(bindings);
  },
  async rows(db, s, offset, limit) {
    const code = await db.selectFrom('referral_codes').selectAll().where('user_id', '=', s.userId).execute();
    const out: Row[] = code.map((c) => ({
      id: `referral-code-${c.user_id}`,
      fields: [
        { name: ['Your referral code', '您的推荐码'], value: c.code },
        { name: ['Created', '创建时间'], value: iso(c.created_at) },
      ],
    }));
    const bindings = await db
      .selectFrom('referral_bindings')
      .selectAll()
      .where((e) => e.or([e('referee_user_id', '=', s.userId), e('referrer_user_id', '=', s.userId)]))
      .orderBy('referee_user_id')
      .execute();
    for (const b of bindings) {
      const referred = b.referrer_user_id === s.userId;
      out.push({
        id: `referral-${b.referee_user_id}`,
        fields: [
          { name: referred ? ['You referred user', '您推荐的用户'] : ['Referred by user', '推荐您的用户'], value: referred ? b.referee_user_id : b.referrer_user_id },
          { name: ['Since', '绑定时间'], value: iso(b.bound_at) },
          { name: ['Reward (coins)', '奖励（金币）'], value: b.reward_coins },
          { name: ['Rewarded', '奖励时间'], value: iso(b.rewarded_at) },
          // rewarded, or why it was not counted (cap_reached, same_email, …); left out while the referee has not paid.
          { name: ['Outcome', '结果'], value: b.outcome },
        ],
      });
    }
    return out.slice(offset, offset + limit);
  },
  // Who referred whom explains referral rewards in the ledger; the rows hold user ids and a code, no name or email.
  erase: async (db, s) => kept(await referrals.count(db, s), BOOKS),
};

const purchases: PrivacyPart = {
  group: 'goldcoin-purchases',
  label: ['Gold Coins purchases', '金币消费'],
  count: async (db, s) => {
    const [unlocks, rewards, vip] = await Promise.all(
      (['entitlements', 'reward_redemptions', 'vip_purchases'] as const).map((t) =>
        db.selectFrom(t).select((e) => e.fn.countAll<number>().as('n')).where('user_id', '=', s.userId).execute(),
      ),
    );
    return n(unlocks!) + n(rewards!) + n(vip!);
  },
  async rows(db, s, offset, limit) {
    // Three small per-user lists: read whole (each is bounded by what one user bought), then paged together.
    const [unlocks, rewards, vip] = await Promise.all([
      db.selectFrom('entitlements').selectAll().where('user_id', '=', s.userId).orderBy('id').execute(),
      db.selectFrom('reward_redemptions').selectAll().where('user_id', '=', s.userId).orderBy('id').execute(),
      db.selectFrom('vip_purchases').selectAll().where('user_id', '=', s.userId).orderBy('id').execute(),
    ]);
    const out: Row[] = [
      ...unlocks.map((u) => ({
        id: `unlock-${u.id}`,
        fields: [
          { name: ['Unlocked post', '已解锁文章'], value: u.post_id },
          { name: ['Coins', '金币'], value: u.price_coins },
          { name: ['How', '方式'], value: u.source },
          { name: ['Date', '日期'], value: iso(u.created_at) },
          { name: ['Access until', '有效期至'], value: iso(u.expires_at) },
        ] satisfies Field[],
      })),
      ...rewards.map((r) => ({
        id: `reward-${r.id}`,
        fields: [
          { name: ['Reward', '奖励'], value: r.reward_key },
          { name: ['Coins', '金币'], value: r.cost_coins },
          { name: ['Handed over', '发放内容'], value: r.code ?? r.fulfilment_value },
          { name: ['Date', '日期'], value: iso(r.created_at) },
        ] satisfies Field[],
      })),
      ...vip.map((v) => ({
        id: `vip-${v.id}`,
        fields: [
          { name: ['VIP membership', 'VIP 会员'], value: v.tier_key },
          { name: ['Coins', '金币'], value: v.price_coins },
          { name: ['From', '开始'], value: iso(v.starts_at) },
          { name: ['Until', '结束'], value: iso(v.ends_at) },
        ] satisfies Field[],
      })),
    ];
    return out.slice(offset, offset + limit);
  },
  erase: async (db, s) => kept(await purchases.count(db, s), BOOKS),
};

/** An administrator's catalog changes carry their display name beside their id: the name goes, the audit stays. */
const catalogChanges: PrivacyPart = {
  group: 'goldcoin-catalog-changes',
  label: ['Gold Coins catalog changes', '金币商品与价格变更'],
  count: async (db, s) =>
    n(await db.selectFrom('catalog_audit').select((e) => e.fn.countAll<number>().as('n')).where('actor', '=', `admin:${s.userId}`).execute()),
  async rows(db, s, offset, limit) {
    const rows = await db
      .selectFrom('catalog_audit')
      .select(['id', 'section', 'version', 'actor_name', 'created_at'])
      .where('actor', '=', `admin:${s.userId}`)
      .orderBy('id')
      .offset(offset)
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: `catalog-change-${r.id}`,
      fields: [
        { name: ['Date', '日期'], value: iso(r.created_at) },
        { name: ['Section', '部分'], value: `${r.section} (v${r.version})` },
        { name: ['Name recorded', '记录的姓名'], value: r.actor_name },
      ],
    }));
  },
  async erase(db, s) {
    await db.updateTable('catalog_audit').set({ actor_name: ERASED }).where('actor', '=', `admin:${s.userId}`).where('actor_name', '!=', ERASED).execute();
    return kept(await catalogChanges.count(db, s), [
      'Kept: catalog changes made as an administrator, under the user id; the name recorded with them was removed.',
      '已保留：作为管理员所做的商品与价格变更（按用户 ID），记录的姓名已删除。',
    ]);
  },
};

/**
 * A licence is the EA's key to run: its key, its trading accounts (number, type, broker server, last check) and its
 * audit trail are exported; erasure keeps them, or the EA the user bought would stop working.
 */
const licences: PrivacyPart = {
  group: 'goldcoin-licences',
  label: ['Gold Coins EA licences', 'EA 授权'],
  count: async (db, s) => n(await db.selectFrom('licences').select((e) => e.fn.countAll<number>().as('n')).where('user_id', '=', s.userId).execute()),
  async rows(db, s, offset, limit) {
    const rows = await db.selectFrom('licences').selectAll().where('user_id', '=', s.userId).orderBy('id').offset(offset).limit(limit).execute();
    const out: Row[] = [];
    for (const l of rows) {
      const [activations, events] = await Promise.all([
        db.selectFrom('licence_activations').selectAll().where('licence_id', '=', l.id).orderBy('id').execute(),
        db.selectFrom('licence_events').selectAll().where('licence_id', '=', l.id).orderBy('id').execute(),
      ]);
      out.push({
        id: `licence-${l.id}`,
        fields: [
          { name: ['Post', '文章'], value: l.post_id },
          { name: ['Licence key', '授权码'], value: l.licence_key },
          { name: ['Issued', '签发时间'], value: iso(l.created_at) },
          { name: ['Revoked', '撤销时间'], value: iso(l.revoked_at) },
          ...activations.map((a, i) => ({
            name: [`Trading account ${i + 1}`, `交易账户 ${i + 1}`] as const,
            value: `${a.account} (${a.account_type}, ${a.server}); activated ${iso(a.activated_at)}, last check ${iso(a.last_check_at)}${a.released_at ? `, released ${iso(a.released_at)}` : ''}`,
          })),
          ...events.map((e, i) => ({
            name: [`Event ${i + 1}`, `记录 ${i + 1}`] as const,
            value: `${iso(e.created_at)} ${e.action} by ${e.actor}${e.account ? ` (${e.account})` : ''}`,
          })),
        ],
      });
    }
    return out;
  },
  erase: async (db, s) =>
    kept(await licences.count(db, s), ['Kept: licences and their activations, which the bought EA keeps needing.', '已保留：授权及其激活记录，已购买的 EA 仍需使用。']),
};

/** In export order. Erasure runs in this order too. */
export const PARTS: readonly PrivacyPart[] = [wallet, ledger, payments, paymentNotifications, notifications, referrals, purchases, catalogChanges, licences];

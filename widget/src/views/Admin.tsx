// Admin (WordPress admin page): payments with filters and their detail, the stuck queue, ledger search, adjustments, VIP
// members and tiers, referrals, EA licences, a chart, the catalog editor with its audit, and the CSV exports.
import { h } from 'preact';
import { useState } from 'preact/hooks';
import type { AdminPayment, AdminReferral, LedgerEntry, Member, Stats } from '../api.js';
import { outcomeText, referralListStrings } from '../i18n/referral-list.js';
import { ErrorBox, gate, grab, money, useCtx, useLoad, useSubmit, useT, withStrings } from '../ui.js';
import { CatalogAuditList, CatalogEditor, Exports } from './AdminCatalog.js';
import { AdminLicences } from './AdminLicences.js';
import { PaymentDetail } from './AdminPayment.js';
import { VipTiers } from './AdminVip.js';
import { date, History, More, usePaged } from './Wallet.js';

const TABS = ['payments', 'stuck', 'ledger', 'adjust', 'tiers', 'members', 'referrals', 'licences', 'stats', 'catalog', 'audit', 'export'];
const PANELS: Record<string, (props: object) => preact.JSX.Element | null> = {
  adjust: Adjust,
  stats: Chart,
  members: Members,
  tiers: VipTiers,
  referrals: withStrings(referralListStrings, Referrals),
  licences: AdminLicences,
  catalog: CatalogEditor,
  audit: CatalogAuditList,
  export: Exports,
};
const OUTCOMES = ['pending', 'rewarded', 'cap_reached', 'below_minimum', 'same_email', 'no_reward', 'not_first_recharge'];
const STATUSES = ['pending', 'completed', 'failed'];
const KINDS = ['recharge', 'bonus', 'unlock', 'author_share', 'reward', 'referral', 'adjustment', 'vip'];
const MEMBER_STATUSES = ['active', 'expired'];

const formValues = (e: Event) => {
  e.preventDefault();
  return Object.fromEntries(new FormData(e.target as HTMLFormElement)) as Record<string, string>;
};

/**
 * Payments or ledger entries with a user and status/kind filter, applied on submit (not per keystroke). A payment
 * opens in place of the list, which keeps its rows (updated by a resolution) and gives focus back to the row.
 */
function Search({ tab }: { tab: string }) {
  const t = useT();
  const { lang } = useCtx();
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(0);
  const [last, setLast] = useState(0);
  const [fresh, setFresh] = useState<Record<number, AdminPayment>>({});
  const ledger = tab === 'ledger';
  const list = usePaged<AdminPayment & LedgerEntry>(`/api/admin/${ledger ? 'ledger' : 'payments'}?${tab === 'stuck' ? 'stuck=1' : q}`, ledger ? 'entries' : 'payments');
  const [name, prefix, options] = ledger ? ['kind', 'k', KINDS] : ['status', 's', STATUSES];
  if (open) {
    return <PaymentDetail id={open} onBack={() => (setLast(open), setOpen(0))} onChange={(p) => setFresh({ ...fresh, [p.id]: p })} />;
  }
  return (
    <>
      {tab !== 'stuck' && (
        <form class="flt" onSubmit={(e) => setQ(new URLSearchParams(Object.entries(formValues(e)).filter(([, v]) => v)).toString())}>
          <label class="f">
            <span>{t('user')}</span>
            <input name="user_id" inputMode="numeric" pattern="[0-9]*" size={8} />
          </label>
          <label class="f">
            <span>{t(ledger ? 'kind' : 'state')}</span>
            <select name={name}>
              <option value="">{t('all')}</option>
              {options.map((o) => (
                <option value={o} key={o}>
                  {t(`${prefix}_${o}`)}
                </option>
              ))}
            </select>
          </label>
          {!ledger && (
            <label class="ck">
              <input type="checkbox" name="on_hold" value="1" />
              {t('held')}
            </label>
          )}
          <button class="btn gh">{t('search')}</button>
        </form>
      )}
      {ledger ? (
        <History rows={list.rows} admin />
      ) : (
        <div class="sc">
          <table>
            <tr>
              {['#', t('user'), t('amount'), t('total'), t('state'), t('date')].map((label) => (
                <th key={label}>{label}</th>
              ))}
            </tr>
            {list.rows.map((row) => {
              const p = { ...row, ...fresh[row.id] };
              return (
                <tr key={p.id}>
                  {[
                    <button type="button" class="ln" aria-label={t('open', { n: p.id })} ref={p.id == last ? grab : null} onClick={() => setOpen(p.id)}>
                      #{p.id}
                    </button>,
                    `${p.user_login ?? ''} #${p.user_id}`,
                    p.coins + (p.bonus_coins ? ` +${p.bonus_coins}` : ''),
                    money(p.price_amount, p.price_currency),
                    (t(`s_${p.status}`) || p.status) + (p.hold_reason ? ` · ${t('held')}` : ''),
                    date(p.created_at, lang),
                  ].map((v, i) => (
                    <td key={i}>{v}</td>
                  ))}
                </tr>
              );
            })}
          </table>
          {!list.rows.length && !list.busy && <p class="mu">{t('none')}</p>}
        </div>
      )}
      <More list={list} />
    </>
  );
}

function Adjust() {
  const t = useT();
  const { api } = useCtx();
  const submit = useSubmit();
  const [balance, setBalance] = useState<number>();
  async function go(e: Event) {
    const v = formValues(e);
    const body = { user_id: +v['user_id']!, delta_coins: +v['delta_coins']!, reason: v['reason'] };
    setBalance(undefined);
    const r = await submit.run(body, (key) => api.post<{ balance: number }>('/api/admin/adjustments', body, key));
    if (r) {
      setBalance(r.balance);
      (e.target as HTMLFormElement).reset();
    }
  }
  return (
    <form onSubmit={go}>
      {(
        [
          ['user_id', 'user', '[1-9][0-9]*'],
          ['delta_coins', 'delta', '-?[1-9][0-9]*'],
          ['reason', 'reason', '.{3,255}'],
        ] as const
      ).map(([name, label, pattern]) => (
        <label class="f" key={name}>
          <span>{t(label)}</span>
          <input name={name} required pattern={pattern} />
        </label>
      ))}
      <ErrorBox error={submit.error} />
      {balance !== undefined && (
        <p class="ok" role="status">
          {t('adjusted', { n: balance })}
        </p>
      )}
      <button class="btn" disabled={submit.busy}>
        {t('apply')}
      </button>
    </form>
  );
}

/** VIP members with their tier, since and expiry, filtered by tier key and by whether the membership runs now. */
function Members() {
  const t = useT();
  const { lang } = useCtx();
  const [q, setQ] = useState('');
  const list = usePaged<Member>(`/api/admin/vip/members?${q}`, 'members');
  return (
    <>
      <form class="flt" onSubmit={(e) => setQ(new URLSearchParams(Object.entries(formValues(e)).filter(([, v]) => v)).toString())}>
        <label class="f">
          <span>{t('tier')}</span>
          <input name="tier" size={10} pattern="[a-z0-9][a-z0-9_\-]*" />
        </label>
        <label class="f">
          <span>{t('state')}</span>
          <select name="status">
            <option value="">{t('all')}</option>
            {MEMBER_STATUSES.map((o) => (
              <option value={o} key={o}>
                {t(`m_${o}`)}
              </option>
            ))}
          </select>
        </label>
        <button class="btn gh">{t('search')}</button>
      </form>
      <div class="sc">
        <table>
          <tr>
            {[t('user'), t('tier'), t('since'), t('expires'), t('state')].map((label) => (
              <th key={label}>{label}</th>
            ))}
          </tr>
          {list.rows.map((m) => (
            <tr key={m.user_id}>
              {[
                `${m.display_name ?? ''} #${m.user_id}`,
                m.tier_key,
                date(m.since, lang),
                m.expires_at ? date(m.expires_at, lang) : t('forever'),
                t(m.active ? 'm_active' : 'm_expired'),
              ].map((v, i) => (
                <td key={i}>{v}</td>
              ))}
            </tr>
          ))}
        </table>
        {!list.rows.length && !list.busy && <p class="mu">{t('none')}</p>}
      </div>
      <More list={list} />
    </>
  );
}

/** Every referral: who referred whom, when, its outcome (the words the referrer reads) and the coins it paid. */
function Referrals() {
  const t = useT();
  const { lang } = useCtx();
  const [q, setQ] = useState('');
  const list = usePaged<AdminReferral>(`/api/admin/referrals?${q}`, 'referrals');
  return (
    <>
      <form class="flt" onSubmit={(e) => setQ(new URLSearchParams(Object.entries(formValues(e)).filter(([, v]) => v)).toString())}>
        <label class="f">
          <span>{t('referrer_id')}</span>
          <input name="referrer_id" inputMode="numeric" pattern="[1-9][0-9]*" size={8} />
        </label>
        <label class="f">
          <span>{t('outcome')}</span>
          <select name="outcome">
            <option value="">{t('all')}</option>
            {OUTCOMES.map((o) => (
              <option value={o} key={o}>
                {o === 'pending' || o === 'rewarded' ? t(`oc_${o}`) : outcomeText(t, { outcome: o, reward_coins: 0 })}
              </option>
            ))}
          </select>
        </label>
        <button class="btn gh">{t('search')}</button>
      </form>
      <div class="sc">
        <table>
          <tr>
            {[t('referrer'), t('referee'), t('bound'), t('outcome'), t('reward')].map((label) => (
              <th key={label}>{label}</th>
            ))}
          </tr>
          {list.rows.map((r) => (
            <tr key={r.referee_id}>
              {[
                `${r.referrer_name} #${r.referrer_id}`,
                `${r.name} #${r.referee_id}`,
                date(r.bound_at, lang),
                outcomeText(t, r),
                r.reward_coins,
              ].map((v, i) => (
                <td key={i}>{v}</td>
              ))}
            </tr>
          ))}
        </table>
        {!list.rows.length && !list.busy && <p class="mu">{t('none')}</p>}
      </div>
      <More list={list} />
    </>
  );
}

/** Revenue as bars, coins issued and spent as lines, in one inline SVG; no chart library. */
function Chart() {
  const t = useT();
  const s = useLoad<Stats>('/api/admin/stats?days=30');
  if (!s.data) return gate(s);
  const { days, currency, totals } = s.data;
  const step = 600 / Math.max(days.length, 1);
  // Float scaling is for drawing only; every amount shown as text is the server's exact string.
  const maxRev = Math.max(1, ...days.map((d) => +d.revenue));
  const maxCoins = Math.max(1, ...days.flatMap((d) => [d.coins_issued, d.coins_spent]));
  const y = (v: number, max: number) => 160 - (v / max) * 150;
  const line = (k: 'coins_issued' | 'coins_spent') => days.map((d, i) => `${i ? 'L' : 'M'}${(i + 0.5) * step} ${y(d[k], maxCoins)}`).join('');
  return (
    <>
      <svg viewBox="0 0 600 178" role="img" aria-label={t('chart')}>
        {days.map((d, i) => (
          <rect key={d.date} class="b1" x={i * step + step / 6} width={step / 1.5} y={y(+d.revenue, maxRev)} height={160 - y(+d.revenue, maxRev)}>
            <title>{`${d.date}: ${money(d.revenue, currency)} +${d.coins_issued} −${d.coins_spent}`}</title>
          </rect>
        ))}
        <path d={line('coins_issued')} class="l1" />
        <path d={line('coins_spent')} class="l2" />
        <text y="174">{days[0]?.date}</text>
        <text x="600" y="174" text-anchor="end">
          {days[days.length - 1]?.date}
        </text>
      </svg>
      <dl>
        {(['revenue', 'issued', 'spent'] as const).flatMap((k, i) => [
          <dt key={k}>
            <i class={`k ${['b1', 'l1', 'l2'][i]}`} />
            {t(k)}
          </dt>,
          <dd key={`${k}v`}>{i ? totals[`coins_${k as 'issued' | 'spent'}`] : money(totals.revenue, currency)}</dd>,
        ])}
        <dt>{t('vipRevenue')}</dt>
        <dd>{t('vipSold', { c: totals.membership_coins, n: totals.memberships_sold })}</dd>
      </dl>
    </>
  );
}

/** Tabs as the ARIA pattern has them: one tab stop, arrow keys (and Home, End) move between tabs and select. */
export function Admin() {
  const t = useT();
  const [tab, setTab] = useState(TABS[0]!);
  const i = TABS.indexOf(tab);
  function key(e: KeyboardEvent) {
    const n = TABS.length;
    const to = ({ ArrowRight: i + 1, ArrowLeft: i + n - 1, Home: 0, End: n - 1 } as Record<string, number>)[e.key];
    if (to === undefined) return;
    e.preventDefault();
    setTab(TABS[to % n]!);
    ((e.currentTarget as HTMLElement).children[to % n] as HTMLElement).focus();
  }
  return (
    <section class="c">
      <div class="tabs" role="tablist" onKeyDown={key}>
        {TABS.map((x) => (
          <button
            type="button"
            role="tab"
            key={x}
            id={`t-${x}`}
            aria-selected={tab === x}
            aria-controls="panel"
            tabIndex={tab === x ? 0 : -1}
            class={tab === x ? 'on' : ''}
            onClick={() => setTab(x)}
          >
            {t(x)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="panel" aria-labelledby={`t-${tab}`}>
        {PANELS[tab] ? h(PANELS[tab]!, {}) : <Search tab={tab} key={tab} />}
      </div>
    </section>
  );
}

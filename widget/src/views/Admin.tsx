// Admin (WordPress admin page): payments with filters, the stuck queue, ledger search, adjustments, a chart.
import { useState } from 'preact/hooks';
import type { AdminPayment, LedgerEntry, Stats } from '../api.js';
import { date, ErrorBox, gate, money, More, useCtx, useLoad, usePaged, useSubmit, useT } from '../ui.js';
import { History } from './Wallet.js';

const TABS = ['payments', 'stuck', 'ledger', 'adjust', 'stats'];
const KINDS = ['recharge', 'bonus', 'unlock', 'author_share', 'reward', 'referral', 'adjustment'];

const formValues = (e: Event) => {
  e.preventDefault();
  return Object.fromEntries(new FormData(e.target as HTMLFormElement)) as Record<string, string>;
};
const query = (o: Record<string, string>) => new URLSearchParams(Object.entries(o).filter(([, v]) => v)).toString();

/** Filter inputs that apply on submit, so typing does not fire a request per key. */
function Filters({ kind, onApply }: { kind: string; onApply: (v: Record<string, string>) => void }) {
  const t = useT();
  const options = kind === 's' ? ['pending', 'completed', 'failed'] : KINDS;
  return (
    <form class="flt" onSubmit={(e) => onApply(formValues(e))}>
      <label class="f">
        <span>{t('user')}</span>
        <input name="user_id" inputMode="numeric" pattern="[0-9]*" size={8} />
      </label>
      <label class="f">
        <span>{kind === 's' ? t('state') : t('kind')}</span>
        <select name={kind === 's' ? 'status' : 'kind'}>
          <option value="">{t('all')}</option>
          {options.map((o) => (
            <option value={o} key={o}>
              {t(`${kind}_${o}`)}
            </option>
          ))}
        </select>
      </label>
      <button class="btn gh">{t('search')}</button>
    </form>
  );
}

function Payments({ stuck }: { stuck: boolean }) {
  const t = useT();
  const { lang } = useCtx();
  const [f, setF] = useState({});
  const list = usePaged<AdminPayment>(`/api/admin/payments?${query(stuck ? { stuck: '1' } : f)}`, 'payments');
  return (
    <>
      {!stuck && <Filters kind="s" onApply={setF} />}
      <div class="sc">
        <table>
          <tr>
            {['#', t('user'), t('amount'), t('total'), t('state'), t('date')].map((label) => (
              <th key={label}>{label}</th>
            ))}
          </tr>
          {list.rows.map((p) => (
            <tr key={p.id}>
              <td>{p.id}</td>
              <td>
                {p.user_login} #{p.user_id}
              </td>
              <td>
                {p.coins}
                {!!p.bonus_coins && ` +${p.bonus_coins}`}
              </td>
              <td>{p.price ? money(p.price.amount, p.price.currency) : money(p.price_amount ?? '', p.price_currency ?? '')}</td>
              <td>{t(`s_${p.status}`) || p.status}</td>
              <td>{date(p.created_at, lang)}</td>
            </tr>
          ))}
        </table>
      </div>
      {!list.rows.length && !list.busy && <p class="mu">{t('none')}</p>}
      <More list={list} />
    </>
  );
}

function Ledger() {
  const [f, setF] = useState({});
  const list = usePaged<LedgerEntry>(`/api/admin/ledger?${query(f)}`, 'entries');
  return (
    <>
      <Filters kind="k" onApply={setF} />
      <History rows={list.rows} admin />
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
    const body = { user_id: Number(v['user_id']), delta_coins: Number(v['delta_coins']), reason: v['reason'] };
    setBalance(undefined);
    const r = await submit.run(body, (key) => api.post<{ balance: number }>('/api/admin/adjustments', body, key));
    if (r) {
      setBalance(r.balance);
      (e.target as HTMLFormElement).reset();
    }
  }
  const field = (name: string, label: string, pattern?: string) => (
    <label class="f">
      <span>{label}</span>
      <input name={name} required pattern={pattern} minLength={pattern ? undefined : 3} maxLength={255} />
    </label>
  );
  return (
    <form onSubmit={go}>
      {field('user_id', t('user'), '[1-9][0-9]*')}
      {field('delta_coins', t('delta'), '-?[1-9][0-9]*')}
      {field('reason', t('reason'))}
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

/** Revenue as bars, coins issued and spent as lines, in one inline SVG; no chart library. */
function Chart() {
  const t = useT();
  const s = useLoad<Stats>('/api/admin/stats?days=30');
  if (!s.data) return gate(s);
  const { days, currency, totals } = s.data;
  const step = 600 / Math.max(days.length, 1);
  // Float scaling is for drawing only; every amount shown as text is the server's exact string.
  const top = (xs: number[]) => Math.max(1, ...xs);
  const maxRev = top(days.map((d) => +d.revenue));
  const maxCoins = top(days.flatMap((d) => [d.coins_issued, d.coins_spent]));
  const y = (v: number, max: number) => 160 - (v / max) * 150;
  const line = (k: 'coins_issued' | 'coins_spent') => days.map((d, i) => `${i ? 'L' : 'M'}${(i + 0.5) * step} ${y(d[k], maxCoins)}`).join('');
  return (
    <>
      <svg viewBox="0 0 600 178" role="img" aria-label={t('chart')}>
        {days.map((d, i) => (
          <rect key={d.date} class="b1" x={i * step + step / 6} width={(step * 2) / 3} y={y(+d.revenue, maxRev)} height={160 - y(+d.revenue, maxRev)}>
            <title>{`${d.date}: ${money(d.revenue, currency)}, +${d.coins_issued} / −${d.coins_spent}`}</title>
          </rect>
        ))}
        <path d={line('coins_issued')} class="l1" />
        <path d={line('coins_spent')} class="l2" />
        <text y="174">{days[0]?.date}</text>
        <text x="600" y="174" text-anchor="end">
          {days[days.length - 1]?.date}
        </text>
      </svg>
      <p class="mu sm">
        <i class="k b1" />
        {t('revenue')}
        <i class="k l1" />
        {t('issued')}
        <i class="k l2" />
        {t('spent')}
      </p>
      <dl>
        {Object.entries(totals).flatMap(([k, v]) => [
          <dt key={k}>{t(k === 'revenue' ? k : k === 'coins_issued' ? 'issued' : k === 'coins_spent' ? 'spent' : '') || k}</dt>,
          <dd key={`${k}v`}>{k === 'revenue' ? money(String(v), currency) : v}</dd>,
        ])}
      </dl>
    </>
  );
}

export function Admin() {
  const t = useT();
  const [tab, setTab] = useState('payments');
  return (
    <section class="c">
      <div class="tabs" role="tablist">
        {TABS.map((x) => (
          <button type="button" role="tab" key={x} aria-selected={tab === x} class={tab === x ? 'on' : ''} onClick={() => setTab(x)}>
            {t(x)}
          </button>
        ))}
      </div>
      <div role="tabpanel" aria-label={t(tab)}>
        {tab === 'ledger' ? <Ledger /> : tab === 'adjust' ? <Adjust /> : tab === 'stats' ? <Chart /> : <Payments stuck={tab === 'stuck'} />}
      </div>
    </section>
  );
}

// The referral view's second part, in a chunk of its own fetched while the first screen loads: the link's QR code, the
// rules, and the reader's referrals with each outcome (counted, waiting, or not counted and why). The QR encoder alone
// would take the view's first load over the widget's budget.
import { useEffect, useState } from 'preact/hooks';
import type { ApiError, Referee, ReferralSummary } from '../api.js';
import { outcomeText, referralListStrings } from '../i18n/referral-list.js';
import { Qr } from '../qr-code.js';
import { ErrorBox, useCtx, useT, withStrings } from '../ui.js';
import css from './referral-list.css?inline';

const PAGE = 20;

/** The referrer's referrals, a page at a time (the wallet's paged list would bring the wallet's chunk with it). */
function useReferees() {
  const { api } = useCtx();
  const [st, setSt] = useState<{ rows: Referee[]; next?: string | null; busy?: boolean; error?: ApiError }>({ rows: [] });
  async function load(from?: string) {
    setSt((s) => ({ ...s, busy: true }));
    const r = await api.get<{ referees: Referee[]; next_cursor: string | null }>(`/api/referrals/referees?limit=${PAGE}${from ? `&cursor=${from}` : ''}`);
    setSt((s) => (r.ok ? { rows: [...(from ? s.rows : []), ...r.data.referees], next: r.data.next_cursor } : { ...s, busy: false, error: r.error }));
  }
  useEffect(() => void load(), []);
  return { ...st, more: st.next ? () => load(st.next!) : null };
}

function LinkQr({ link }: { link: string }) {
  return <Qr text={link} label={useT()('linkQr')} />;
}

function Rules({ terms }: { terms: ReferralSummary['terms'] }) {
  const t = useT();
  return (
    <>
      <h3>{t('rules')}</h3>
      <ul class="rules">
        {terms.reward_coins > 0 ? (
          <>
            <li>{t('ruleReward', { n: terms.reward_coins, m: terms.min_recharge_coins })}</li>
            <li>{terms.max_rewards_per_period > 0 ? t('ruleCap', { k: terms.max_rewards_per_period, d: terms.period_days }) : t('ruleNoCap')}</li>
            <li>{t('ruleEmail')}</li>
          </>
        ) : (
          <li>{t('ruleOff')}</li>
        )}
      </ul>
    </>
  );
}

function Referees() {
  const t = useT();
  const { lang } = useCtx();
  const list = useReferees();
  return (
    <>
      <h3>{t('friends')}</h3>
      <ul class="fr">
        {list.rows.map((r, i) => (
          <li key={i}>
            <span>
              {r.name} <span class="mu">· {t('joined', { d: new Date(r.bound_at).toLocaleDateString(lang) })}</span>
            </span>
            <span class={`o ${r.outcome === 'rewarded' ? 'ok' : r.outcome ? 'nc' : 'mu'}`}>{outcomeText(t, r)}</span>
          </li>
        ))}
      </ul>
      {!list.rows.length && !list.busy && list.next !== undefined && <p class="mu">{t('none')}</p>}
      <ErrorBox error={list.error} />
      {list.more && (
        <button type="button" class="btn gh" disabled={list.busy} onClick={list.more}>
          {t('more')}
        </button>
      )}
      <style>{css}</style>
    </>
  );
}

export const ReferralQr = withStrings(referralListStrings, LinkQr);
export const ReferralRules = withStrings(referralListStrings, Rules);
export const ReferralReferees = withStrings(referralListStrings, Referees);

// Referral: the reader's code and link (copy, QR), how many friends they referred and the coins earned, the rules, and
// each referral with its outcome: counted, waiting, or not counted and why (the last three from ReferralList's chunk).
import { useEffect, useState } from 'preact/hooks';
import type { ReferralSummary } from '../api.js';
import { Copy } from '../copy.js';
import { referralStrings } from '../i18n/referral.js';
import { Card, Coin, gate, lazy, useLoad, useT, withStrings } from '../ui.js';
import css from './referral.css?inline';

const list = () => import('./ReferralList.js');
const LinkQr = lazy(() => list().then((m) => m.ReferralQr));
const Rules = lazy(() => list().then((m) => m.ReferralRules));
const Referees = lazy(() => list().then((m) => m.ReferralReferees));

function ReferralView() {
  const t = useT();
  const summary = useLoad<ReferralSummary>('/api/referrals');
  // Fetched alongside the summary; the view shows once both are in (or the parts' chunk failed, and each part says
  // so), so no part's placeholder stands in the page and moves what follows it when the part arrives.
  const [parts, setParts] = useState(false);
  useEffect(() => {
    const done = () => setParts(true);
    Promise.all([LinkQr, Rules, Referees].map((part) => part.load())).then(done, done);
  }, []);
  const s = summary.data;
  if (!s || !parts) return gate(parts ? summary : { ...summary, data: undefined });
  return (
    <Card title={t('invite')}>
      <div class="ref">
        <div>
          <p class="mu">{t('code')}</p>
          <p class="code">{s.code}</p>
          <Copy label={t('link')} value={s.link} />
          <div class="st">
            <span>
              <b>{s.referred_count}</b>
              <span class="mu">{t('referred')}</span>
            </span>
            <span>
              <b>
                <Coin n={s.earned_coins} />
              </b>
              <span class="mu">{t('earned')}</span>
            </span>
          </div>
        </div>
        <LinkQr link={s.link} />
      </div>
      <Rules terms={s.terms} />
      {s.referred_by && <p class="mu">{t('byYou', { n: s.referred_by.name })}</p>}
      <Referees />
      {/* Last, so no sibling rule counts it. */}
      <style>{css}</style>
    </Card>
  );
}

export const Referral = withStrings(referralStrings, ReferralView);

/** The name goldcoin.js loads every view by. */
export { Referral as view };

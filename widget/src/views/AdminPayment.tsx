// One payment in the admin view: its fields, IPN log and ledger credits, and resolving it while it is on hold.
import { useState } from 'preact/hooks';
import type { AdminPayment, AdminPaymentDetail } from '../api.js';
import { ErrorBox, grab, money, useCtx, useLoad, useSubmit, useT, Wait, type T } from '../ui.js';
import { date } from './Wallet.js';
import { History } from './Wallet.js';

const ACTIONS = ['credit_received', 'credit_full', 'reject'];

/** An IPN's reason code as a sentence (`paid_not_confirmed:hold:underpaid` reads as two); the code itself if unknown. */
function why(t: T, reason: string): string {
  const parts = reason.split(':');
  const unconfirmed = parts[0] === 'paid_not_confirmed' && parts.length > 1 ? t(`w_${parts.shift()}`) : '';
  const text = t(`w_${parts.join('_')}`);
  return text ? [unconfirmed, text].filter(Boolean).join(' ') : reason;
}

export function PaymentDetail({ id, onBack, onChange }: { id: number; onBack: () => void; onChange: (p: AdminPayment) => void }) {
  const t = useT();
  const { api, lang } = useCtx();
  const d = useLoad<AdminPaymentDetail>(`/api/admin/payments/${id}`);
  const submit = useSubmit();
  const [resolved, setResolved] = useState(false);
  const p = d.data?.payment;
  const r = d.data?.resolution;
  const held = p?.hold_reason && (t(`h_${p.hold_reason}`) || p.hold_reason);

  // The submitting button names the action; useSubmit keeps one Idempotency-Key per action and reason until it
  // succeeds, so a double click or a retry after a network error resolves the payment once.
  async function resolve(e: SubmitEvent) {
    e.preventDefault();
    const body = { action: (e.submitter as HTMLButtonElement).value, reason: new FormData(e.target as HTMLFormElement).get('reason') };
    let code: string | undefined;
    const res = await submit.run(body, async (key) => {
      const x = await api.post<AdminPaymentDetail>(`/api/admin/payments/${id}/resolve`, body, key);
      if (!x.ok) code = x.error.code;
      return x;
    });
    if (res) {
      d.set(res);
      setResolved(true);
      onChange(res.payment);
    }
    // Someone else resolved it meanwhile: show its state now, with the error saying why nothing happened.
    if (code == 'not_on_hold') d.reload();
  }

  return (
    <>
      <div class="hd">
        <h2 tabIndex={-1} ref={grab}>
          {t('payment', { n: id })}
        </h2>
        <button type="button" class="btn gh sm" onClick={onBack}>
          {t('list')}
        </button>
      </div>
      <ErrorBox error={d.error} onRetry={d.reload} />
      {!p ? (
        !d.error && <Wait />
      ) : (
        <>
          {r && (
            <p class="ok" role="status" tabIndex={-1} ref={resolved ? grab : null}>
              {t('resolution', { a: t(`a_${r.action}`), by: r.actor, d: date(r.created_at, lang), n: r.coins_credited, b: r.bonus_credited, r: r.reason })}
            </p>
          )}
          <dl>
            {(
              [
                ['user', `${p.user_login ?? ''} #${p.user_id} · ${p.user_email ?? ''}`],
                ['state', (t(`s_${p.status}`) || p.status) + (held ? ` · ${t('held')}: ${held}` : '')],
                ['amount', `${p.coins} + ${p.bonus_coins}`],
                ['got', `${p.coins_credited} + ${p.bonus_credited}`],
                ['price', money(p.price_amount ?? '', p.price_currency ?? '')],
                ['crypto', p.crypto_amount && `${p.crypto_amount} ${p.crypto_currency}`],
                ['received', p.received_amount && `${p.received_amount} ${p.crypto_currency}`],
                ['provider', p.provider_status != null && `${p.provider_status} ${p.provider_status_text ?? ''}`],
                ['txn', p.txn_id],
                ['failure', p.failed_reason],
                ['created', date(p.created_at, lang)],
                ['done_at', p.completed_at && date(p.completed_at, lang)],
              ] as const
            ).flatMap(([k, v]) => [<dt key={k}>{t(k)}</dt>, <dd key={`${k}v`}>{v || '—'}</dd>])}
          </dl>
          {held && (
            <form onSubmit={resolve}>
              <p class="wa">{t('hold_hint', { h: held })}</p>
              <label class="f">
                <span>{t('reason')}</span>
                <input name="reason" required pattern=".{3,255}" />
              </label>
              <div class="row">
                {ACTIONS.map((a) => (
                  <button key={a} name="action" value={a} class={a == 'reject' ? 'btn sm gh' : 'btn sm'} disabled={submit.busy}>
                    {t(`a_${a}`)}
                  </button>
                ))}
              </div>
            </form>
          )}
          <ErrorBox error={submit.error} />
          <h3>{t('ipns')}</h3>
          <div class="sc">
            <table>
              <tr>
                {['time', 'state', 'verdict', 'reason'].map((k) => (
                  <th key={k}>{t(k)}</th>
                ))}
              </tr>
              {d.data!.ipn_log.map((x) => {
                const w = why(t, x.reason);
                return (
                  <tr key={x.id}>
                    <td>{date(x.received_at, lang)}</td>
                    <td>{x.ipn_status ?? x.ipn_type}</td>
                    <td>{t(`v_${x.verdict}`) || x.verdict}</td>
                    <td class="w">
                      {w} {w !== x.reason && <small class="mu">{x.reason}</small>}
                    </td>
                  </tr>
                );
              })}
            </table>
          </div>
          <h3>{t('credits')}</h3>
          <History rows={d.data!.ledger} />
        </>
      )}
    </>
  );
}

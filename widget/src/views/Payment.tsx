// Payment: the address, exact amount and QR to pay, a countdown, and the live status until credited.
import { useEffect, useState } from 'preact/hooks';
import type { Recharge, Wallet } from '../api.js';
import { Copy } from '../copy.js';
import { paymentStrings } from '../i18n/payment.js';
import { Qr } from '../qr-code.js';
import { Card, Coin, grab, money, useCtx, useT, withStrings } from '../ui.js';
import { watch } from '../watch.js';
import css from './payment.css?inline';

/** Minutes may exceed 59: a payment window of 90 minutes counts down from 90:00. */
const two = (n: number) => String(n).padStart(2, '0');

/** Ticks every second while mounted, for countdowns. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  return now;
}

/** A recharge reaches this view once the provider created it, and the provider always gives these three. */
type Issued = Recharge['payment'] & { address: string; amount: string; expires_at: string };

function PaymentView({ r: first, onDone, onRestart }: { r: Recharge; onDone?: (() => void) | undefined; onRestart: () => void }) {
  const t = useT();
  const { api } = useCtx();
  const now = useNow();
  const [r, setR] = useState(first);
  const [balance, setBalance] = useState<number>();
  // Where "go to premium content" leads on the standalone recharge page: the plugin prints it on the element (return-url).
  const [ret, setRet] = useState<string | null>(null);

  useEffect(() => {
    const stop = new AbortController();
    void watch(api, first.id, (next) => setR((prev) => ({ ...prev, ...next, payment: { ...prev.payment, ...next.payment } })), stop.signal);
    return () => stop.abort();
  }, [first.id]);

  const done = r.status === 'completed';
  useEffect(() => {
    if (done) void api.get<Wallet>('/api/wallet').then((w) => w.ok && setBalance(w.data.balance));
  }, [done]);

  const pay = r.payment as Issued;
  const s = Math.max(0, Math.floor((Date.parse(pay.expires_at) - now) / 1000));
  const open = r.status === 'pending' && s > 0;

  // The sidecar's failure reason is a code for support; the reader is told whether the payment expired or failed.
  const failed = r.status === 'failed' && r.failed_reason != 'expired';
  const message = done
    ? t('credited', { n: (r.coins_credited ?? r.coins) + (r.bonus_credited ?? r.bonus_coins) })
    : t(failed ? 'failed' : open ? 'waiting' : 'expired');

  // Focus moves to the heading as the payment view appears, then to the confirmation. The status line is one live
  // region that stays in place from "waiting" to "failed" or "expired"; once credited it empties, since the focused
  // confirmation heading already reads the same words and the final state is announced once.
  return (
    <Card title={done ? undefined : t('send')} focus>
      {done ? (
        <div class="done" ref={(el) => void (el && setRet((el.getRootNode() as ShadowRoot).host?.getAttribute('return-url') ?? null))}>
          <div class="tick" aria-hidden="true">✓</div>
          <h2 tabIndex={-1} ref={grab}>
            {message}
          </h2>
          {balance !== undefined && (
            <p class="mu">
              {t('balance')}: <Coin n={balance} />
            </p>
          )}
          {onDone || !ret ? (
            <button type="button" class="btn" onClick={onDone ?? onRestart}>
              {onDone ? t('back') : t('recharge')}
            </button>
          ) : (
            <a class="btn" href={ret}>
              {t('premium')}
            </a>
          )}
        </div>
      ) : (
        <>
          {/* What is being bought, so the reader checks it against the amount to send. */}
          <p class="row">
            <span>
              {t('buying')} <Coin n={r.coins + r.bonus_coins} />
              {r.bonus_coins > 0 && <small class="mu"> ({t('bonus', { n: r.bonus_coins })})</small>}
            </span>
            <b>{money(r.price.amount, r.price.currency)}</b>
          </p>
          <p class="amt">
            {pay.amount} <small class="mu">{pay.currency}</small>
          </p>
          <div class="pay">
            {pay.qr && <Qr text={pay.qr} label={t('qr')} />}
            <div>
              <Copy label={t('address')} value={pay.address} />
              <Copy label={`${t('send')} (${pay.currency})`} value={pay.amount} />
              {pay.dest_tag && <Copy label={t('tag')} value={pay.dest_tag} />}
            </div>
          </div>
          {open && (
            <p class="mu sm">{t('expires', { t: `${two(Math.floor(s / 60))}:${two(s % 60)}` })}</p>
          )}
          <p class="row sm">
            {pay.status_url && (
              <a href={pay.status_url} target="_blank" rel="noopener">
                {t('status')}
              </a>
            )}
            {pay.checkout_url && (
              <a href={pay.checkout_url} target="_blank" rel="noopener">
                {t('checkout')}
              </a>
            )}
            {!open && (
              <button type="button" class="ln" onClick={onRestart}>
                {t('again')}
              </button>
            )}
          </p>
        </>
      )}
      <p role="status" aria-live="polite" class={done ? 'sr' : open ? '' : 'er'}>
        {open && <span class="dot" aria-hidden="true" />}
        {!done && message}
      </p>
      {/* Last, so no sibling rule counts it: a style element takes no room but is still an element. */}
      <style>{css}</style>
    </Card>
  );
}

export const Payment = withStrings(paymentStrings, PaymentView);

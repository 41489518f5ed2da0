// Recharge: choose a package or a custom amount and a payment method, then hand over to the payment view.
import { useState } from 'preact/hooks';
import { rechargeStrings } from '../i18n/recharge.js';
import type { Packages, Recharge as RechargeT } from '../api.js';
import { Card, Coin, ErrorBox, gate, lazy, money, useCtx, useLoad, useSubmit, useT, withStrings } from '../ui.js';
import css from './recharge.css?inline';

// The payment view (and its QR encoder) is fetched once a payment is asked for.
const Payment = lazy(() => import('./Payment.js').then((m) => m.Payment));

/** coins × a decimal price string, exactly (BigInt in the price's smallest unit). */
function times(coins: number, price: string): string {
  const [whole, frac = ''] = price.split('.');
  const v = (BigInt(whole + frac) * BigInt(coins)).toString().padStart(frac.length + 1, '0');
  return frac ? `${v.slice(0, -frac.length)}.${v.slice(-frac.length)}` : v;
}

export interface RechargeProps {
  /** Coins the user is short of: preselects the smallest package that covers them. */
  need?: number;
  /** Where "back to the content" goes once the payment is credited (the unlock view passes its own). */
  onDone?: () => void;
  onCancel?: () => void;
}

function RechargeView({ need = 0, onDone, onCancel }: RechargeProps) {
  const t = useT();
  const { api } = useCtx();
  const pk = useLoad<Packages>('/api/packages');
  const [sel, setSel] = useState<string>();
  const [custom, setCustom] = useState(need ? String(need) : '');
  const [method, setMethod] = useState<string>();
  const [opt, setOpt] = useState<string>();
  const submit = useSubmit();
  const [recharge, setRecharge] = useState<RechargeT | null>(null);

  if (recharge) return <Payment r={recharge} onDone={onDone} onRestart={() => setRecharge(null)} />;
  const p = pk.data;
  if (!p) return gate(pk);

  const fits = p.packages.find((x) => x.coins + x.bonus_coins >= need);
  const chosen = sel ?? (fits ?? (need ? undefined : p.packages[0]))?.id ?? 'custom';
  const pack = p.packages.find((x) => x.id === chosen);
  const lim = p.custom;
  const n = Number(custom);
  const customOk = Number.isInteger(n) && n >= lim.min_coins && n <= lim.max_coins;
  const coins = pack ? pack.coins : customOk ? n : 0;
  const tier = p.bonus_tiers.filter((x) => coins >= x.min_coins).pop();
  const bonus = pack ? pack.bonus_coins : tier ? Math.floor((coins * tier.bonus_percent) / 100) : 0;
  const price = pack ? pack.price : lim.coin_price && coins ? times(coins, lim.coin_price) : null;
  const m = p.methods.find((x) => x.id === method) ?? p.methods[0];
  const usdt = m?.id === 'USDT';
  const opts = (usdt ? m.networks : m?.currencies) ?? [];
  const choice = opt && opts.includes(opt) ? opt : (usdt && m.default_network) || opts[0] || '';

  async function go(e: Event) {
    e.preventDefault();
    const body = { ...(pack ? { package_id: pack.id } : { coins }), method: m?.id, [usdt ? 'network' : 'currency']: choice };
    // Fetched while the recharge is created, so the payment view is ready when its answer arrives.
    Payment.load().catch(() => undefined);
    const r = await submit.run(body, (key) => api.post<RechargeT>('/api/recharges', body, key));
    if (r) setRecharge(r);
  }

  return (
    <Card title={t('recharge')} aside={onCancel && <button type="button" class="ln" onClick={onCancel}>{t('cancel')}</button>}>
      <form onSubmit={go}>
        <fieldset class="pks">
          <legend class="sr">{t('amount')}</legend>
          {[...p.packages, null].map((x) => {
            const id = x?.id ?? 'custom';
            return (
              <label class={chosen === id ? 'pk on' : 'pk'} key={id}>
                <input type="radio" name="pk" class="sr" checked={chosen === id} onChange={() => setSel(id)} />
                {x ? <Coin n={x.coins} /> : <b>{t('custom')}</b>}
                <span class="mu">{x ? money(x.price, p.currency) : t('range', { min: lim.min_coins, max: lim.max_coins })}</span>
                {!!x?.bonus_coins && <span class="bg">{t('bonus', { n: x.bonus_coins })}</span>}
              </label>
            );
          })}
        </fieldset>
        {!pack && (
          <label class="f">
            <span>{t('amount')}</span>
            <input
              type="number"
              min={lim.min_coins}
              max={lim.max_coins}
              required
              value={custom}
              onInput={(e) => setCustom((e.target as HTMLInputElement).value)}
              aria-invalid={!!custom && !customOk}
            />
          </label>
        )}
        <fieldset class="seg">
          <legend>{t('method')}</legend>
          {p.methods.map((x) => (
            <label class={x === m ? 'on' : ''} key={x.id}>
              <input type="radio" name="m" class="sr" checked={x === m} onChange={() => setMethod(x.id)} />
              {x.id === 'USDT' ? 'USDT' : t('other')}
            </label>
          ))}
        </fieldset>
        <label class="f">
          <span>{usdt ? t('network') : t('coin')}</span>
          <select value={choice} onChange={(e) => setOpt((e.target as HTMLSelectElement).value)}>
            {opts.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
        <dl>
          <dt>{t('get')}</dt>
          <dd>
            <Coin n={coins + bonus} />
          </dd>
          {price && (
            <>
              <dt>{t('total')}</dt>
              <dd>
                <b>{money(price, p.currency)}</b>
              </dd>
            </>
          )}
        </dl>
        <ErrorBox error={submit.error} />
        <button class="btn wd" disabled={!coins || submit.busy}>
          {submit.busy ? t('loading') : t('pay')}
        </button>
      </form>
      {/* Last, so no sibling rule counts it: a style element takes no room but is still an element. */}
      <style>{css}</style>
    </Card>
  );
}

export const Recharge = withStrings(rechargeStrings, RechargeView);

/** The name goldcoin.js loads every view by. */
export { Recharge as view };

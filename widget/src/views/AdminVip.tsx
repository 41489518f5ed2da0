// Admin VIP tiers (/api/admin/vip/tiers): create a tier, change its price, length, role and download allowance, retire
// it or put it back on sale. Each tier is its own small form, so saving one never sends another's half-typed change.
import { useState } from 'preact/hooks';
import { type AdminTier, type ApiError, fieldIssues, type FieldIssue } from '../api.js';
import { ErrorBox, gate, type T, useCtx, useLoad, useT } from '../ui.js';
import { Field, num } from './AdminCatalog.js';

interface Draft {
  key: string;
  title: string;
  price_coins: string;
  days: string;
  lifetime: boolean;
  role: string;
  daily_downloads: string;
  keeps_unlocks: boolean;
}

const BLANK: Draft = { key: '', title: '', price_coins: '', days: '30', lifetime: false, role: '', daily_downloads: '', keeps_unlocks: false };

const draftOf = (tier: AdminTier | null): Draft =>
  tier
    ? {
        key: tier.key,
        title: tier.title,
        price_coins: String(tier.price_coins),
        days: tier.days ? String(tier.days) : '',
        lifetime: tier.days === 0,
        role: tier.role ?? '',
        daily_downloads: tier.daily_downloads === null ? '' : String(tier.daily_downloads),
        keeps_unlocks: tier.keeps_unlocks,
      }
    : BLANK;

/** The tier's fields as the API takes them; numbers that are not whole are sent as typed, so the refusal names them. */
const fieldsOf = (d: Draft): Record<string, unknown> => ({
  title: d.title.trim(),
  price_coins: num(d.price_coins),
  days: d.lifetime ? 0 : num(d.days),
  role: d.role.trim() || null,
  daily_downloads: d.daily_downloads.trim() ? num(d.daily_downloads) : null,
  keeps_unlocks: d.keeps_unlocks,
});

/** A refused field in the reader's language, from the zod issue the sidecar names. */
function issueText(t: T, f: FieldIssue): string {
  if (f.path === 'title') return f.code === 'too_big' ? t('f_max', { n: f.limit ?? 0 }) : t('t_title');
  if (f.path === 'key') return t('t_key');
  if (f.path === 'role') return t('t_role');
  if (f.code === 'too_small') return t('f_min', { n: f.limit ?? 0 });
  if (f.code === 'too_big') return t('f_max', { n: f.limit ?? 0 });
  return t('f_whole');
}

function TierForm({ tier, onSaved }: { tier: AdminTier | null; onSaved: (tier: AdminTier) => void }) {
  const t = useT();
  const { api } = useCtx();
  const [d, setD] = useState(draftOf(tier));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [state, setState] = useState<{ busy?: boolean; done?: string; error?: ApiError }>({});
  const id = tier ? `vt-${tier.key}` : 'vt-new';
  const put = (k: keyof Draft) => (v: string | boolean) => setD({ ...d, [k]: v });

  async function send(body: Record<string, unknown>, done: string) {
    setState({ busy: true });
    setErrors({});
    const r = await api.post<{ tier: AdminTier }>(tier ? `/api/admin/vip/tiers/${encodeURIComponent(tier.key)}` : '/api/admin/vip/tiers', body);
    if (r.ok) {
      onSaved(r.data.tier);
      setD(draftOf(tier ? r.data.tier : null));
      setState({ done });
      return;
    }
    const marked = Object.fromEntries(fieldIssues(r.error).map((f) => [`${id}.${f.path}`, issueText(t, f)]));
    if (r.error.code === 'tier_exists') marked[`${id}.key`] = t('e_tier_exists');
    setErrors(marked);
    setState({ error: r.error });
  }

  function save(e: Event) {
    e.preventDefault();
    if (!tier) return void send({ key: d.key.trim(), ...fieldsOf(d) }, 't_created');
    const now = fieldsOf(d);
    const before = fieldsOf(draftOf(tier));
    const changed = Object.fromEntries(Object.entries(now).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(before[k])));
    if (!Object.keys(changed).length) return setState({ done: 'c_same' });
    void send(changed, 't_saved');
  }

  const text = (k: 'key' | 'title' | 'price_coins' | 'days' | 'role' | 'daily_downloads', label: string) => (
    <Field label={t(label)} name={`${id}.${k}`} value={d[k]} errors={errors} onInput={put(k)} />
  );
  const check = (k: 'lifetime' | 'keeps_unlocks', label: string) => (
    <label class="ck">
      <input type="checkbox" name={`${id}.${k}`} checked={d[k]} onChange={(e) => put(k)((e.target as HTMLInputElement).checked)} />
      {t(label)}
    </label>
  );
  return (
    <form onSubmit={save} noValidate aria-labelledby={`${id}-h`}>
      <fieldset>
        <legend id={`${id}-h`}>
          {tier ? `${tier.title} (${tier.key}) · ${t(tier.active ? 't_on_sale' : 't_retired_s')}` : t('t_new')}
        </legend>
        <div class="grid">
          {!tier && text('key', 'r_key')}
          {text('title', 'r_title')}
          {text('price_coins', 't_price')}
          {!d.lifetime && text('days', 't_days')}
          {check('lifetime', 't_lifetime')}
          {text('role', 't_role_l')}
          {text('daily_downloads', 't_daily')}
          {check('keeps_unlocks', 't_keeps')}
        </div>
        {state.error && (state.error.code === 'invalid_request' ? <p class="er" role="alert">{t('c_invalid')}</p> : <ErrorBox error={state.error} />)}
        {state.done && (
          <p class="ok" role="status">
            {t(state.done)}
          </p>
        )}
        <div class="row">
          <button class="btn" disabled={state.busy}>
            {t(tier ? 't_save' : 't_create')}
          </button>
          {tier && (
            <button type="button" class="btn gh" disabled={state.busy} onClick={() => void send({ active: !tier.active }, tier.active ? 't_retired' : 't_restored')}>
              {t(tier.active ? 't_retire' : 't_restore')}
            </button>
          )}
        </div>
      </fieldset>
    </form>
  );
}

export function VipTiers() {
  const t = useT();
  const loaded = useLoad<{ tiers: AdminTier[] }>('/api/admin/vip/tiers');
  if (!loaded.data) return gate(loaded);
  const tiers = loaded.data.tiers;
  const saved = (tier: AdminTier) => {
    const known = tiers.some((x) => x.key === tier.key);
    loaded.set({ tiers: known ? tiers.map((x) => (x.key === tier.key ? tier : x)) : [...tiers, tier] });
  };
  return (
    <div class="vt">
      <p class="mu sm">{t('t_hint')}</p>
      {tiers.map((tier) => (
        <TierForm key={tier.key} tier={tier} onSaved={saved} />
      ))}
      {!tiers.length && <p class="mu">{t('none')}</p>}
      <TierForm key="new" tier={null} onSaved={saved} />
    </div>
  );
}

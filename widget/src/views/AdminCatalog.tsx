// Admin catalog editor, its audit and the CSV exports: what the owner sells, changed without a restart, and every change seen.
import { useState } from 'preact/hooks';
import { type CatalogAnswer, type CatalogAudit, type CatalogDoc, fieldIssues, type FieldIssue } from '../api.js';
import { ErrorBox, gate, type T, useCtx, useLoad, useT } from '../ui.js';
import { date, More, usePaged } from './Wallet.js';

type Row = Record<string, unknown>;
type Section = keyof CatalogDoc;

/** The text of a number field, sent as typed when it is not a whole number so the sidecar's refusal names it. */
export const num = (v: string): unknown => (/^-?\d{1,15}$/.test(v.trim()) ? Number(v) : v);
const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));

/** A refused field's message in the reader's language, from the issue's rule, code and the field it names. */
function fieldText(t: T, f: FieldIssue): string {
  const last = f.path.split('.').filter((p) => !/^\d+$/.test(p)).pop() ?? '';
  if (f.rule) return t(`f_${f.rule}`) || f.message;
  if (f.code === 'too_small') return last === 'usdt_networks' ? t('f_network') : t('f_min', { n: f.limit ?? 0 });
  if (f.code === 'too_big') return t('f_max', { n: f.limit ?? 0 });
  if (f.code === 'invalid_type' && !/price|rate|currency|id|key|title|value/.test(last)) return t('f_whole');
  const byField: Record<string, string> = { price: 'f_price', coin_price: 'f_price', usd_rate: 'f_rate', currency: 'f_currency', id: 'f_id', key: 'f_id', usdt_networks: 'f_code', coins: 'f_code', value: 'f_value' };
  return t(byField[last] ?? 'f_invalid');
}

export function Field({ label, name, value, errors, onInput, size, list }: {
  label: string;
  name: string;
  value: string;
  errors: Record<string, string>;
  onInput: (v: string) => void;
  size?: number;
  list?: boolean;
}) {
  const error = errors[name] ?? (list ? Object.entries(errors).find(([k]) => k.startsWith(`${name}.`))?.[1] : undefined);
  const id = `c-${name.replaceAll('.', '-')}`;
  return (
    <label class={`f${error ? ' bad' : ''}`}>
      <span>{label}</span>
      <input id={id} name={name} value={value} size={size} aria-invalid={error ? 'true' : undefined} aria-describedby={error ? `${id}-e` : undefined} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />
      {error && (
        <small class="fe" id={`${id}-e`}>
          {error}
        </small>
      )}
    </label>
  );
}

/** A list section (packages, tiers, rewards) as a table of inputs, rows added and removed in place. */
function Rows({ section, cols, rows, errors, set, blank }: {
  section: Section;
  cols: [key: string, label: string, kind: 'n' | 's' | 'price' | 'null-n' | 'sel'][];
  rows: Row[];
  errors: Record<string, string>;
  set: (rows: Row[]) => void;
  blank: Row;
}) {
  const t = useT();
  const put = (i: number, key: string, kind: string, v: string) =>
    set(rows.map((r, j) => (j === i ? { ...r, [key]: kind === 's' || kind === 'sel' ? v : kind === 'price' || kind === 'null-n' ? (v.trim() ? (kind === 'price' ? v.trim() : num(v)) : null) : num(v) } : r)));
  return (
    <div class="sc">
      <table class="ed">
        <tr>
          {cols.map(([k, label]) => (
            <th key={k}>{t(label)}</th>
          ))}
          <th />
        </tr>
        {rows.map((r, i) => (
          <tr key={i}>
            {cols.map(([k, label, kind]) => {
              const name = `${section}.${i}.${k}`;
              return (
                <td key={k}>
                  {kind === 'sel' ? (
                    <select name={name} aria-label={t(label)} value={text(r[k])} onChange={(e) => put(i, k, kind, (e.target as HTMLSelectElement).value)}>
                      {['code', 'link', 'role', 'entitlement'].map((o) => (
                        <option key={o} value={o}>
                          {t(`ff_${o}`)}
                        </option>
                      ))}
                    </select>
                  ) : (
                    <Field label={t(label)} name={name} value={text(r[k])} errors={errors} onInput={(v) => put(i, k, kind, v)} size={kind === 's' ? 14 : 8} />
                  )}
                </td>
              );
            })}
            <td>
              <button type="button" class="ln sm" onClick={() => set(rows.filter((_, j) => j !== i))}>
                {t('remove')}
              </button>
            </td>
          </tr>
        ))}
      </table>
      {errors[section] && <small class="fe">{errors[section]}</small>}
      <button type="button" class="btn gh sm" onClick={() => set([...rows, { ...blank }])}>
        {t('add_row')}
      </button>
    </div>
  );
}

/** The whole catalog in one form; Save sends only the sections that differ from what was loaded. */
export function CatalogEditor() {
  const t = useT();
  const { api } = useCtx();
  const loaded = useLoad<CatalogAnswer>('/api/admin/catalog');
  const [draft, setDraft] = useState<CatalogDoc | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [state, setState] = useState<{ busy?: boolean; saved?: string[]; error?: import('../api.js').ApiError | null }>({});
  if (!loaded.data) return gate(loaded);
  const base = loaded.data;
  const doc = draft ?? base.catalog;
  const set = <K extends Section>(k: K, v: CatalogDoc[K]) => setDraft({ ...doc, [k]: v });
  const obj = <K extends 'pricing' | 'limits' | 'referrals'>(k: K, key: string, v: unknown) => set(k, { ...doc[k], [key]: v } as CatalogDoc[K]);
  const list = (v: string) => v.split(',').map((x) => x.trim()).filter(Boolean);

  async function save(e: Event) {
    e.preventDefault();
    const changed = Object.fromEntries(Object.entries(doc).filter(([k, v]) => JSON.stringify(v) !== JSON.stringify(base.catalog[k as Section])));
    setState({ busy: true });
    setErrors({});
    const r = await api.post<CatalogAnswer & { changed: string[] }>('/api/admin/catalog', { version: base.version, catalog: changed });
    if (r.ok) {
      loaded.set({ version: r.data.version, catalog: r.data.catalog });
      setDraft(null);
      setState({ saved: r.data.changed });
      return;
    }
    setErrors(Object.fromEntries(fieldIssues(r.error).map((f) => [f.path.replace(/^catalog\./, ''), fieldText(t, f)])));
    setState({ error: r.error });
  }

  const p = doc.pricing;
  const l = doc.limits;
  const f = doc.referrals;
  return (
    <form class="cat" onSubmit={save} noValidate>
      <fieldset>
        <legend>{t('c_pricing')}</legend>
        <div class="grid">
          <Field label={t('currency')} name="pricing.currency" value={p.currency} errors={errors} onInput={(v) => obj('pricing', 'currency', v.trim())} />
          <Field label={t('coin_price')} name="pricing.coin_price" value={p.coin_price} errors={errors} onInput={(v) => obj('pricing', 'coin_price', v.trim())} />
          <Field label={t('usd_rate')} name="pricing.usd_rate" value={p.usd_rate} errors={errors} onInput={(v) => obj('pricing', 'usd_rate', v.trim())} />
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('c_packages')}</legend>
        <p class="mu sm">{t('c_packages_hint')}</p>
        <Rows
          section="packages"
          cols={[['id', 'pkg_id', 's'], ['coins', 'coins', 'n'], ['bonus_coins', 'bonus', 'n'], ['price', 'price', 'price']]}
          rows={doc.packages}
          errors={errors}
          set={(rows) => set('packages', rows as CatalogDoc['packages'])}
          blank={{ id: '', coins: 100, bonus_coins: 0, price: null }}
        />
      </fieldset>
      <fieldset>
        <legend>{t('c_tiers')}</legend>
        <p class="mu sm">{t('c_tiers_hint')}</p>
        <Rows
          section="bonus_tiers"
          cols={[['min_coins', 'from_coins', 'n'], ['bonus_percent', 'percent', 'n']]}
          rows={doc.bonus_tiers}
          errors={errors}
          set={(rows) => set('bonus_tiers', rows as CatalogDoc['bonus_tiers'])}
          blank={{ min_coins: 1000, bonus_percent: 5 }}
        />
      </fieldset>
      <fieldset>
        <legend>{t('c_limits')}</legend>
        <div class="grid">
          <Field label={t('min_coins')} name="limits.min_coins" value={text(l.min_coins)} errors={errors} onInput={(v) => obj('limits', 'min_coins', num(v))} />
          <Field label={t('max_coins')} name="limits.max_coins" value={text(l.max_coins)} errors={errors} onInput={(v) => obj('limits', 'max_coins', num(v))} />
          <Field label={t('daily_max')} name="limits.daily_max_coins" value={text(l.daily_max_coins)} errors={errors} onInput={(v) => obj('limits', 'daily_max_coins', num(v))} />
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('c_methods')}</legend>
        <div class="grid">
          <Field label={t('networks')} name="methods.usdt_networks" list value={doc.methods.usdt_networks.join(', ')} errors={errors} onInput={(v) => set('methods', { ...doc.methods, usdt_networks: list(v) })} />
          <Field label={t('coins_list')} name="methods.coins" list value={doc.methods.coins.join(', ')} errors={errors} onInput={(v) => set('methods', { ...doc.methods, coins: list(v) })} />
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('c_rewards')}</legend>
        <Rows
          section="rewards"
          cols={[['key', 'r_key', 's'], ['title', 'r_title', 's'], ['description', 'r_desc', 's'], ['cost_coins', 'cost', 'n'], ['fulfilment', 'fulfilment', 'sel'], ['value', 'r_value', 's'], ['stock', 'stock', 'null-n'], ['per_user_limit', 'per_user', 'null-n']]}
          rows={doc.rewards}
          errors={errors}
          set={(rows) => set('rewards', rows as CatalogDoc['rewards'])}
          blank={{ key: '', title: '', description: '', cost_coins: 100, fulfilment: 'code', value: '', stock: null, per_user_limit: null }}
        />
      </fieldset>
      <fieldset>
        <legend>{t('c_referrals')}</legend>
        <div class="grid">
          <Field label={t('ref_reward')} name="referrals.reward_coins" value={text(f.reward_coins)} errors={errors} onInput={(v) => obj('referrals', 'reward_coins', num(v))} />
          <Field label={t('ref_min')} name="referrals.min_recharge_coins" value={text(f.min_recharge_coins)} errors={errors} onInput={(v) => obj('referrals', 'min_recharge_coins', num(v))} />
          <Field label={t('ref_cap')} name="referrals.max_rewards_per_period" value={text(f.max_rewards_per_period)} errors={errors} onInput={(v) => obj('referrals', 'max_rewards_per_period', num(v))} />
          <Field label={t('ref_days')} name="referrals.period_days" value={text(f.period_days)} errors={errors} onInput={(v) => obj('referrals', 'period_days', num(v))} />
        </div>
      </fieldset>
      {state.error && (state.error.code === 'invalid_request' ? <p class="er" role="alert">{t('c_invalid')}</p> : <ErrorBox error={state.error} />)}
      {state.saved && (
        <p class="ok" role="status">
          {state.saved.length ? t('c_saved', { s: state.saved.map((s) => t(`sec_${s}`)).join(', ') }) : t('c_same')}
        </p>
      )}
      <div class="row">
        <button class="btn" disabled={state.busy || !draft}>
          {t('c_save')}
        </button>
        {draft && (
          <button type="button" class="btn gh" onClick={() => (setDraft(null), setErrors({}), setState({}))}>
            {t('c_discard')}
          </button>
        )}
        <span class="mu sm">{t('c_version', { n: base.version })}</span>
      </div>
    </form>
  );
}

/** A section's value in one line: list sections as their rows, objects as key=value. */
function brief(v: unknown): string {
  if (v === null || v === undefined) return '—';
  const one = (x: unknown): string =>
    x && typeof x === 'object' ? Object.entries(x as Row).map(([k, y]) => `${k}=${Array.isArray(y) ? y.join('/') : text(y)}`).join(' ') : text(x);
  return Array.isArray(v) ? v.map(one).join(' · ') : one(v);
}

export function CatalogAuditList() {
  const t = useT();
  const { lang } = useCtx();
  const list = usePaged<CatalogAudit['entries'][number]>('/api/admin/catalog/audit?limit=20', 'entries');
  return (
    <>
      <div class="sc">
        <table class="au">
          <tr>
            {[t('date'), t('who'), t('section'), t('before'), t('after')].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
          {list.rows.map((e) => (
            <tr key={e.id}>
              <td>{date(e.created_at, lang)}</td>
              <td>{e.actor === 'seed' ? t('seed') : `${e.actor_name} (${e.actor})`}</td>
              <td>{t(`sec_${e.section}`) || e.section}</td>
              <td class="v">{brief(e.before)}</td>
              <td class="v">{brief(e.after)}</td>
            </tr>
          ))}
        </table>
        {!list.rows.length && !list.busy && <p class="mu">{t('none')}</p>}
      </div>
      <More list={list} />
    </>
  );
}

/** The CSV is streamed by the sidecar; the browser writes it into a file the owner saves. */
export function Exports() {
  const t = useT();
  const { api } = useCtx();
  const [busy, setBusy] = useState('');
  const [failed, setFailed] = useState(false);
  async function get(kind: string) {
    setBusy(kind);
    setFailed(false);
    try {
      const res = await api.send('GET', `/api/admin/export/${kind}`);
      if (!res.ok) throw new Error(String(res.status));
      const url = URL.createObjectURL(await res.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `goldcoin-${kind}.csv`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch {
      setFailed(true);
    }
    setBusy('');
  }
  return (
    <>
      <p class="mu">{t('x_hint')}</p>
      <div class="row">
        {['payments', 'ledger', 'redemptions'].map((k) => (
          <button type="button" class="btn gh" key={k} disabled={!!busy} onClick={() => void get(k)}>
            {busy === k ? t('loading') : t(`x_${k}`)}
          </button>
        ))}
      </div>
      {failed && <p class="er" role="alert">{t('x_failed')}</p>}
    </>
  );
}

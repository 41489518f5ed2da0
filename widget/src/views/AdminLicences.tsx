// The admin's EA licences: every licence filtered by post or user, one opened with its accounts and audit trail, and
// revoke, reinstate or extend it with a reason.
import { useState } from 'preact/hooks';
import type { AdminLicence, AdminLicenceDetail } from '../api.js';
import { ErrorBox, gate, useCtx, useLoad, useSubmit, useT } from '../ui.js';
import { date, More, usePaged } from './Wallet.js';

const formValues = (e: Event) => {
  e.preventDefault();
  return Object.fromEntries(new FormData(e.target as HTMLFormElement)) as Record<string, string>;
};

export function AdminLicences() {
  const t = useT();
  const { lang } = useCtx();
  const [q, setQ] = useState('');
  const [open, setOpen] = useState<number>();
  const list = usePaged<AdminLicence>(`/api/admin/licenses?${q}`, 'licences');
  if (open) return <Detail id={open} onBack={() => setOpen(undefined)} />;
  return (
    <>
      <form class="flt" onSubmit={(e) => setQ(new URLSearchParams(Object.entries(formValues(e)).filter(([, v]) => v)).toString())}>
        <label class="f">
          <span>{t('l_post')}</span>
          <input name="post_id" size={8} inputMode="numeric" pattern="[0-9]*" />
        </label>
        <label class="f">
          <span>{t('user')}</span>
          <input name="user_id" size={8} inputMode="numeric" pattern="[0-9]*" />
        </label>
        <button class="btn gh">{t('search')}</button>
      </form>
      <div class="sc">
        <table>
          <tr>
            {['#', t('user'), t('l_post'), t('l_key'), t('state'), t('expires'), t('l_accounts')].map((label) => (
              <th key={label}>{label}</th>
            ))}
          </tr>
          {list.rows.map((l) => (
            <tr key={l.id}>
              <td>
                <button type="button" class="ln" onClick={() => setOpen(l.id)}>
                  {l.id}
                </button>
              </td>
              {[
                `${l.display_name ?? ''} #${l.user_id}`,
                `${l.title} #${l.post_id}`,
                `…${l.key_tail}`,
                t(`l_${l.status}`),
                l.expires_at ? date(l.expires_at, lang) : t('forever'),
                String(l.active_accounts),
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

function Detail({ id, onBack }: { id: number; onBack: () => void }) {
  const t = useT();
  const { api, lang } = useCtx();
  const submit = useSubmit();
  const got = useLoad<AdminLicenceDetail>(`/api/admin/licenses/${id}`);
  const [done, setDone] = useState(false);
  const d = got.data;
  if (!d) return gate(got);
  const l = d.licence;
  async function change(action: string, e: Event) {
    const form = e.target as HTMLFormElement;
    const v = formValues(e);
    const body = action === 'extend' ? { reason: v['reason'], expires_at: new Date(v['until']!).toISOString() } : { reason: v['reason'] };
    setDone(false);
    const r = await submit.run([action, body], () => api.post<AdminLicenceDetail>(`/api/admin/licenses/${id}/${action}`, body));
    if (r) {
      got.set(r);
      setDone(true);
      form.reset();
    }
  }
  return (
    <>
      <button type="button" class="ln" onClick={onBack}>
        ← {t('l_back')}
      </button>
      <h3>
        {l.title} · #{l.id} · {t(`l_${l.status}`)}
        {d.revoked_reason && ` (${d.revoked_reason})`}
      </h3>
      <p>
        {t('user')} #{d.user_id} · {t('expires')} {l.expires_at ? date(l.expires_at, lang) : t('forever')} · {l.used_activations}/{l.max_activations}
      </p>
      <div class="sc">
        <table>
          {l.activations.map((a) => (
            <tr key={a.id}>
              <td>{a.account}</td>
              <td>{a.account_type}</td>
              <td>{a.server}</td>
              <td>{date(a.last_check_at, lang)}</td>
            </tr>
          ))}
        </table>
      </div>
      {done && <p class="ok">✓ {t('l_done')}</p>}
      <ErrorBox error={submit.error} />
      <form class="flt" onSubmit={(e) => change(l.status === 'revoked' ? 'reinstate' : 'revoke', e)}>
        <label class="f">
          <span>{t('reason')}</span>
          <input name="reason" required maxLength={200} />
        </label>
        <button class="btn gh" disabled={submit.busy}>
          {t(l.status === 'revoked' ? 'l_reinstate' : 'l_revoke')}
        </button>
      </form>
      <form class="flt" onSubmit={(e) => change('extend', e)}>
        <label class="f">
          <span>{t('l_extend')}</span>
          <input name="until" type="date" required />
        </label>
        <label class="f">
          <span>{t('reason')}</span>
          <input name="reason" required maxLength={200} />
        </label>
        <button class="btn gh" disabled={submit.busy}>
          {t('l_extend')}
        </button>
      </form>
      <h3>{t('l_trail')}</h3>
      <div class="sc">
        <table>
          {d.events.map((e) => (
            <tr key={e.id}>
              <td>{date(e.created_at, lang)}</td>
              <td>{e.action}</td>
              <td>{e.actor}</td>
              <td>{[e.account, e.detail].filter(Boolean).join(' · ')}</td>
            </tr>
          ))}
        </table>
      </div>
    </>
  );
}

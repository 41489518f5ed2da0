// Licences: the reader's EA licences, each key with a copy button, the trading accounts activated on it (type,
// broker server, last check) and a release to move one to another account, limited per month.
import type { LicenceList, LicenceOne } from '../api.js';
import { Copy } from '../copy.js';
import { licencesStrings } from '../i18n/licences.js';
import { Card, ErrorBox, gate, useCtx, useLoad, useSubmit, useT, withStrings } from '../ui.js';
import css from './licences.css?inline';

function LicencesView() {
  const t = useT();
  const { api, lang } = useCtx();
  const list = useLoad<LicenceList>('/api/licenses');
  const submit = useSubmit();
  const v = list.data;
  if (!v) return gate(list);
  const day = (iso: string) => new Date(iso).toLocaleDateString(lang);

  async function release(id: number, activationId: number) {
    const r = await submit.run(activationId, () => api.post<LicenceOne>(`/api/licenses/${id}/activations/${activationId}/release`, {}));
    if (r) list.set({ ...v!, licences: v!.licences.map((x) => (x.id == id ? r.licence : x)) });
  }

  return (
    <Card title={t('title')}>
      <ErrorBox error={submit.error} />
      {v.licences.map((l) => (
        <article key={l.id}>
          <b>{l.title}</b>
          <p class={l.status == 'active' ? 'ok' : 'mu'}>
            {t(l.status)}
            {l.expires_at && ` ${t('until', { d: day(l.expires_at) })}`}
            {l.latest_version && ` · v${l.latest_version.version}`}
          </p>
          <Copy label={t('key')} value={l.key} />
          <p class="mu sm">
            {t('used', { u: l.used_activations, m: l.max_activations })}
            {l.demo_free && ` · ${t('demoFree')}`} · {l.release_frees_at ? t('next', { d: day(l.release_frees_at) }) : t('left', { n: l.releases_left })}
          </p>
          <ul>
            {l.activations.map((a) => (
              <li key={a.id}>
                <span>
                  <b>{a.account}</b> {t(a.account_type)} · {a.server}
                  <br />
                  <small class="mu">
                    {new Date(a.last_check_at).toLocaleString(lang)}
                    {a.ea_version && ` · v${a.ea_version}`}
                  </small>
                </span>
                <button
                  type="button"
                  class="btn gh sm"
                  disabled={submit.busy || !l.releases_left}
                  aria-label={`${t('release')} ${a.account}`}
                  onClick={() => release(l.id, a.id)}
                >
                  {t('release')}
                </button>
              </li>
            ))}
          </ul>
        </article>
      ))}
      {!v.licences.length && <p class="mu">{t('none')}</p>}
      {/* Last, so no sibling rule counts it. */}
      <style>{css}</style>
    </Card>
  );
}

export const Licences = withStrings(licencesStrings, LicencesView);

/** The name goldcoin.js loads every view by. */
export { Licences as view };

// Bell: the unread count of the in-site notifications, for a theme's header ([goldcoin_bell]) or the admin bar; opening it
// shows the latest ones and marks them read. The count is asked again every minute while the page is in view.
import { useEffect, useState } from 'preact/hooks';
import type { Notification } from '../api.js';
import { bellStrings } from '../i18n/bell.js';
import { Card, ErrorBox, useCtx, useLoad, useT, withStrings } from '../ui.js';
import css from './bell.css?inline';

const LATEST = 5;
const PATH = `/api/notifications?limit=${LATEST}`;
/** How often an open page asks for the count again: one small indexed read per reader a minute. */
const REFRESH_MS = 60_000;
type Page = { notifications: Notification[]; unread_count: number };

function BellView() {
  const t = useT();
  const { api, lang } = useCtx();
  const page = useLoad<Page>(PATH);
  useEffect(() => {
    // A hidden tab asks nothing; one that missed a turn asks as soon as it is shown again. A failed refresh keeps the
    // count shown, rather than replacing it with an error nobody asked for.
    let missed = false;
    const refresh = () => void api.get<Page>(PATH).then((r) => r.ok && page.set(r.data));
    const tick = () => (document.hidden ? (missed = true) : refresh());
    const shown = () => {
      if (document.hidden || !missed) return;
      missed = false;
      refresh();
    };
    const id = setInterval(tick, REFRESH_MS);
    document.addEventListener('visibilitychange', shown);
    return () => {
      clearInterval(id);
      document.removeEventListener('visibilitychange', shown);
    };
  }, []);
  const [open, setOpen] = useState(false);
  // The panel opens toward the middle of the screen: leftward from a bell on the right (the admin bar), else rightward.
  const [left, setLeft] = useState(false);
  const n = page.data?.unread_count ?? 0;
  async function toggle(e: Event) {
    setLeft((e.currentTarget as Element).getBoundingClientRect().left < innerWidth / 2);
    setOpen(!open);
    // The count drops as soon as the panel opens; the list keeps its unread marks until it is opened again.
    if (!open && n && page.data) {
      const r = await api.post<{ unread_count: number }>('/api/notifications/read', { all: true });
      if (r.ok) page.set({ ...page.data, unread_count: r.data.unread_count });
    }
  }
  const label = t('notes') + (n ? `, ${t('unread', { n })}` : '');
  return (
    <>
      <button type="button" class="bell" aria-label={label} title={label} aria-expanded={open} onClick={toggle}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
        </svg>
        {!!n && <span class="n">{n > 99 ? '99+' : n}</span>}
      </button>
      {open && (
        <div class={left ? 'pn l' : 'pn'}>
          <Card
            title={t('notes')}
            aside={
              <button type="button" class="ln" onClick={() => setOpen(false)}>
                {t('close')}
              </button>
            }
          >
            <ErrorBox error={page.error} onRetry={page.reload} />
            {page.data && (page.data.notifications.length ? (
              <ul>
                {page.data.notifications.map((x) => (
                  <li key={x.id}>
                    {!x.read_at && <span class="u" aria-hidden="true" />}
                    <b>{x.title}</b>
                    <br />
                    {x.body}
                    <br />
                    <small class="mu">{new Date(x.created_at).toLocaleString(lang, { dateStyle: 'medium', timeStyle: 'short' })}</small>
                  </li>
                ))}
              </ul>
            ) : (
              <p class="mu">{t('none')}</p>
            ))}
          </Card>
        </div>
      )}
      <style>{css}</style>
    </>
  );
}

export const Bell = withStrings(bellStrings, BellView);

/** The name goldcoin.js loads every view by. */
export { Bell as view };

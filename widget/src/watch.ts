// Follows a recharge's payment live, for the payment view only (so its chunk, not every view, carries it).
import type { Client, Recharge } from './api.js';

const TERMINAL = new Set(['completed', 'failed']);
const POLL_MS = 3000;
const STREAM_ATTEMPTS = 3;
/** A payment window is at most a few hours; past this the status is no longer watched live. */
const WATCH_MAX_MS = 3 * 3600_000;

/**
 * Follows a recharge until it completes or fails: the SSE stream read with fetch (it needs the
 * Authorization header, which EventSource cannot send), falling back to polling when the stream fails.
 */
export async function watch(api: Client, id: Recharge['id'], onUpdate: (r: Recharge) => void, signal: AbortSignal): Promise<void> {
  const path = `/api/recharges/${encodeURIComponent(id)}`;
  let done = false;
  const seen = (r: Recharge) => {
    if (signal.aborted) return;
    onUpdate(r);
    done = TERMINAL.has(r.status);
  };
  for (let attempt = 0; attempt < STREAM_ATTEMPTS && !done && !signal.aborted; attempt++) {
    try {
      const res = await api.send('GET', `${path}/events`, undefined, undefined, signal);
      if (!res.ok || !res.body) break;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      // The sidecar writes "event: status\ndata: {json}\n\n" frames; other events (pings) are skipped.
      for (let chunk; !done && !(chunk = await reader.read()).done; ) {
        const frames = (buf += chunk.value).split('\n\n');
        buf = frames.pop()!;
        for (const f of frames) {
          const data = /^event: ?status$/m.test(f) && /^data: ?(.*)$/m.exec(f);
          if (data) seen(JSON.parse(data[1]!) as Recharge);
        }
      }
      await reader.cancel().catch(() => undefined);
    } catch {
      if (signal.aborted) return;
    }
  }
  const until = Date.now() + WATCH_MAX_MS;
  while (!done && !signal.aborted && Date.now() < until) {
    const r = await api.get<Recharge>(path);
    if (r.ok) seen(r.data);
    if (!done) await new Promise((ok) => setTimeout(ok, POLL_MS));
  }
}

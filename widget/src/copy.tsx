// A read-only value with a copy button (payment address and amount, a redeemed code).
import { useRef, useState } from 'preact/hooks';
import css from './copy.css?inline';
import { useT } from './ui.js';

export function Copy({ label, value }: { label: string; value: string }) {
  const t = useT();
  const [done, setDone] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  return (
    <label class="f">
      <span>{label}</span>
      <span class="cp">
        <input ref={input} readOnly value={value} onFocus={() => input.current!.select()} />
        <button
          type="button"
          class="btn gh sm"
          aria-label={`${t('copy')}: ${label}`}
          onClick={() =>
            navigator.clipboard.writeText(value).then(
              () => {
                setDone(true);
                setTimeout(() => setDone(false), 2000);
              },
              // Without clipboard access (plain http, permissions) the text is selected for a manual copy.
              () => input.current!.select(),
            )
          }
        >
          {done ? t('copied') : t('copy')}
        </button>
      </span>
      {/* A style element takes no room in the grid; several copies of it in one view are harmless. */}
      <style>{css}</style>
    </label>
  );
}

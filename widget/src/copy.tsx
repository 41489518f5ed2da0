// A read-only value with a copy button (payment address and amount, a referral link, a licence key). Its two words travel
// with it, not in every reader's language file: only the views that show a copy field load this chunk.
import { useRef, useState } from 'preact/hooks';
import css from './copy.css?inline';
import { useCtx } from './ui.js';

const WORDS = { copy: ['Copy', '复制'], copied: ['Copied', '已复制'] } as const;

export function Copy({ label, value }: { label: string; value: string }) {
  const zh = +(useCtx().lang == 'zh-CN');
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
          aria-label={`${WORDS.copy[zh]}: ${label}`}
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
          {WORDS[done ? 'copied' : 'copy'][zh]}
        </button>
      </span>
      {/* A style element takes no room in the grid; several copies of it in one view are harmless. */}
      <style>{css}</style>
    </label>
  );
}

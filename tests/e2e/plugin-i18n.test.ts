// The plugin's catalogues follow its sources: goldcoin.pot is what scripts/wp-make-pot.php extracts, every string has a zh_CN translation with the same placeholders, and the .mo is compiled from the .po.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LANGUAGES = join(ROOT, 'wp-plugin-shim', 'languages');

/** msgid → msgstr of a .po/.pot (single-form entries; the plugin has no plurals yet). */
function catalogue(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const unquote = (lines: string[]) => lines.map((l) => JSON.parse(l.replace(/^(msgid|msgstr|msgctxt)\s+/, '')) as string).join('');
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const at = lines.findIndex((l) => l.startsWith('msgstr'));
    const idAt = lines.findIndex((l) => l.startsWith('msgid'));
    if (idAt < 0 || at < 0) continue;
    const ctxt = lines.findIndex((l) => l.startsWith('msgctxt'));
    const id = unquote(lines.slice(idAt, at));
    if (id === '') continue;
    out.set((ctxt >= 0 ? `${unquote(lines.slice(ctxt, idAt))}\u0004` : '') + id, unquote(lines.slice(at)));
  }
  return out;
}

const placeholders = (s: string) => (s.match(/%(\d+\$)?[sd]/g) ?? []).sort();

describe('the plugin’s translation catalogues', () => {
  it('has a goldcoin.pot that is exactly what the sources give', () => {
    const res = spawnSync('php', [join(ROOT, 'scripts', 'wp-make-pot.php'), '--check'], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

  it('translates every source string into Simplified Chinese with the same placeholders', async () => {
    const pot = catalogue(await readFile(join(LANGUAGES, 'goldcoin.pot'), 'utf8'));
    const po = catalogue(await readFile(join(LANGUAGES, 'goldcoin-zh_CN.po'), 'utf8'));
    expect(pot.size).toBeGreaterThan(40);
    const missing = [...pot.keys()].filter((id) => !po.get(id));
    expect(missing).toEqual([]);
    const mismatched = [...pot.keys()].filter((id) => placeholders(id).join() !== placeholders(po.get(id)!).join());
    expect(mismatched).toEqual([]);
  });

  it('ships a .mo compiled from the current .po', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'goldcoin-mo-'));
    try {
      await copyFile(join(LANGUAGES, 'goldcoin-zh_CN.po'), join(dir, 'goldcoin-zh_CN.po'));
      const res = spawnSync('php', [join(ROOT, 'scripts', 'wp-compile-mo.php'), join(dir, 'goldcoin-zh_CN.po')], { encoding: 'utf8' });
      expect(res.status).toBe(0);
      expect((await readFile(join(dir, 'goldcoin-zh_CN.mo'))).equals(await readFile(join(LANGUAGES, 'goldcoin-zh_CN.mo')))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// .env.example is a working configuration: the sidecar accepts it as it is, and it names every setting.
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../sidecar/src/config.js';

const example = parseEnv(readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')) as Record<string, string>;
const source = readFileSync(new URL('../../sidecar/src/config.ts', import.meta.url), 'utf8');

describe('.env.example', () => {
  it('is accepted by the sidecar as it stands', () => {
    expect(() => parseConfig(example)).not.toThrow();
  });

  it('lists every variable the sidecar reads', () => {
    const read = [...source.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    expect(read.length).toBeGreaterThan(20);
    const listed = new Set(Object.keys(example));
    const commented = new Set([...readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').matchAll(/^#\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
    expect(read.filter((k) => !listed.has(k) && !commented.has(k))).toEqual([]);
  });
});

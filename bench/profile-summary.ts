// Summarises a V8 .cpuprofile (from BENCH_PROFILE=dir npm run bench): busy time by function, inclusive, top N.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, filterArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile [top=40] [regex]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: ProfileNode) => {
  const u = n.callFrame.url;
  const where = u.includes('node_modules/') ? u.split('node_modules/').pop()! : u.replace(/^.*\/sidecar\/src\//, 'sidecar/src/');
  return `${n.callFrame.functionName || '(anonymous)'} ${where}${where ? `:${n.callFrame.lineNumber + 1}` : ''}`;
};

const inclusive = new Map<string, number>();
let total = 0;
let idle = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  let id: number | undefined = profile.samples[i]!;
  if (byId.get(id)?.callFrame.functionName === '(idle)') {
    idle += dt;
    continue;
  }
  const seen = new Set<string>();
  while (id !== undefined) {
    const key = label(byId.get(id)!);
    if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    seen.add(key);
    id = parent.get(id);
  }
}
const busy = total - idle;
const filter = filterArg ? new RegExp(filterArg) : null;
process.stdout.write(`${(total / 1e6).toFixed(1)} s sampled, ${((idle / total) * 100).toFixed(0)}% idle; share of busy time, inclusive:\n`);
[...inclusive]
  .filter(([k]) => k !== '(root) ' && (!filter || filter.test(k)))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(topArg ?? 40))
  .forEach(([k, v]) => process.stdout.write(`${((v / busy) * 100).toFixed(1).padStart(5)}%  ${k}\n`));

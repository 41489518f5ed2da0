// `npm run build:sidecar`, after tsc: bundles the compiled sidecar/dist/main.js with everything it imports
// (node_modules included) into that one file. V8 keeps the source text of every module it loads, to compile functions
// when they first run; one bundle without comments carries far less of it than some 300 files, so the sidecar holds
// about 8 MiB less at rest and starts in less than half the time (bench/PROFILE.md, third pass). It is not minified:
// stack traces keep their function names and readable lines.
// The other entry points (dist/migrate.js, dist/doctor/cli.js) stay tsc's files.
import { rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'sidecar', 'dist');
const out = join(dist, 'main.bundle.js');
await build({
  entryPoints: [join(dist, 'main.js')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  // The CommonJS packages (mysql2, nodemailer, axios' helpers) require node's own modules at run time.
  banner: { js: "import { createRequire as goldcoinCreateRequire } from 'node:module'; const require = goldcoinCreateRequire(import.meta.url);" },
});
// tsc's map described the file the bundle replaces.
await rm(join(dist, 'main.js.map'), { force: true });
await rename(out, join(dist, 'main.js'));

// `npm run package`: dist/goldcoin-<version>.zip, the plugin as WordPress's upload screen installs it (widget, .mo, readme.txt).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeZip, type ZipEntry } from './package-zip.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PLUGIN_DIR = join(ROOT, 'wp-plugin-shim');
const SLUG = 'goldcoin';
/** Bundles the plugin enqueues by name; their chunks (goldcoin-*-<hash>.js) travel with them. */
const REQUIRED_BUNDLES = ['goldcoin.js', 'goldcoin-admin.js'];

export interface PackageOptions {
  widgetDir?: string;
  outDir?: string;
  /** The archive's timestamp (SOURCE_DATE_EPOCH when set), so a rebuild of the same tree is the same bytes. */
  mtime?: Date;
}

export interface PackageResult {
  path: string;
  version: string;
  bytes: number;
  files: string[];
}

function header(php: string, field: string): string {
  const m = new RegExp(`^\\s*\\*\\s*${field}:\\s*(.+)$`, 'm').exec(php);
  if (!m) throw new Error(`package: goldcoin.php has no "${field}:" header`);
  return m[1]!.trim();
}

async function walk(dir: string, base: string, out: ZipEntry[]): Promise<void> {
  const items = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const item of items) {
    const full = join(dir, item.name);
    const name = `${SLUG}/${relative(base, full).split('\\').join('/')}`;
    if (item.isDirectory()) {
      out.push({ name: `${name}/` });
      await walk(full, base, out);
    } else if (item.isFile()) {
      out.push({ name, data: await readFile(full) });
    }
  }
}

export async function buildPluginZip(opts: PackageOptions = {}): Promise<PackageResult> {
  const php = await readFile(join(PLUGIN_DIR, 'goldcoin.php'), 'utf8');
  const version = header(php, 'Version');
  const constant = /define\(\s*'GOLDCOIN_VERSION',\s*'([^']+)'\s*\)/.exec(php)?.[1];
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  if (constant !== version || pkg.version !== version) {
    throw new Error(`package: versions disagree (plugin header ${version}, GOLDCOIN_VERSION ${constant}, package.json ${pkg.version}); set all three`);
  }
  const widgetDir = resolve(opts.widgetDir ?? join(ROOT, 'widget', 'dist'));
  const bundles = existsSync(widgetDir) ? (await readdir(widgetDir)).filter((n) => n.endsWith('.js')).sort() : [];
  const missing = REQUIRED_BUNDLES.filter((b) => !bundles.includes(b));
  if (missing.length > 0) throw new Error(`package: ${missing.join(', ')} missing from ${widgetDir}; run npm run build:widget first`);

  const staging = await mkdtemp(join(tmpdir(), 'goldcoin-package-'));
  try {
    const tree = join(staging, SLUG);
    await cp(PLUGIN_DIR, tree, { recursive: true });
    // Compiled from the .po at build time with the project's own compiler, so the zip never ships a stale .mo.
    const languages = join(tree, 'languages');
    for (const po of (await readdir(languages)).filter((n) => n.endsWith('.po'))) {
      execFileSync('php', [join(ROOT, 'scripts', 'wp-compile-mo.php'), join(languages, po)], { stdio: ['ignore', 'ignore', 'inherit'] });
    }
    await mkdir(join(tree, 'assets'), { recursive: true });
    for (const b of bundles) await cp(join(widgetDir, b), join(tree, 'assets', b));
    const readme = (await readFile(join(ROOT, 'scripts', 'package-readme.txt'), 'utf8'))
      .replaceAll('{{version}}', version)
      .replaceAll('{{requires_wp}}', header(php, 'Requires at least'))
      .replaceAll('{{requires_php}}', header(php, 'Requires PHP'));
    await writeFile(join(tree, 'readme.txt'), readme);

    const entries: ZipEntry[] = [{ name: `${SLUG}/` }];
    await walk(tree, tree, entries);
    const epoch = process.env['SOURCE_DATE_EPOCH'];
    const mtime = opts.mtime ?? (epoch ? new Date(Number(epoch) * 1000) : new Date());
    const zip = writeZip(entries, mtime);
    const outDir = resolve(opts.outDir ?? join(ROOT, 'dist'));
    await mkdir(outDir, { recursive: true });
    const path = join(outDir, `${SLUG}-${version}.zip`);
    await writeFile(path, zip);
    return { path, version, bytes: zip.length, files: entries.filter((e) => !e.name.endsWith('/')).map((e) => e.name) };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { 'widget-dir': { type: 'string' }, out: { type: 'string' } } });
  try {
    const r = await buildPluginZip({ widgetDir: values['widget-dir'], outDir: values.out });
    console.log(`package: ${relative(process.cwd(), r.path)} (${r.files.length} files, ${r.bytes} bytes)`);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}

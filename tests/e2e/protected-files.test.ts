// EA files stay out of every URL a server that ignores .htaccess (PHP's built-in server) hands out: after deactivation, an uploads path change, delete-and-reinstall, and GOLDCOIN_PROTECTED_DIR set later.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDownloadToken } from '../../sidecar/src/spending/download-token.js';
import { createEmptyDatabase, dropDatabase, freePort, loopbackHost, startWordPress, WORDPRESS_DIR, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.9.php for the run. */
const HOST = loopbackHost(9);
const CONFIG = `/etc/wordpress/config-${HOST}.php`;
const SECRET = randomBytes(32).toString('hex');
/** Nothing listens here: downloads only need the issuer the sidecar would sign with. */
const SIDECAR_URL = 'http://127.0.0.1:9';
const BUYER = { login: 'buyer', password: 'buyer-pass-1', email: 'buyer@example.test' };
const PHP_TIMEOUT_MS = 30_000;
/** opcache.revalidate_freq is 2 s: a changed wp-config constant reaches the server's workers within that. */
const SEEN_TIMEOUT_MS = 10_000;

let dbName: string;
let wp: WordPressSite;
let runDir: string;
let buyerId: number;
let cookies: string;
const posts: { name: string; postId: number; fileId: number; bytes: Buffer }[] = [];

/** Rewrites one constant of the site's configuration (null removes it); WordPress reads the file on every request. */
async function setConstant(name: string, value: string | null): Promise<void> {
  const lines = (await readFile(CONFIG, 'utf8')).split('\n').filter((l) => !l.startsWith(`define('${name}',`));
  if (value !== null) lines.splice(2, 0, `define('${name}', '${value.replace(/[\\']/g, '\\$&')}');`);
  await writeFile(CONFIG, lines.join('\n'));
}

/** Runs PHP inside the site (WordPress loaded, active plugins with it) and returns what the code returns. */
async function php<T>(code: string): Promise<T> {
  const file = join(runDir, `snippet-${randomBytes(4).toString('hex')}.php`);
  await writeFile(
    file,
    `<?php
$_SERVER['HTTP_HOST'] = '${wp.host}:${wp.port}'; $_SERVER['SERVER_NAME'] = '${wp.host}'; $_SERVER['SERVER_PORT'] = '${wp.port}'; $_SERVER['REQUEST_URI'] = '/';
require '${WORDPRESS_DIR}/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$goldcoin_result = (static function () { ${code} })();
echo 'GOLDCOIN_RESULT ' . wp_json_encode( $goldcoin_result, JSON_UNESCAPED_SLASHES ) . "\\n";
`,
  );
  return new Promise((resolve, reject) => {
    const proc = spawn('php', [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), PHP_TIMEOUT_MS);
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.on('close', (status) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('GOLDCOIN_RESULT '));
      if (status !== 0 || !line) return reject(new Error(`php snippet failed (${status}):\n${err}\n${out}`.slice(0, 4000)));
      resolve(JSON.parse(line.slice('GOLDCOIN_RESULT '.length)) as T);
    });
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const names = await readdir(dir, { recursive: true, withFileTypes: true });
  return names.filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name));
}

/** Every URL under /wp-content/ that hands out one of the EA files: a copy anywhere in the served tree counts. */
async function servedCopies(): Promise<string[]> {
  const served: string[] = [];
  for (const path of await filesUnder(wp.contentDir)) {
    const bytes = await readFile(path);
    if (!posts.some((p) => p.bytes.equals(bytes))) continue;
    const url = `${wp.url}/wp-content/${relative(wp.contentDir, path).split('/').map(encodeURIComponent).join('/')}`;
    const res = await fetch(url);
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status === 200 && body.equals(bytes)) served.push(url);
  }
  return served;
}

/** What wp_get_attachment_url() names for each EA file (the media library, the REST API, themes) and whether it serves the file. */
async function attachmentUrlsServing(): Promise<string[]> {
  const urls = await php<string[]>(`return array_map( 'wp_get_attachment_url', json_decode( '${JSON.stringify(posts.map((p) => p.fileId))}' ) );`);
  const serving: string[] = [];
  for (const [i, url] of urls.entries()) {
    const res = await fetch(url);
    if (Buffer.from(await res.arrayBuffer()).equals(posts[i]!.bytes)) serving.push(url);
  }
  return serving;
}

async function download(p: (typeof posts)[number]): Promise<[number, boolean]> {
  const { token } = await signDownloadToken({ userId: buyerId, postId: p.postId, fileId: p.fileId }, { secret: SECRET, issuer: SIDECAR_URL, ttlS: 300, now: new Date() });
  const res = await fetch(`${wp.url}/?goldcoin_download=${token}`, { headers: { Cookie: cookies } });
  return [res.status, Buffer.from(await res.arrayBuffer()).equals(p.bytes)];
}

/** The names of the EA files a folder holds a copy of. */
async function held(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const path of await filesUnder(dir).catch(() => [])) {
    const bytes = await readFile(path);
    const p = posts.find((q) => q.bytes.equals(bytes));
    if (p) found.push(p.name);
  }
  return found.sort();
}

async function allDownloads(): Promise<[string, number, boolean][]> {
  const answers: [string, number, boolean][] = [];
  for (const p of posts) answers.push([p.name, ...(await download(p))]);
  return answers;
}

/** An EA post whose file is a .zip: a type the built-in server's router (like nginx) hands out from wp-content. */
async function eaPost(name: string): Promise<(typeof posts)[number]> {
  const bytes = Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(512)]);
  const path = join(runDir, `${name}.zip`);
  await writeFile(path, bytes);
  const [made] = await wp.setup<{ id: number; file_id: number }[]>([{ op: 'post', title: name, price: 5, ea_file: path }]);
  await rm(path);
  const p = { name, postId: made!.id, fileId: made!.file_id, bytes };
  posts.push(p);
  return p;
}

beforeAll(async () => {
  dbName = `gct_e2e_protected_files_${randomBytes(3).toString('hex')}`;
  await createEmptyDatabase(dbName);
  wp = await startWordPress({ host: HOST, port: await freePort(HOST), database: dbName, sidecarUrl: SIDECAR_URL, jwtSecret: SECRET, workers: 3 });
  runDir = dirname(wp.contentDir);
  // The default case: the site names no protected folder.
  await setConstant('GOLDCOIN_PROTECTED_DIR', null);
  const [buyer] = await wp.setup<{ id: number }[]>([{ op: 'user', ...BUYER, role: 'subscriber' }]);
  buyerId = buyer!.id;
  const res = await fetch(`${wp.url}/wp-login.php`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
    body: new URLSearchParams({ log: BUYER.login, pwd: BUYER.password, 'wp-submit': 'Log In', testcookie: '1' }).toString(),
  });
  await res.arrayBuffer();
  cookies = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
});

afterAll(async () => {
  await wp?.stop();
  if (dbName) await dropDatabase(dbName);
});

describe('protected EA files behind a server that ignores .htaccess', () => {
  it('keeps them outside the served tree by default, so deactivating the plugin reveals no working URL', async () => {
    const first = await eaPost('deactivated');
    // The built-in server's opcache sees the configuration without GOLDCOIN_PROTECTED_DIR within its revalidation interval.
    await expect.poll(() => download(first), { timeout: SEEN_TIMEOUT_MS, interval: 200 }).toEqual([200, true]);
    await php(`deactivate_plugins( 'goldcoin/goldcoin.php' ); return true;`);
    expect(await php<string[]>(`return get_option( 'active_plugins' );`)).toEqual([]);
    expect(await attachmentUrlsServing()).toEqual([]);
    expect(await servedCopies()).toEqual([]);
    await wp.setup([{ op: 'activate', plugin: 'goldcoin/goldcoin.php' }]);
    expect(await allDownloads()).toEqual([['deactivated', 200, true]]);
  });

  it('is not re-exposed when the uploads path changes', async () => {
    await eaPost('uploads-moved');
    await wp.setup([
      { op: 'option', name: 'upload_path', value: join(wp.contentDir, 'media') },
      { op: 'option', name: 'upload_url_path', value: `${wp.url}/wp-content/media` },
    ]);
    expect(await attachmentUrlsServing()).toEqual([]);
    expect(await servedCopies()).toEqual([]);
    expect(await allDownloads()).toEqual([
      ['deactivated', 200, true],
      ['uploads-moved', 200, true],
    ]);
    await wp.setup([
      { op: 'delete_option', name: 'upload_path' },
      { op: 'delete_option', name: 'upload_url_path' },
    ]);
  });

  it('stays hidden and downloadable when the plugin is reinstalled after deleting its data', async () => {
    await eaPost('reinstalled');
    await wp.setup([
      { op: 'option', name: 'goldcoin_settings', value: { delete_data_on_uninstall: true } },
      { op: 'uninstall', plugin: 'goldcoin/goldcoin.php' },
    ]);
    expect(await attachmentUrlsServing()).toEqual([]);
    await wp.setup([{ op: 'activate', plugin: 'goldcoin/goldcoin.php' }]);
    expect(await attachmentUrlsServing()).toEqual([]);
    expect(await servedCopies()).toEqual([]);
    expect(await allDownloads()).toEqual([
      ['deactivated', 200, true],
      ['uploads-moved', 200, true],
      ['reinstalled', 200, true],
    ]);
  });

  it('moves every file into GOLDCOIN_PROTECTED_DIR when it is set later, leaving no copy in the earlier folder', async () => {
    await eaPost('before-constant');
    const earlier = await php<string>(`return Goldcoin_Protected_Files::directory();`);
    expect(earlier.startsWith(`${runDir}/goldcoin-protected-`)).toBe(true);
    const later = join(runDir, 'configured-later');
    await setConstant('GOLDCOIN_PROTECTED_DIR', later);
    // The built-in server's opcache sees a changed configuration file within its revalidation interval.
    await expect.poll(async () => (await download(posts[0]!), held(later)), { timeout: SEEN_TIMEOUT_MS, interval: 200 }).toEqual(posts.map((p) => p.name).sort());
    expect(await allDownloads()).toEqual([
      ['deactivated', 200, true],
      ['uploads-moved', 200, true],
      ['reinstalled', 200, true],
      ['before-constant', 200, true],
    ]);
    expect(await held(later)).toEqual(posts.map((p) => p.name).sort());
    expect(await held(earlier)).toEqual([]);
    expect(await php<string[]>(`return Goldcoin_Protected_Files::known_directories();`)).toEqual(expect.arrayContaining([earlier, later]));
    expect(await attachmentUrlsServing()).toEqual([]);
    expect(await servedCopies()).toEqual([]);
  });

  it('falls back to uploads only when nothing outside is writable, says so on the settings page, and moves out when a folder is configured', async () => {
    await setConstant('GOLDCOIN_PROTECTED_DIR', null);
    await mkdir(join(wp.contentDir, 'mu-plugins'), { recursive: true });
    await writeFile(join(wp.contentDir, 'mu-plugins', 'nowhere-outside.php'), `<?php\nadd_filter( 'goldcoin_protected_dir_candidates', '__return_empty_array' );\n`);
    const [inUploads, safe, warning] = await php<[string, boolean, boolean]>(`
      delete_option( Goldcoin_Protected_Files::DIR_OPTION );
      $dir = Goldcoin_Protected_Files::directory();
      require_once ABSPATH . 'wp-admin/includes/template.php';
      wp_set_current_user( 1 );
      ob_start();
      Goldcoin_Settings::render_page();
      return array( $dir, Goldcoin_Protected_Files::is_outside_web_root( $dir ), str_contains( ob_get_clean(), 'goldcoin-storage-warning' ) );`);
    expect(inUploads.startsWith(`${wp.contentDir}/uploads/goldcoin-protected-`)).toBe(true);
    expect([safe, warning]).toEqual([false, true]);
    // Files already outside stay there; a new one lands in the fallback, which PHP's built-in server serves, as the warning says.
    expect((await allDownloads()).map(([, status, same]) => [status, same])).toEqual(posts.map(() => [200, true]));
    await eaPost('fallback');
    expect(await servedCopies()).toHaveLength(1);

    const configured = join(runDir, 'configured-again');
    await setConstant('GOLDCOIN_PROTECTED_DIR', configured);
    await expect.poll(async () => (await download(posts[0]!), held(configured)), { timeout: SEEN_TIMEOUT_MS, interval: 200 }).toEqual(posts.map((p) => p.name).sort());
    expect((await allDownloads()).map(([, status, same]) => [status, same])).toEqual(posts.map(() => [200, true]));
    expect(await servedCopies()).toEqual([]);
    expect(await attachmentUrlsServing()).toEqual([]);
  });

  it('moves files an earlier version left under uploads out of the served tree on the first request after the upgrade', async () => {
    const bytes = Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(512)]);
    const name = `goldcoin-protected-${randomBytes(12).toString('hex')}`;
    await writeFile(join(runDir, 'legacy.zip'), bytes);
    // What the earlier version stored: a path relative to uploads, the folder's name in an option, no history.
    const [postId, fileId] = await php<[number, number]>(`
      $post = wp_insert_post( array( 'post_title' => 'legacy', 'post_status' => 'publish' ) );
      $file = wp_insert_attachment( array( 'post_title' => 'legacy', 'post_mime_type' => 'application/zip', 'post_status' => 'inherit' ), '', $post );
      $dir = wp_get_upload_dir()['basedir'] . '/${name}/' . $file;
      wp_mkdir_p( $dir );
      rename( '${runDir}/legacy.zip', $dir . '/legacy.zip' );
      update_post_meta( $file, '_wp_attached_file', '${name}/' . $file . '/legacy.zip' );
      update_post_meta( $post, '_goldcoin_file', $file );
      update_post_meta( $post, '_goldcoin_price', 5 );
      delete_post_meta( $file, '_goldcoin_protected' );
      delete_option( 'goldcoin_protected_dirs' );
      update_option( 'goldcoin_protected_dir_name', '${name}' );
      return array( $post, $file );`);
    posts.push({ name: 'legacy', postId, fileId, bytes });
    expect(await download(posts.at(-1)!)).toEqual([200, true]);
    expect(await servedCopies()).toEqual([]);
    expect(await attachmentUrlsServing()).toEqual([]);
    expect(await php<unknown>(`return get_option( 'goldcoin_protected_dir_name' );`)).toBe(false);
    expect(await php<boolean>(`return Goldcoin_Protected_Files::is_outside_web_root( dirname( get_attached_file( ${fileId}, true ) ) );`)).toBe(true);
  });

  it('ran every request above without a PHP error, warning or notice from the plugin', async () => {
    const ours = (await wp.debugLog()).split('\n').filter((line) => /plugins\/goldcoin\//.test(line));
    expect(ours).toEqual([]);
  });
});

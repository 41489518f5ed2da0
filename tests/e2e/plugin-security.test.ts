// The plugin's security edges in a real WordPress: who may attach an EA file, what the download route serves, which roles a reward may grant.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDownloadToken } from '../../sidecar/src/spending/download-token.js';
import { MAX_PRICE_COINS } from '../../sidecar/src/spending/prices.js';
import { createEmptyDatabase, dropDatabase, freePort, loopbackHost, startWordPress, WORDPRESS_DIR, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.6.php for the run. */
const HOST = loopbackHost(6);
const PLUGIN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'wp-plugin-shim');
const SECRET = randomBytes(32).toString('hex');
const AUTHOR_A = { login: 'author_a', password: 'author-a-pass-1', email: 'a@example.test' };
const AUTHOR_B = { login: 'author_b', password: 'author-b-pass-1', email: 'b@example.test' };
const BUYER = { login: 'buyer', password: 'buyer-pass-1', email: 'buyer@example.test' };
const EA_BYTES = Buffer.concat([Buffer.from('EX4\0'), randomBytes(1024)]);
const PHP_TIMEOUT_MS = 30_000;

let dbName: string;
let wp: WordPressSite;
let workDir: string;
/** A stand-in for the sidecar's grants route: the plugin only reads {"grants":[{"role"}]} from it. */
let grantsServer: Server;
let sidecarUrl: string;
let grantsBody: unknown = { grants: [] };
let ids: { authorA: number; authorB: number; buyer: number; postA: number; fileA: number; postB: number };

/** Runs PHP inside this site (WordPress loaded, as wp-setup.php does) and returns what the code returns, as JSON. */
async function php<T>(code: string): Promise<T> {
  const file = join(workDir, `snippet-${randomBytes(4).toString('hex')}.php`);
  const host = `${wp.host}:${wp.port}`;
  await writeFile(
    file,
    `<?php
$_SERVER['HTTP_HOST'] = '${host}'; $_SERVER['SERVER_NAME'] = '${wp.host}'; $_SERVER['SERVER_PORT'] = '${wp.port}'; $_SERVER['REQUEST_URI'] = '/';
require '${WORDPRESS_DIR}/wp-load.php';
$goldcoin_result = (static function () { ${code} })();
echo 'GOLDCOIN_RESULT ' . wp_json_encode( $goldcoin_result, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) . "\\n";
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

/** Logs in through wp-login.php and returns the cookies for later requests. */
async function login(user: { login: string; password: string }): Promise<string> {
  const res = await fetch(`${wp.url}/wp-login.php`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: 'wordpress_test_cookie=WP%20Cookie%20check' },
    body: new URLSearchParams({ log: user.login, pwd: user.password, 'wp-submit': 'Log In', testcookie: '1' }).toString(),
  });
  await res.arrayBuffer();
  expect(res.status).toBe(302);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ');
}

beforeAll(async () => {
  workDir = join(tmpdir(), `goldcoin-plugin-security-${randomBytes(4).toString('hex')}`);
  await mkdir(workDir);
  grantsServer = createServer((req, res) => {
    const ok = req.url === '/api/rewards/grants' && /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(req.headers.authorization ?? '');
    res.writeHead(ok ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(ok ? grantsBody : { error: { code: 'not_found' } }));
  });
  await new Promise<void>((r) => grantsServer.listen(0, '127.0.0.1', () => r()));
  sidecarUrl = `http://127.0.0.1:${(grantsServer.address() as { port: number }).port}`;
  dbName = `gct_e2e_plugin_security_${randomBytes(3).toString('hex')}`;
  await createEmptyDatabase(dbName);
  wp = await startWordPress({ host: HOST, port: await freePort(HOST), database: dbName, sidecarUrl, jwtSecret: SECRET, workers: 3 });
  const eaPath = join(workDir, 'Private.ex4');
  await writeFile(eaPath, EA_BYTES);
  const made = await wp.setup<{ id: number; file_id?: number }[]>([
    { op: 'user', ...AUTHOR_A, role: 'author' },
    { op: 'user', ...AUTHOR_B, role: 'author' },
    { op: 'user', ...BUYER, role: 'subscriber' },
    { op: 'post', title: 'Author A private EA', author: AUTHOR_A.login, price: 500, ea_file: eaPath },
    { op: 'post', title: 'Author B cheap post', author: AUTHOR_B.login, price: 1 },
  ]);
  ids = { authorA: made[0]!.id, authorB: made[1]!.id, buyer: made[2]!.id, postA: made[3]!.id, fileA: made[3]!.file_id!, postB: made[4]!.id };
});

afterAll(async () => {
  await wp?.stop();
  if (dbName) await dropDatabase(dbName);
  await new Promise<void>((r) => (grantsServer ? grantsServer.close(() => r()) : r()));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('the Gold Coins plugin under attack', () => {
  it('refuses an author attaching another author’s protected EA through XML-RPC custom fields, and never turns a negative price positive', async () => {
    // Debian's PHP here has no xml extension, so xmlrpc.php cannot parse a request: this runs the very
    // method wp.editPost and wp.newPost call for custom_fields, as the author.
    const fields = [
      { key: '_goldcoin_file', value: String(ids.fileA) },
      { key: '_goldcoin_price', value: '-5' },
    ];
    const meta = await php<Record<string, string[]>>(`
      require_once ABSPATH . WPINC . '/class-IXR.php';
      require_once ABSPATH . WPINC . '/class-wp-xmlrpc-server.php';
      wp_set_current_user( ${ids.authorB} );
      ( new wp_xmlrpc_server() )->set_custom_fields( ${ids.postB}, json_decode( '${JSON.stringify(fields)}', true ) );
      $meta = array( 'price' => get_post_meta( ${ids.postB}, '_goldcoin_price' ), 'file' => get_post_meta( ${ids.postB}, '_goldcoin_file' ) );
      update_post_meta( ${ids.postB}, '_goldcoin_price', 1 );
      delete_post_meta( ${ids.postB}, '_goldcoin_price', 1 );
      add_post_meta( ${ids.postB}, '_goldcoin_price', 1 );
      return $meta;`);
    expect(meta['file']).toEqual([]);
    expect(meta['price']).toEqual(['1', '0']);
    expect(
      await php<boolean[]>(
        `wp_set_current_user( ${ids.authorB} ); return array( current_user_can( 'add_post_meta', ${ids.postB}, '_goldcoin_file' ), current_user_can( 'edit_post_meta', ${ids.postB}, '_goldcoin_file' ), current_user_can( 'add_post_meta', ${ids.postB}, '_goldcoin_price' ) );`,
      ),
    ).toEqual([false, false, true]);
  });

  it('parses prices as non-negative whole coins in every path that writes them', async () => {
    const cases = [-5, '-5', '1.5', 'abc', '', '30', 30, ' 42 ', String(MAX_PRICE_COINS), String(MAX_PRICE_COINS + 1), '2000000000', '9'.repeat(30)];
    expect(await php<number[]>(`return array_map( array( 'Goldcoin_Meta_Box', 'sanitize_price' ), json_decode( '${JSON.stringify(cases)}', true ) );`)).toEqual([
      0, 0, 0, 0, 0, 30, 30, 42, MAX_PRICE_COINS, 0, 0, 0,
    ]);
    // One limit on both sides: above the sidecar's largest price a post could never be bought.
    expect(await php<number>(`return Goldcoin_Meta_Box::MAX_PRICE_COINS;`)).toBe(MAX_PRICE_COINS);
  });

  it('lets the meta box attach only attachments the user may edit, with a valid nonce', async () => {
    const save = (userId: number, postId: number, fields: Record<string, string>, nonce = true) =>
      php<Record<string, string[]>>(`
        wp_set_current_user( ${userId} );
        $_POST = json_decode( '${JSON.stringify(fields)}', true );
        ${nonce ? "$_POST['goldcoin_meta_nonce'] = wp_create_nonce( 'goldcoin_save_meta' );" : ''}
        Goldcoin_Meta_Box::save( ${postId}, get_post( ${postId} ) );
        return array( 'price' => get_post_meta( ${postId}, '_goldcoin_price' ), 'file' => get_post_meta( ${postId}, '_goldcoin_file' ) );`);
    expect(await save(ids.authorB, ids.postB, { goldcoin_price: '3', goldcoin_file: String(ids.fileA) })).toEqual({ price: ['3'], file: [] });
    expect(await save(ids.authorB, ids.postB, { goldcoin_price: '9' }, false)).toEqual({ price: ['3'], file: [] });
    expect(await save(ids.authorB, ids.postA, { goldcoin_price: '1', goldcoin_file: '0' })).toEqual({ price: ['500'], file: [String(ids.fileA)] });
    expect(await save(ids.authorA, ids.postA, { goldcoin_price: '-7', goldcoin_file: String(ids.fileA) })).toEqual({ price: [], file: [String(ids.fileA)] });
    expect(await save(ids.authorA, ids.postA, { goldcoin_price: '500', goldcoin_file: String(ids.fileA) })).toEqual({ price: ['500'], file: [String(ids.fileA)] });
    // Above the sidecar's largest price the meta box keeps the old price and tells the editor why.
    expect(await save(ids.authorA, ids.postA, { goldcoin_price: String(MAX_PRICE_COINS + 1), goldcoin_file: String(ids.fileA) })).toEqual({ price: ['500'], file: [String(ids.fileA)] });
    expect(await php<string>(`return (string) get_transient( 'goldcoin_meta_error_${ids.authorA}' );`)).toMatch(/at most 100,000,000 coins/);
  });

  it('serves only files inside protected storage, with safe headers, and answers odd input with 403 and no PHP warning', async () => {
    const cookies = await login(BUYER);
    const sign = async (postId: number, fileId: number) =>
      (await signDownloadToken({ userId: ids.buyer, postId, fileId }, { secret: SECRET, issuer: sidecarUrl, ttlS: 300, now: new Date() })).token;
    const get = (query: string) => fetch(`${wp.url}/?${query}`, { headers: { Cookie: cookies } });

    const good = await get(`goldcoin_download=${await sign(ids.postA, ids.fileA)}`);
    expect(good.status).toBe(200);
    expect(Buffer.from(await good.arrayBuffer()).equals(EA_BYTES)).toBe(true);
    expect(good.headers.get('cache-control')).toMatch(/no-store/);
    expect(good.headers.get('x-content-type-options')).toBe('nosniff');
    expect(good.headers.get('content-security-policy')).toBe('sandbox');
    expect(good.headers.get('content-disposition')).toBe(`attachment; filename="Private.ex4"; filename*=UTF-8''Private.ex4`);
    const media = (await (await fetch(`${wp.url}/?rest_route=/wp/v2/media/${ids.fileA}`)).json()) as { source_url: string };
    expect(media.source_url).toBe(`${wp.url}/?attachment_id=${ids.fileA}`);

    // Attachments whose stored path is outside protected storage: one in public uploads, one escaping it with "../".
    const outside = join(wp.protectedDir, '..', 'outside-secret.txt');
    await writeFile(outside, 'not for download');
    const escaping = `${wp.protectedDir}/../outside-secret.txt`;
    const [publicPost, publicFile, escapePost, escapeFile, oddPost, oddFile] = await php<number[]>(`
      $ids = array();
      foreach ( array( 'public' => null, 'escape' => '${escaping}', 'odd' => 'odd' ) as $kind => $path ) {
        $post = wp_insert_post( array( 'post_title' => $kind, 'post_status' => 'publish', 'post_author' => ${ids.authorA} ) );
        if ( 'odd' === $path ) {
          $dir = Goldcoin_Protected_Files::directory() . '/odd';
          wp_mkdir_p( $dir );
          $path = $dir . '/Gold "EA"; 金币 v2.ex4';
          file_put_contents( $path, 'odd bytes' );
        } elseif ( null === $path ) {
          $path = wp_upload_bits( 'public-secret.ex4', null, 'public bytes' )['file'];
        }
        $file = wp_insert_attachment( array( 'post_title' => $kind, 'post_mime_type' => 'application/octet-stream', 'post_status' => 'inherit' ), $path, $post );
        update_attached_file( $file, $path );
        update_post_meta( $post, '_goldcoin_file', $file );
        array_push( $ids, $post, $file );
      }
      return $ids;`);
    const refused = await Promise.all([
      get(`goldcoin_download=${await sign(publicPost!, publicFile!)}`),
      get(`goldcoin_download=${await sign(escapePost!, escapeFile!)}`),
      get('goldcoin_download[]=x'),
      get('goldcoin_download[a]=1&goldcoin_download[b]=2'),
    ]);
    expect(await Promise.all(refused.map(async (r) => [r.status, (await r.text()).includes('bytes')]))).toEqual([
      [403, false],
      [403, false],
      [403, false],
      [403, false],
    ]);

    const odd = await get(`goldcoin_download=${await sign(oddPost!, oddFile!)}`);
    expect(odd.status).toBe(200);
    expect(await odd.text()).toBe('odd bytes');
    const disposition = odd.headers.get('content-disposition')!;
    const [, fallback, encoded] = /^attachment; filename="([^"]*)"; filename\*=UTF-8''(\S+)$/.exec(disposition) ?? [];
    expect(fallback).toMatch(/^[\x20-\x7e]+$/);
    expect(decodeURIComponent(encoded!)).toBe('Gold "EA"; 金币 v2.ex4');
  });

  it('adds a role a redeemed reward names only when that role can do nothing but read', async () => {
    await wp.setup([
      { op: 'role', name: 'goldcoin_vip', display: 'VIP reader', caps: ['read'] },
      { op: 'role', name: 'goldcoin_uploader', display: 'Uploader', caps: ['read', 'upload_files'] },
    ]);
    grantsBody = { grants: ['administrator', 'editor', 'goldcoin_uploader', 'Administrator ', 'no_such_role', 'goldcoin_vip'].map((role) => ({ role })) };
    const [, , after] = await wp.setup<[unknown, unknown, { roles: string[] }]>([
      { op: 'delete_option', name: `_transient_goldcoin_grants_checked_${ids.buyer}` },
      { op: 'token', login: BUYER.login },
      { op: 'user_roles', login: BUYER.login },
    ]);
    expect(after.roles.sort()).toEqual(['goldcoin_vip', 'subscriber']);
  });

  it("holds a VIP tier's role while the membership runs and takes it away after, never a role it did not add", async () => {
    await wp.setup([{ op: 'role', name: 'goldcoin_member', display: 'VIP member', caps: ['read'] }]);
    const roles = async () =>
      (
        await wp.setup<[unknown, unknown, { roles: string[] }]>([
          { op: 'delete_option', name: `_transient_goldcoin_grants_checked_${ids.buyer}` },
          { op: 'token', login: BUYER.login },
          { op: 'user_roles', login: BUYER.login },
        ])
      )[2].roles;
    const membership = (active: boolean) => ({ grants: [], membership_roles: [{ role: 'goldcoin_member', expires_at: '2027-01-01T00:00:00.000Z', active }] });
    grantsBody = membership(true);
    expect(await roles()).toContain('goldcoin_member');
    grantsBody = membership(false);
    expect(await roles()).not.toContain('goldcoin_member');
    // goldcoin_vip came from a reward (the test before): an ended membership naming it leaves it alone.
    grantsBody = { grants: [], membership_roles: [{ role: 'goldcoin_vip', expires_at: null, active: false }] };
    expect(await roles()).toContain('goldcoin_vip');
  });

  it('writes deny rules into protected storage and prints nothing when its PHP files are requested directly', async () => {
    const htaccess = await readFile(join(wp.protectedDir, '.htaccess'), 'utf8');
    expect(htaccess).toMatch(/<IfModule mod_authz_core\.c>\s*Require all denied\s*<\/IfModule>/);
    expect(htaccess).toMatch(/<IfModule !mod_authz_core\.c>\s*Order deny,allow\s*Deny from all\s*<\/IfModule>/);
    const phpFiles = [
      'goldcoin.php',
      'uninstall.php',
      ...(await readdir(join(PLUGIN_DIR, 'includes'))).map((f) => `includes/${f}`),
      ...(await readdir(join(PLUGIN_DIR, 'templates'))).map((f) => `templates/${f}`),
    ];
    const direct = phpFiles.map((f) => {
      const res = spawnSync('php', ['-d', 'display_errors=1', join(PLUGIN_DIR, f)], { encoding: 'utf8' });
      return [f, res.status, res.stdout + res.stderr];
    });
    expect(direct).toEqual(phpFiles.map((f) => [f, 0, '']));
  });

  it('lets a goldcoin_token_claims filter add claims or drop caps, never widen caps or change who or how long', async () => {
    const claims = await php<Record<string, unknown>[]>(`
      add_filter( 'goldcoin_token_claims', static function ( $claims ) {
        $claims['caps'] = array( 'read', 'edit_posts', 'manage_options' );
        $claims['sub'] = '1';
        $claims['exp'] = $claims['exp'] + 86400;
        $claims['plan'] = 'gold';
        return $claims;
      } );
      $widened = Goldcoin_Tokens::claims( get_user_by( 'id', ${ids.buyer} ), 0, 1000, 'admin' );
      remove_all_filters( 'goldcoin_token_claims' );
      add_filter( 'goldcoin_token_claims', static fn ( $claims ) => array_merge( $claims, array( 'caps' => array() ) ) );
      $narrowed = Goldcoin_Tokens::claims( get_user_by( 'id', 1 ), 0, 1000, 'admin' );
      return array( $widened, $narrowed );`);
    expect(claims[0]).toMatchObject({ sub: String(ids.buyer), exp: 1000 + 12 * 60, caps: ['read'], plan: 'gold' });
    expect(claims[1]).toMatchObject({ sub: '1', caps: [] });
  });

  it('marks a page that prints a token DONOTCACHEPAGE and Cache-Control: private, and a page without one not private', async () => {
    const [before, printed, after] = await php<[boolean, boolean, boolean]>(`
      wp_set_current_user( ${ids.buyer} );
      $before = defined( 'DONOTCACHEPAGE' );
      $html = do_shortcode( '[goldcoin_unlock post_id="${ids.postA}"]' );
      return array( $before, str_contains( $html, 'token=' ), defined( 'DONOTCACHEPAGE' ) );`);
    expect([before, printed, after]).toEqual([false, true, true]);
    const cookies = await login(BUYER);
    const page = await fetch(`${wp.url}/?p=${ids.postB}`, { headers: { Cookie: cookies } });
    await page.text();
    // The post has no shortcode: no token, so nothing that forbids caching by a shared cache.
    expect(page.headers.get('cache-control') ?? '').not.toMatch(/private/);
    const shortcodePost = await php<number>(
      `return wp_insert_post( array( 'post_title' => 'Wallet', 'post_content' => '[goldcoin_wallet]', 'post_status' => 'publish', 'post_type' => 'page' ) );`,
    );
    const walletPage = await fetch(`${wp.url}/?page_id=${shortcodePost}`, { headers: { Cookie: cookies } });
    expect(await walletPage.text()).toContain('<goldcoin-widget');
    expect(walletPage.headers.get('cache-control')).toMatch(/\bprivate\b/);
  });

  it('renders through templates a theme can override, and lets filters and actions see the widget and each download', async () => {
    const theme = await php<string>(`return get_stylesheet_directory();`);
    await mkdir(join(theme, 'goldcoin'), { recursive: true });
    await writeFile(join(theme, 'goldcoin', 'shortcode-login.php'), `<?php defined( 'ABSPATH' ) || exit; ?><p class="theme-login"><a href="<?php echo esc_url( $login_url ); ?>">Theme login</a></p>`);
    await mkdir(join(wp.contentDir, 'mu-plugins'), { recursive: true });
    await writeFile(
      join(wp.contentDir, 'mu-plugins', 'goldcoin-hooks.php'),
      `<?php
add_filter( 'goldcoin_unlock_widget_html', static fn ( $html, $post_id ) => '<div class="theme-unlock" data-post="' . (int) $post_id . '">' . $html . '</div>', 10, 2 );
add_filter( 'goldcoin_before_download', static fn ( $allowed, $user, $post ) => get_option( 'goldcoin_test_refuse' ) ? new WP_Error( 'licence', 'no licence' ) : $allowed, 10, 3 );
add_action( 'goldcoin_download_served', static function ( $user, $post, $file ) { update_option( 'goldcoin_test_served', array( $user, $post, $file ) ); }, 10, 3 );
`,
    );
    try {
      const walletPage = await php<number>(
        `return wp_insert_post( array( 'post_title' => 'Recharge', 'post_content' => '[goldcoin_recharge]', 'post_status' => 'publish', 'post_type' => 'page' ) );`,
      );
      const loggedOut = await (await fetch(`${wp.url}/?page_id=${walletPage}`)).text();
      expect(loggedOut).toMatch(/<p class="theme-login"><a href="[^"]*wp-login\.php[^"]*">Theme login<\/a><\/p>/);
      const unlock = await php<string>(`wp_set_current_user( ${ids.buyer} ); return do_shortcode( '[goldcoin_unlock post_id="${ids.postA}"]' );`);
      expect(unlock).toMatch(new RegExp(`^<div class="goldcoin-shortcode goldcoin-shortcode-unlock"><div class="theme-unlock" data-post="${ids.postA}"><goldcoin-widget `));

      const cookies = await login(BUYER);
      const { token } = await signDownloadToken({ userId: ids.buyer, postId: ids.postA, fileId: ids.fileA }, { secret: SECRET, issuer: sidecarUrl, ttlS: 300, now: new Date() });
      await wp.setup([{ op: 'option', name: 'goldcoin_test_refuse', value: 1 }]);
      const refused = await fetch(`${wp.url}/?goldcoin_download=${token}`, { headers: { Cookie: cookies } });
      expect([refused.status, (await refused.arrayBuffer()).byteLength < EA_BYTES.length]).toEqual([403, true]);
      expect(await php<unknown>(`return get_option( 'goldcoin_test_served' );`)).toBe(false);
      await wp.setup([{ op: 'delete_option', name: 'goldcoin_test_refuse' }]);
      const served = await fetch(`${wp.url}/?goldcoin_download=${token}`, { headers: { Cookie: cookies } });
      expect(Buffer.from(await served.arrayBuffer()).equals(EA_BYTES)).toBe(true);
      expect(await php<unknown>(`return get_option( 'goldcoin_test_served' );`)).toEqual([ids.buyer, ids.postA, ids.fileA]);
    } finally {
      await rm(join(theme, 'goldcoin'), { recursive: true, force: true });
      await rm(join(wp.contentDir, 'mu-plugins', 'goldcoin-hooks.php'), { force: true });
    }
  });

  it('drops only the sidecar’s tables on uninstall, under GOLDCOIN_TABLE_PREFIX when the site sets one', async () => {
    const tables = () => php<string[]>(`global $wpdb; return $wpdb->get_col( "SHOW TABLES LIKE 'gcx\\_%'" );`);
    await php(`global $wpdb; foreach ( array( 'gcx_coins_coin_ledger', 'gcx_coins_user_wallet', 'gcx_other' ) as $t ) { $wpdb->query( "CREATE TABLE $t (id INT PRIMARY KEY)" ); } return true;`);
    process.env['GOLDCOIN_TABLE_PREFIX'] = 'gcx_coins_';
    try {
      await wp.setup([
        { op: 'option', name: 'goldcoin_settings', value: { delete_data_on_uninstall: true } },
        { op: 'uninstall', plugin: 'goldcoin/goldcoin.php' },
      ]);
    } finally {
      delete process.env['GOLDCOIN_TABLE_PREFIX'];
    }
    expect(await tables()).toEqual(['gcx_other']);
    // The EA file stays, and so does the post's link to it: only "delete the protected EA files" removes them.
    expect(await php<[boolean, number]>(`return array( is_file( get_attached_file( ${ids.fileA}, true ) ), (int) get_post_meta( ${ids.postA}, '_goldcoin_file', true ) );`)).toEqual([true, ids.fileA]);
    await wp.setup([{ op: 'activate', plugin: 'goldcoin/goldcoin.php' }]);
  });

  it('ran every request above without a PHP error, warning or notice from the plugin', async () => {
    const ours = (await wp.debugLog()).split('\n').filter((line) => /plugins\/goldcoin\//.test(line));
    expect(ours).toEqual([]);
  });
});

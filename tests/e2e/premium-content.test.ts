// Premium post content in a real WordPress and Chromium: the part inside [goldcoin_unlock]…[/goldcoin_unlock] or the premium
// block reaches only the entitled, leaks through no other door (source, REST, feeds, search, excerpts, oEmbed), appears in place
// after an unlock, and every block loads in the block editor without a console error.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMovement } from '../../sidecar/src/ledger/ledger.js';
import { checkInvariants } from '../../sidecar/src/ledger/invariants.js';
import { buildTestApp } from '../support/app.js';
import { buildWidget, launchBrowser, logInToWordPress } from '../support/browser.js';
import type { TestDatabase } from '../support/db.js';
import { createEmptyDatabase, dropDatabase, freePort, loopbackHost, sidecarDatabase, startWordPress, type WordPressSite } from '../support/wordpress.js';

/** This file's own loopback host: it owns /etc/wordpress/config-<net>.13.php for the run. */
const HOST = loopbackHost(13);
const SECRET = randomBytes(32).toString('hex');
const UI_TIMEOUT_MS = 15_000;
const LOGIN_TIMEOUT_MS = 45_000;
/** Words that exist only inside the premium parts: finding one anywhere a reader should not is a leak. */
const HIDDEN_A = `zqhidden${randomBytes(4).toString('hex')}`;
const HIDDEN_B = `zqblock${randomBytes(4).toString('hex')}`;
const HIDDEN_C = `zqnested${randomBytes(4).toString('hex')}`;
const PUBLIC_WORD = `zqpublic${randomBytes(4).toString('hex')}`;
const EDITOR = { login: 'author', password: 'author-pass-1', email: 'author@example.test' };
const BUYER = { login: 'buyer', password: 'buyer-pass-1', email: 'buyer@example.test' };
const STRANGER = { login: 'stranger', password: 'stranger-pass-1', email: 'stranger@example.test' };
const READER = { login: 'reader', password: 'reader-pass-1', email: 'reader@example.test' };
const DUZHE = { login: 'duzhe', password: 'duzhe-pass-1', email: 'duzhe@example.test' };
const BLOCKS = ['recharge', 'wallet', 'redeem', 'unlock', 'premium-content', 'vip-tiers'].map((n) => `goldcoin/${n}`);

let dbName: string;
let widgetDir: string;
let wp: WordPressSite;
let tdb: TestDatabase;
let sidecar: ServerType;
let sidecarPort: number;
let sidecarUrl: string;
let browser: Browser;
let app: ReturnType<typeof buildTestApp>['app'];
let shortcodePost: number;
let blockPost: number;
let emptyPost: number;
let nestedPost: number;
const ids: Record<string, number> = {};

const shortcodeContent = [
  `<p>The public introduction, ${PUBLIC_WORD}.</p>`,
  `[goldcoin_unlock teaser="The exit rules, in full."]`,
  `<p>Enter on the ${HIDDEN_A} signal.</p>`,
  `[/goldcoin_unlock]`,
  `<p>The public conclusion.</p>`,
].join('\n');
const blockContent = [
  '<!-- wp:paragraph --><p>The block post begins in public.</p><!-- /wp:paragraph -->',
  '<!-- wp:goldcoin/premium-content {"teaser":"Settings for three brokers."} -->',
  `<!-- wp:paragraph --><p>Broker settings: ${HIDDEN_B}.</p><!-- /wp:paragraph -->`,
  '<!-- /wp:goldcoin/premium-content -->',
].join('\n');
/** A premium block inside a group: excerpts and search must drop it at any depth. */
const nestedContent = [
  '<!-- wp:group --><div class="wp-block-group">',
  '<!-- wp:paragraph --><p>The nested post, in public.</p><!-- /wp:paragraph -->',
  `<!-- wp:goldcoin/premium-content --><!-- wp:paragraph --><p>Nested: ${HIDDEN_C}.</p><!-- /wp:paragraph --><!-- /wp:goldcoin/premium-content -->`,
  '</div><!-- /wp:group -->',
].join('\n');

function serveSidecar(): Promise<void> {
  return new Promise((resolve) => {
    sidecar = serve({ fetch: app.fetch, port: sidecarPort, hostname: '127.0.0.1' }, () => resolve());
  });
}

function stopSidecar(): Promise<void> {
  return new Promise((resolve) => {
    if (!sidecar) return resolve();
    sidecar.close(() => resolve());
    (sidecar as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

async function loggedIn(login: string, password: string, width = 1366): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  await logInToWordPress(page, wp.url, login, password, LOGIN_TIMEOUT_MS);
  return { context, page };
}

async function give(login: string, coins: number): Promise<void> {
  await applyMovement(tdb.db, { userId: ids[login]!, deltaCoins: coins, kind: 'adjustment', idempotencyRef: `seed:${login}`, actor: 'test' });
}

/** Every door a reader could try, for a post: pages, the REST API in each context, feeds, search, oEmbed. */
function doors(postId: number, hidden: string): string[] {
  const permalink = encodeURIComponent(`${wp.url}/?p=${postId}`);
  return [
    '/',
    '/?cat=1',
    `/?p=${postId}`,
    `/?p=${postId}&preview=true`,
    `/?p=${postId}&embed=true`,
    `/?rest_route=/wp/v2/posts/${postId}`,
    `/?rest_route=/wp/v2/posts/${postId}&context=view`,
    `/?rest_route=/wp/v2/posts/${postId}&_embed=1`,
    `/?rest_route=/wp/v2/posts/${postId}&context=embed`,
    `/?rest_route=/wp/v2/posts&_embed=1`,
    `/?rest_route=/wp/v2/posts&search=${hidden}`,
    `/?rest_route=/wp/v2/search&search=${hidden}`,
    '/?feed=rss2',
    '/?feed=atom',
    '/?feed=rdf',
    `/?rest_route=/oembed/1.0/embed&url=${permalink}`,
  ];
}

beforeAll(async () => {
  widgetDir = await buildWidget();
  dbName = `gct_e2e_premium_${randomBytes(3).toString('hex')}`;
  await createEmptyDatabase(dbName);
  sidecarPort = await freePort();
  sidecarUrl = `http://127.0.0.1:${sidecarPort}`;
  wp = await startWordPress({ host: HOST, port: await freePort(HOST), database: dbName, sidecarUrl, jwtSecret: SECRET, widgetDir });
  tdb = await sidecarDatabase(dbName);
  ({ app } = buildTestApp(tdb, { env: { WP_HOME: wp.url, CORS_ORIGINS: wp.url, PUBLIC_URL: sidecarUrl, GOLDCOIN_JWT_SECRET: SECRET } }));
  await serveSidecar();
  const made = await wp.setup<{ id: number }[]>([
    { op: 'user', ...EDITOR, role: 'author', name: 'Ada Author' },
    { op: 'user', ...BUYER, role: 'subscriber' },
    { op: 'user', ...STRANGER, role: 'subscriber' },
    { op: 'user', ...READER, role: 'subscriber' },
    { op: 'user', ...DUZHE, role: 'subscriber', locale: 'zh_CN' },
    { op: 'post', title: 'Premium shortcode post', content: shortcodeContent, author: EDITOR.login, price: 20 },
    { op: 'post', title: 'Premium block post', content: blockContent, author: EDITOR.login, price: 15 },
    { op: 'post', title: 'Priced but empty', content: '<p>Nothing for sale here.</p>', author: EDITOR.login, price: 10 },
    { op: 'post', title: 'Premium nested post', content: nestedContent, author: EDITOR.login, price: 12 },
  ]);
  const madeIds = made.map((r) => r.id);
  [EDITOR, BUYER, STRANGER, READER, DUZHE].forEach((u, i) => (ids[u.login] = madeIds[i]!));
  [shortcodePost, blockPost, emptyPost, nestedPost] = madeIds.slice(5) as [number, number, number, number];
  await give(BUYER.login, 100);
  await give(READER.login, 100);
  await give(DUZHE.login, 100);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await stopSidecar();
  await wp?.stop();
  if (tdb) await tdb.drop();
  else if (dbName) await dropDatabase(dbName);
  if (widgetDir) await rm(widgetDir, { recursive: true, force: true });
});

describe('premium post content in a real WordPress', () => {
  it('shows the hidden part to a buyer the sidecar confirms and to the post’s author, and hands it out through the premium route', async () => {
    const [{ token }] = (await wp.setup<{ token: string }[]>([{ op: 'token', login: BUYER.login, post: shortcodePost }])) as [{ token: string }];
    const unlocked = await fetch(`${sidecarUrl}/api/posts/${shortcodePost}/unlock`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    expect(unlocked.status).toBe(200);

    const buyer = await loggedIn(BUYER.login, BUYER.password);
    const res = await buyer.page.goto(`${wp.url}/?p=${shortcodePost}`);
    expect(res!.headers()['cache-control']).toMatch(/\bprivate\b/);
    await buyer.page.locator('.goldcoin-premium-open', { hasText: HIDDEN_A }).waitFor();
    const html = await buyer.page.content();
    expect(html).toContain(PUBLIC_WORD);
    expect(html).toContain('The public conclusion.');
    expect(await buyer.page.locator('.goldcoin-premium-locked').count()).toBe(0);
    // The buyer's page has no locked box, so nothing asks the premium route; it still answers the buyer.
    const nonce = await buyer.page.evaluate(async (url) => {
      const admin = await fetch(`${url}/wp-admin/admin-ajax.php?action=rest-nonce`, { credentials: 'same-origin' });
      return admin.ok ? admin.text() : '';
    }, wp.url);
    expect(nonce).toMatch(/^[0-9a-f]{10}$/);
    const route = await buyer.page.request.get(`${wp.url}/?rest_route=/goldcoin/v1/posts/${shortcodePost}/premium`, { headers: { 'X-WP-Nonce': nonce } });
    expect(route.status()).toBe(200);
    expect(route.headers()['cache-control']).toMatch(/no-store/);
    const body = (await route.json()) as { parts: { index: number; html: string }[] };
    expect(body.parts).toHaveLength(1);
    expect(body.parts[0]).toMatchObject({ index: 0 });
    expect(body.parts[0]!.html).toContain(HIDDEN_A);
    expect(body.parts[0]!.html).not.toContain(PUBLIC_WORD);
    await buyer.context.close();

    const author = await loggedIn(EDITOR.login, EDITOR.password);
    await author.page.goto(`${wp.url}/?p=${blockPost}`);
    await author.page.locator('.goldcoin-premium-open', { hasText: HIDDEN_B }).waitFor();
    await author.context.close();
  });

  it('gives a reader who has not bought the post none of the hidden part: page source, REST (view, embed), feeds, search, excerpts, oEmbed, preview', async () => {
    const stranger = await loggedIn(STRANGER.login, STRANGER.password);
    await stranger.page.goto(`${wp.url}/?p=${shortcodePost}`);
    const box = stranger.page.locator('.goldcoin-premium-locked');
    await box.waitFor();
    expect(await box.innerText()).toContain('The exit rules, in full.');
    expect(await box.locator('goldcoin-widget[view="unlock"]').count()).toBe(1);
    const nonce = (await box.locator('goldcoin-widget').getAttribute('refresh-nonce'))!;

    const viewers: [string, (path: string) => Promise<{ status: number; body: string }>][] = [
      ['logged out', async (path) => {
        const r = await fetch(wp.url + path);
        return { status: r.status, body: await r.text() };
      }],
      ['a logged-in reader who did not buy it', async (path) => {
        const r = await stranger.page.request.get(wp.url + path, { headers: { 'X-WP-Nonce': nonce } });
        return { status: r.status(), body: await r.text() };
      }],
    ];
    let checked = 0;
    for (const [who, get] of viewers) {
      for (const [postId, hidden] of [[shortcodePost, HIDDEN_A], [blockPost, HIDDEN_B], [nestedPost, HIDDEN_C]] as const) {
        for (const path of doors(postId, hidden)) {
          const { status, body } = await get(path);
          expect(status, `${who}: ${path}`).toBeLessThan(500);
          expect([HIDDEN_A, HIDDEN_B, HIDDEN_C].some((h) => body.includes(h)), `${who} found a hidden word at ${path}`).toBe(false);
          checked++;
        }
        const raw = await get(`/?rest_route=/wp/v2/posts/${postId}&context=edit`);
        expect([401, 403], `${who}: context=edit`).toContain(raw.status);
        const premium = await get(`/?rest_route=/goldcoin/v1/posts/${postId}/premium`);
        expect(premium.status, `${who}: premium route`).toBe(who === 'logged out' ? 401 : 403);
        expect(premium.body).not.toContain(hidden);
      }
      // The doors work: the public part is there, so an empty answer is not what passed the checks above.
      const post = JSON.parse((await get(`/?rest_route=/wp/v2/posts/${shortcodePost}`)).body) as { content: { rendered: string }; excerpt: { rendered: string } };
      expect(post.content.rendered).toContain(PUBLIC_WORD);
      expect(post.content.rendered).toContain('goldcoin-premium-locked');
      expect(post.excerpt.rendered).toContain(PUBLIC_WORD);
      const nested = JSON.parse((await get(`/?rest_route=/wp/v2/posts/${nestedPost}`)).body) as { excerpt: { rendered: string } };
      expect(nested.excerpt.rendered).toContain('The nested post, in public.');
      expect(JSON.parse((await get(`/?rest_route=/wp/v2/posts&search=${PUBLIC_WORD}`)).body).map((p: { id: number }) => p.id)).toEqual([shortcodePost]);
      expect(JSON.parse((await get(`/?rest_route=/wp/v2/posts&search=${HIDDEN_A}`)).body)).toEqual([]);
      expect((await get(`/?s=${PUBLIC_WORD}`)).body).toContain('Premium shortcode post');
      // The results page repeats the search words; what must not be there is the post they were hidden in.
      for (const [hidden, title] of [[HIDDEN_A, 'Premium shortcode post'], [HIDDEN_B, 'Premium block post'], [HIDDEN_C, 'Premium nested post']]) {
        const results = (await get(`/?s=${hidden}`)).body;
        expect(results, `${who}: search for a hidden word`).not.toContain(title);
        expect(results).not.toMatch(/signal\.|Broker settings|Nested:/);
      }
      const oembed = JSON.parse((await get(`/?rest_route=/oembed/1.0/embed&url=${encodeURIComponent(`${wp.url}/?p=${shortcodePost}`)}`)).body) as { html: string };
      expect(oembed.html).toContain('<iframe');
      expect((await get(`/?p=${shortcodePost}&embed=true`)).body).toContain(PUBLIC_WORD);
      const feed = (await get('/?feed=rss2')).body;
      expect(feed).toContain(PUBLIC_WORD);
      expect(feed).toContain('Read it on the site');
    }
    console.log(`premium content: ${checked} doors tried by 2 viewers, none gave out a hidden word`);
    expect(await stranger.page.content()).not.toContain(HIDDEN_A);
    await stranger.context.close();
  });

  it('reveals the bought part in place, without a reload, in English and Chinese, at 1366 and 390 px', async () => {
    for (const [user, postId, hidden, lang] of [
      [READER, blockPost, HIDDEN_B, 'en'],
      [DUZHE, shortcodePost, HIDDEN_A, 'zh-CN'],
    ] as const) {
      const { context, page } = await loggedIn(user.login, user.password);
      await page.goto(`${wp.url}/?p=${postId}`);
      const widget = page.locator('.goldcoin-premium goldcoin-widget[view="unlock"]');
      const button = widget.getByRole('button', { name: lang === 'en' ? /Unlock for 15/ : /使用 20 金币解锁/ });
      await button.waitFor();
      expect(await page.content()).not.toContain(hidden);
      for (const width of [1366, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.screenshot({ path: `/tmp/goldcoin-premium-${lang}-${width}-locked.png`, fullPage: true });
      }
      await page.setViewportSize({ width: 1366, height: 900 });
      // A reload would lose this mark.
      await page.evaluate(() => ((window as unknown as { goldcoinMark: number }).goldcoinMark = 1));
      const navigations: string[] = [];
      page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
      await button.click();
      const revealed = page.locator('.goldcoin-premium-open .goldcoin-premium-content', { hasText: hidden });
      await revealed.waitFor();
      await widget.getByText(lang === 'en' ? /now shown in the post/ : /付费内容已显示/).waitFor();
      expect(await page.evaluate(() => (window as unknown as { goldcoinMark?: number }).goldcoinMark)).toBe(1);
      expect(navigations).toEqual([]);
      expect(await page.locator('.goldcoin-premium-locked, .goldcoin-premium-teaser').count()).toBe(0);
      for (const width of [1366, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.screenshot({ path: `/tmp/goldcoin-premium-${lang}-${width}-open.png`, fullPage: true });
      }
      // A fresh load agrees with what the widget put in place.
      await page.reload();
      await page.locator('.goldcoin-premium-open', { hasText: hidden }).waitFor();
      await context.close();
    }
    const wallets = await tdb.db.selectFrom('user_wallet').select(['user_id', 'total_coins']).where('user_id', 'in', [ids[READER.login]!, ids[DUZHE.login]!]).orderBy('user_id').execute();
    expect(wallets.map((w) => Number(w.total_coins))).toEqual([85, 80]);
    expect((await checkInvariants(tdb.db, [ids[READER.login]!, ids[DUZHE.login]!])).problems).toEqual([]);
  });

  it('warns in the meta box when a priced post has neither an EA file nor premium content', async () => {
    const { context, page } = await loggedIn(EDITOR.login, EDITOR.password);
    await page.goto(`${wp.url}/wp-admin/post.php?post=${emptyPost}&action=edit`);
    await page.locator('#goldcoin-price').waitFor();
    await page.locator('.goldcoin-meta-box .goldcoin-warning').waitFor();
    expect(await page.locator('.goldcoin-meta-box .goldcoin-warning').innerText()).toMatch(/nothing to sell/);
    await page.goto(`${wp.url}/wp-admin/post.php?post=${shortcodePost}&action=edit`);
    await page.locator('#goldcoin-price').waitFor();
    expect(await page.locator('.goldcoin-meta-box .goldcoin-warning').count()).toBe(0);
    await context.close();
  });

  it('loads every Gold Coins block in the block editor with a live preview and no console error', async () => {
    const { context, page } = await loggedIn(wp.admin.user, wp.admin.password);
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${wp.url}/wp-admin/post-new.php`);
    await page.waitForFunction(() => {
      const w = window as unknown as { wp?: { blocks?: { getBlockType: (n: string) => unknown } } };
      return !!w.wp?.blocks?.getBlockType('goldcoin/premium-content');
    });
    const titles = await page.evaluate((names) => {
      const w = window as unknown as {
        wp: {
          blocks: { getBlockType: (n: string) => { title: string } | undefined; createBlock: (n: string, a?: object, inner?: unknown[]) => unknown };
          data: { dispatch: (s: string) => { insertBlocks: (b: unknown[]) => void } };
        };
      };
      const { blocks, data } = w.wp;
      data.dispatch('core/block-editor').insertBlocks(
        names.map((n) =>
          n === 'goldcoin/premium-content'
            ? blocks.createBlock(n, { teaser: 'A teaser' }, [blocks.createBlock('core/paragraph', { content: 'Inside the premium block' })])
            : blocks.createBlock(n),
        ),
      );
      return names.map((n) => blocks.getBlockType(n)?.title ?? '');
    }, BLOCKS);
    expect(titles).toEqual([
      'Gold Coins: recharge',
      'Gold Coins: wallet',
      'Gold Coins: rewards',
      'Gold Coins: unlock',
      'Gold Coins: premium content',
      'Gold Coins: VIP tiers',
    ]);
    // The widget blocks preview the live widget: the server's element, upgraded by goldcoin.js, with the sidecar's data.
    const previews = page.locator('.goldcoin-block-preview goldcoin-widget');
    await expect.poll(() => previews.count(), { timeout: UI_TIMEOUT_MS }).toBe(4);
    for (const view of ['recharge', 'wallet', 'redeem', 'vip']) {
      const widget = page.locator(`.goldcoin-block-preview goldcoin-widget[view="${view}"]`);
      await expect
        .poll(() => widget.evaluate((e) => (e.shadowRoot?.lastElementChild as HTMLElement | null)?.innerText ?? ''), { timeout: UI_TIMEOUT_MS })
        .toMatch(view === 'recharge' ? /52/ : view === 'wallet' ? /0/ : /./);
    }
    await page.locator('.goldcoin-premium-editor', { hasText: 'Inside the premium block' }).waitFor();
    await page.locator('.goldcoin-block-preview .goldcoin-block-empty').waitFor();
    await page.screenshot({ path: '/tmp/goldcoin-premium-editor-1366.png', fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('keeps the part hidden, and says why, when the sidecar cannot be reached', async () => {
    await stopSidecar();
    try {
      const { context, page } = await loggedIn(BUYER.login, BUYER.password);
      await page.goto(`${wp.url}/?p=${shortcodePost}`);
      const box = page.locator('.goldcoin-premium-locked');
      await box.waitFor();
      expect(await box.innerText()).toMatch(/cannot be checked right now/);
      expect(await page.content()).not.toContain(HIDDEN_A);
      await context.close();
    } finally {
      await serveSidecar();
    }
  });

  it('ran every request above without a PHP error, warning or notice from the plugin', async () => {
    const ours = (await wp.debugLog()).split('\n').filter((line) => /plugins\/goldcoin\/|scripts\/wp-/.test(line));
    expect(ours).toEqual([]);
  });
});

// Inserts WordPress posts, attachments and post meta rows the way wp_insert_post and update_post_meta store them.
import { sql } from 'kysely';
import type { Db } from '../../sidecar/src/db/database.js';
import { TEST_HOME } from './app.js';

export interface PostSpec {
  title?: string;
  status?: string;
  type?: string;
  authorId?: number;
  parentId?: number;
  mimeType?: string;
}

function wpDate(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** Every NOT NULL column filled as wp_insert_post fills it (dates in UTC, as on a site with timezone UTC). */
export async function insertPost(db: Db, spec: PostSpec = {}): Promise<number> {
  const now = wpDate(new Date());
  const title = spec.title ?? 'An Expert Advisor';
  const type = spec.type ?? 'post';
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 190);
  const res = await sql`
    INSERT INTO ${sql.table('posts')} (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt,
      post_status, comment_status, ping_status, post_password, post_name, to_ping, pinged, post_modified,
      post_modified_gmt, post_content_filtered, post_parent, guid, menu_order, post_type, post_mime_type, comment_count)
    VALUES (${spec.authorId ?? 1}, ${now}, ${now}, ${'<!-- wp:paragraph --><p>Backtests and settings.</p><!-- /wp:paragraph -->'},
      ${title}, '', ${spec.status ?? (type === 'attachment' ? 'inherit' : 'publish')}, 'open', 'open', '', ${slug}, '', '',
      ${now}, ${now}, '', ${spec.parentId ?? 0}, '', 0, ${type}, ${spec.mimeType ?? ''}, 0)`.execute(db);
  const id = Number(res.insertId);
  // WordPress sets the guid after the insert, once the ID is known.
  await sql`UPDATE ${sql.table('posts')} SET guid = ${`${TEST_HOME}/?p=${id}`} WHERE ID = ${id}`.execute(db);
  return id;
}

/** update_post_meta: updates the existing row(s) for the key, or adds one. Values are stored as text. */
export async function setPostMeta(db: Db, postId: number, key: string, value: string | number): Promise<void> {
  const text = String(value);
  const res = await db.updateTable('postmeta').set({ meta_value: text }).where('post_id', '=', postId).where('meta_key', '=', key).executeTakeFirst();
  if (res.numUpdatedRows === 0n) await addPostMeta(db, postId, key, text);
}

/** add_post_meta: always a new row (WordPress allows several rows per key; get_post_meta(..., true) reads the first). */
export async function addPostMeta(db: Db, postId: number, key: string, value: string | number): Promise<void> {
  await db.insertInto('postmeta').values({ post_id: postId, meta_key: key, meta_value: String(value) }).execute();
}

export async function deletePostMeta(db: Db, postId: number, key: string): Promise<void> {
  await db.deleteFrom('postmeta').where('post_id', '=', postId).where('meta_key', '=', key).execute();
}

/** An uploaded file: an attachment post plus its _wp_attached_file path relative to uploads/. */
export async function insertAttachment(db: Db, opts: { parentId?: number; path?: string; mimeType?: string } = {}): Promise<number> {
  const path = opts.path ?? '2026/11/GoldScalper-v3.ex4';
  const name = path.split('/').pop()!;
  const id = await insertPost(db, {
    title: name.replace(/\.[^.]+$/, ''),
    type: 'attachment',
    status: 'inherit',
    ...(opts.parentId !== undefined ? { parentId: opts.parentId } : {}),
    mimeType: opts.mimeType ?? 'application/octet-stream',
  });
  await setPostMeta(db, id, '_wp_attached_file', path);
  return id;
}

/** A published post priced in coins, optionally with an EA file attached, as the plugin's meta box saves it. */
export async function insertPricedPost(
  db: Db,
  price: number | string,
  opts: PostSpec & { filePath?: string } = {},
): Promise<{ postId: number; fileId: number | null }> {
  const postId = await insertPost(db, opts);
  await setPostMeta(db, postId, '_goldcoin_price', price);
  let fileId: number | null = null;
  if (opts.filePath !== undefined) {
    fileId = await insertAttachment(db, { parentId: postId, path: opts.filePath });
    await setPostMeta(db, postId, '_goldcoin_file', fileId);
  }
  return { postId, fileId };
}

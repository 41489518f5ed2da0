// The unlock transaction written by hand over bare mysql2, the ceiling the sidecar is measured against, in two sizes:
// the same transaction the sidecar sends (statement for statement) and the minimal money writes alone.
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';

export interface RawTables {
  /** The sidecar's own tables' prefix (wp_goldcoin_). */
  prefix: string;
  /** WordPress's tables' prefix (wp_). */
  wpPrefix: string;
}

export type RawUnlock = (conn: PoolConnection, userId: number, postId: number) => Promise<boolean>;

/** An unlock on a connection taken from the pool and given back; a refusal or error counts as a failed operation. */
export function onPool(pool: Pool, unlock: RawUnlock) {
  return async (userId: number, postId: number): Promise<boolean> => {
    const conn = await pool.getConnection();
    try {
      return await unlock(conn, userId, postId);
    } finally {
      conn.release();
    }
  };
}

/** Parts of the same transaction to leave out, to see what each costs (bench/ablation.ts). */
export interface Without {
  rateLimit?: boolean;
  priceRead?: boolean;
  notification?: boolean;
}

const FIXED_OFFER = { post_title: 'Bench EA', post_status: 'publish', price: '1' };

/** The sidecar's rule (spending/prices.ts): a published post with a plain positive whole price; else 0. */
function priceOf(post: Record<string, unknown> | undefined): number {
  return post && post['post_status'] === 'publish' && /^[0-9]{1,12}$/.test(String(post['price'] ?? '')) ? Number(post['price']) : 0;
}

/** The sidecar's unlock statements, as it sends them (see the general log of a real unlock). */
function sameTransactionSql(t: RawTables) {
  const rate = `INSERT INTO ${t.prefix}rate_limits (bucket, user_id, window_start, hits) VALUES ('unlock', ?, ?, LAST_INSERT_ID(1))
    ON DUPLICATE KEY UPDATE hits = LAST_INSERT_ID(IF(window_start = VALUES(window_start), LEAST(hits + 1, 4000000000), 1)), window_start = VALUES(window_start)`;
  const meta = (key: string) =>
    `(SELECT m.meta_value FROM ${t.wpPrefix}postmeta AS m WHERE m.post_id = p.ID AND m.meta_key = '${key}' ORDER BY m.meta_id ASC LIMIT 1)`;
  const offer = `SELECT p.post_title, p.post_author, p.post_status, p.post_type, ${meta('_goldcoin_price')} AS price, ${meta('_goldcoin_file')} AS file
    FROM ${t.wpPrefix}posts AS p WHERE p.ID = ?`;
  const entitlement = `INSERT INTO ${t.prefix}entitlements (user_id, post_id, price_coins, source, ledger_ref) VALUES (?, ?, ?, 'unlock', ?)`;
  const ledger = `INSERT INTO ${t.prefix}coin_ledger (user_id, delta_coins, balance_after, kind, ref_type, ref_id, idempotency_ref, actor, memo)
    SELECT user_id, ?, total_coins + ?, 'unlock', 'post', ?, ?, ?, ? FROM ${t.prefix}user_wallet WHERE user_id = ? AND total_coins + ? >= 0 FOR UPDATE`;
  const wallet = `UPDATE ${t.prefix}user_wallet SET total_coins = LAST_INSERT_ID(total_coins + ?) WHERE user_id = ? AND total_coins + ? >= 0`;
  const notification = `INSERT INTO ${t.prefix}notifications (user_id, kind, dedupe_key, locale, data) VALUES (?, 'unlock', ?, 'en_US', ?)
    ON DUPLICATE KEY UPDATE id = LAST_INSERT_ID(id)`;
  const outbox = `INSERT INTO ${t.prefix}email_outbox (notification_id) VALUES (LAST_INSERT_ID()) ON DUPLICATE KEY UPDATE notification_id = notification_id`;
  return { rate, offer, entitlement, ledger, wallet, notification, outbox };
}

/**
 * What POST /api/posts/:postId/unlock sends for a first purchase, in the same order and shape (9 statements,
 * 1 commit): the rate-limit counter, the price and title from wp_posts/wp_postmeta, the entitlement, the ledger
 * row from the locked wallet, the balance, the notification and its email outbox row.
 */
export function sameTransactionUnlock(t: RawTables, without: Without = {}, windowS = 60): RawUnlock {
  const { rate, offer, entitlement, ledger, wallet, notification, outbox } = sameTransactionSql(t);
  return async (conn, userId, postId) => {
    await conn.query('START TRANSACTION');
    try {
      const nowS = Math.floor(Date.now() / 1000);
      if (!without.rateLimit) await conn.query(rate, [userId, nowS - (nowS % windowS)]);
      const post = without.priceRead ? FIXED_OFFER : (await conn.query<RowDataPacket[]>(offer, [postId]))[0][0];
      const price = priceOf(post);
      if (!post || price <= 0) throw new Error(`post ${postId} not for sale`);
      const ref = `unlock:${userId}:${postId}`;
      await conn.query(entitlement, [userId, postId, price, ref]);
      const title = String(post['post_title']).slice(0, 200);
      const [row] = await conn.query<ResultSetHeader>(ledger, [-price, -price, String(postId), ref, `user:${userId}`, title, userId, -price]);
      if (row.affectedRows !== 1) throw new Error('insufficient coins');
      const [moved] = await conn.query<ResultSetHeader>(wallet, [-price, userId, -price]);
      const data = JSON.stringify({ post_id: postId, title, post_title: title, coins: price, balance: moved.insertId });
      if (!without.notification) {
        await conn.query(notification, [userId, ref, data]);
        await conn.query(outbox);
      }
      await conn.query('COMMIT');
      return true;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
}

/**
 * The same statements in 4 round trips instead of 9, each batch one multi-statement query: BEGIN with the rate limit
 * and the price read; the entitlement (its duplicate key decides a repeat); the ledger row with the wallet update
 * (the same condition under the same lock, so both or neither move); the notification, its outbox row and COMMIT.
 * Needs a connection opened with multipleStatements, which the sidecar does not use: this measures what it would buy.
 */
export function batchedSameTransactionUnlock(t: RawTables, windowS = 60): RawUnlock {
  const one = sameTransactionSql(t);
  return async (conn, userId, postId) => {
    const nowS = Math.floor(Date.now() / 1000);
    try {
      const [head] = await conn.query<RowDataPacket[][]>(`START TRANSACTION; ${one.rate}; ${one.offer}`, [userId, nowS - (nowS % windowS), postId]);
      const post = head[2]![0];
      const price = priceOf(post);
      if (!post || price <= 0) throw new Error(`post ${postId} not for sale`);
      const ref = `unlock:${userId}:${postId}`;
      await conn.query(one.entitlement, [userId, postId, price, ref]);
      const title = String(post['post_title']).slice(0, 200);
      const [moved] = await conn.query<ResultSetHeader[]>(`${one.ledger}; ${one.wallet}`, [-price, -price, String(postId), ref, `user:${userId}`, title, userId, -price, -price, userId, -price]);
      if (moved[0]!.affectedRows !== 1 || moved[1]!.affectedRows !== 1) throw new Error('insufficient coins');
      const data = JSON.stringify({ post_id: postId, title, post_title: title, coins: price, balance: moved[1]!.insertId });
      await conn.query(`${one.notification}; ${one.outbox}; COMMIT`, [userId, ref, data]);
      return true;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
}

/** The money writes alone (5 statements): a conditional UPDATE of the balance, the ledger row and the entitlement. */
export function minimalUnlock(t: RawTables, priceCoins: number): RawUnlock {
  const W = `${t.prefix}user_wallet`;
  return async (conn, userId, postId) => {
    await conn.query('START TRANSACTION');
    try {
      const [upd] = await conn.query<ResultSetHeader>(`UPDATE ${W} SET total_coins = total_coins - ? WHERE user_id = ? AND total_coins >= ?`, [priceCoins, userId, priceCoins]);
      if (upd.affectedRows !== 1) throw new Error('insufficient coins');
      const ref = `unlock:${userId}:${postId}`;
      await conn.query(
        `INSERT INTO ${t.prefix}coin_ledger (user_id, delta_coins, balance_after, kind, ref_type, ref_id, idempotency_ref, actor, memo)
         SELECT ?, ?, total_coins, 'unlock', 'post', ?, ?, ?, ? FROM ${W} WHERE user_id = ?`,
        [userId, -priceCoins, String(postId), ref, `user:${userId}`, 'Bench EA', userId],
      );
      await conn.query(`INSERT INTO ${t.prefix}entitlements (user_id, post_id, price_coins, source, ledger_ref) VALUES (?, ?, ?, 'unlock', ?)`, [userId, postId, priceCoins, ref]);
      await conn.query('COMMIT');
      return true;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
}

/** Parts of the sidecar's own unlock to take out, to see what each costs (bench/ablation.ts). */
export interface SidecarWithout {
  /** The entitlement as plain VALUES, without reading and checking the price from wp_posts/wp_postmeta. */
  priceRead?: boolean;
  /** The memo as a value, without reading the title from wp_posts in the ledger statement. */
  titleRead?: boolean;
  /**
   * The balance first: the conditional `UPDATE … LAST_INSERT_ID(…)` of the wallet, then the ledger row as plain
   * VALUES with the balance_after that UPDATE handed back (instead of `INSERT … SELECT … FOR UPDATE` from the wallet).
   */
  updateFirst?: boolean;
  /** The price checked by one subquery (the first of the post's price, VIP and access-days rows) instead of two. */
  onePriceRead?: boolean;
  /** The title read once, for the memo; its parameters carry the post id alone. */
  titleOnce?: boolean;
  /** Every statement as a prepared statement (mysql2 execute, cached per connection) instead of a text query. */
  prepared?: boolean;
  /** The price subquery told to read postmeta by its post_id index (USE INDEX), so the optimizer weighs no other. */
  postIdIndex?: boolean;
  /**
   * READ COMMITTED for the transaction (SET TRANSACTION before it, one more round trip), so INSERT … SELECT reads
   * wp_posts and wp_postmeta as a consistent read, without the shared locks it takes under REPEATABLE READ.
   */
  readCommitted?: boolean;
}

/**
 * What POST /api/posts/:postId/unlock sends for a first purchase at the price the widget showed (5 statements with
 * BEGIN and COMMIT): the entitlement inserted from wp_posts/wp_postmeta when the price there is the one expected,
 * the ledger row from the locked wallet with the post's title as memo and in its parameters, the balance.
 */
export function sidecarUnlock(t: RawTables, priceCoins: number, without: SidecarWithout = {}): RawUnlock {
  const meta = `${t.wpPrefix}postmeta`;
  const entitlement = without.priceRead
    ? `INSERT INTO ${t.prefix}entitlements (user_id, post_id, price_coins, source, ledger_ref, expires_at, period_started_at) VALUES (?, ?, ?, 'unlock', ?, NULL, NOW(3))`
    : `INSERT INTO ${t.prefix}entitlements (user_id, post_id, price_coins, source, ledger_ref, expires_at, period_started_at)
       SELECT ?, p.ID, ?, 'unlock', ?, NULL, NOW(3) FROM ${t.wpPrefix}posts AS p
       WHERE p.ID = ? AND BINARY p.post_status = 'publish' AND BINARY p.post_type IN ('post', 'page')
         AND BINARY (SELECT m.meta_value FROM ${meta} AS m WHERE m.post_id = p.ID AND m.meta_key = '_goldcoin_price' ORDER BY m.meta_id ASC LIMIT 1) = ?
         AND NOT EXISTS (SELECT 1 FROM ${meta} AS x WHERE x.post_id = p.ID AND x.meta_key IN ('_goldcoin_vip', '_goldcoin_access_days'))`;
  // The memo's three columns as ledger.ts writes them for an unlock: the title and its parameters read from wp_posts
  // in the ledger statement (two subqueries), or as values.
  const entitlementOne = `INSERT INTO ${t.prefix}entitlements (user_id, post_id, price_coins, source, ledger_ref, expires_at, period_started_at)
       SELECT ?, p.ID, ?, 'unlock', ?, NULL, NOW(3) FROM ${t.wpPrefix}posts AS p
       WHERE p.ID = ? AND BINARY p.post_status = 'publish' AND BINARY p.post_type IN ('post', 'page')
         AND (SELECT CONCAT(m.meta_key, ':', m.meta_value) FROM ${meta} AS m ${without.postIdIndex ? 'USE INDEX (post_id)' : ''} WHERE m.post_id = p.ID
              AND m.meta_key IN ('_goldcoin_price', '_goldcoin_vip', '_goldcoin_access_days')
              ORDER BY m.meta_key = '_goldcoin_price', m.meta_id LIMIT 1) = BINARY CONCAT('_goldcoin_price:', ?)`;
  const memo = without.titleOnce
    ? `(SELECT LEFT(post_title, 200) FROM ${t.wpPrefix}posts WHERE ID = ?), 'post_unlock', JSON_OBJECT('post_id', ?)`
    : without.titleRead
    ? `'Bench EA', 'post_unlock', JSON_OBJECT('title', 'Bench EA', 'post_id', ?)`
    : `(SELECT LEFT(post_title, 200) FROM ${t.wpPrefix}posts WHERE ID = ?), 'post_unlock',
       (SELECT JSON_OBJECT('title', LEFT(post_title, 200), 'post_id', ID) FROM ${t.wpPrefix}posts WHERE ID = ?)`;
  const ledger = `INSERT INTO ${t.prefix}coin_ledger (user_id, delta_coins, balance_after, kind, ref_type, ref_id, idempotency_ref, actor, memo, memo_code, memo_params)
    SELECT user_id, ?, total_coins + ?, 'unlock', 'post', ?, ?, ?, ${memo} FROM ${t.prefix}user_wallet WHERE user_id = ? AND total_coins + ? >= 0 FOR UPDATE`;
  const wallet = `UPDATE ${t.prefix}user_wallet SET total_coins = LAST_INSERT_ID(total_coins + ?) WHERE user_id = ? AND total_coins + ? >= 0`;
  const ledgerValues = `INSERT INTO ${t.prefix}coin_ledger (user_id, delta_coins, balance_after, kind, ref_type, ref_id, idempotency_ref, actor, memo, memo_code, memo_params)
    VALUES (?, ?, ?, 'unlock', 'post', ?, ?, ?, ${memo})`;
  return async (conn, userId, postId) => {
    const q = (without.prepared ? conn.execute.bind(conn) : conn.query.bind(conn)) as PoolConnection['query'];
    if (without.readCommitted) await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await conn.query('START TRANSACTION');
    try {
      const ref = `unlock:${userId}:${postId}`;
      const [ent] = await q<ResultSetHeader>(
        without.onePriceRead ? entitlementOne : entitlement,
        without.priceRead ? [userId, postId, priceCoins, ref] : [userId, priceCoins, ref, postId, String(priceCoins)],
      );
      if (ent.affectedRows !== 1) throw new Error(`post ${postId} not sold at ${priceCoins}`);
      const d = -priceCoins;
      const memoArgs = without.titleRead ? [postId] : [postId, postId];
      // titleOnce takes the same two: the title's post, and the post id of the parameters.
      if (without.updateFirst) {
        const [moved] = await conn.query<ResultSetHeader>(wallet, [d, userId, d]);
        if (moved.affectedRows !== 1) throw new Error('insufficient coins');
        const after = moved.insertId;
        await conn.query(ledgerValues, [userId, d, after, String(postId), ref, `user:${userId}`, ...memoArgs]);
        await conn.query('COMMIT');
        return true;
      }
      const args = [d, d, String(postId), ref, `user:${userId}`, ...memoArgs, userId, d];
      const [row] = await q<ResultSetHeader>(ledger, args);
      if (row.affectedRows !== 1) throw new Error('insufficient coins');
      await q(wallet, [d, userId, d]);
      await conn.query('COMMIT');
      return true;
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
}

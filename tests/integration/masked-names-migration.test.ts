// Migration 021 on a database with referral notifications from before referees were masked: each whole name becomes
// its first character and ***, as referrals.ts writes them today; masked names, missing names and other kinds stay.
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../sidecar/src/db/migrator.js';
import { maskedName } from '../../sidecar/src/referrals/referrals.js';
import { attachTestDatabase, migratedBefore, TABLE_PREFIX, WP_PREFIX, type TestDatabase } from '../support/db.js';

const NAME = `gct_masked_names_${process.pid}`;
const P = TABLE_PREFIX;
let before: Awaited<ReturnType<typeof migratedBefore>>;
let url: string;
let tdb: TestDatabase | undefined;

beforeAll(async () => {
  before = await migratedBefore(NAME, '021');
  url = before.url;
});
afterAll(async () => {
  await tdb?.db.destroy();
  await before?.drop();
});

describe('021_masked_referee_names', () => {
  it('masks the whole names old referral notifications kept, as the sidecar masks them now', async () => {
    const rows: Array<[string, Record<string, unknown>]> = [
      ['referral_earned', { coins: 50, referred_name: 'Zhang Wei' }],
      ['referral_earned', { coins: 50, referred_name: '  李小龙' }],
      ['referral_earned', { coins: 50, referred_name: '\u{1F600} smile' }],
      ['referral_not_counted', { outcome: 'cap_reached', referred_name: 'Bob Stone' }],
      ['referral_earned', { coins: 50, referred_name: 'u***' }],
      ['referral_earned', { coins: 50, referred_name: '***' }],
      ['referral_earned', { coins: 50, referred_name: null }],
      ['referral_earned', { coins: 50 }],
      ['adjustment', { coins: 5, reason: 'Zhang Wei', referred_name: 'Zhang Wei' }],
    ];
    const conn = await createConnection({ uri: url });
    for (const [i, [kind, data]] of rows.entries()) {
      await conn.query(`INSERT INTO ${P}notifications (user_id, kind, data, dedupe_key) VALUES (11, ?, ?, ?)`, [kind, JSON.stringify(data), `mask-test-${i}`]);
    }
    await conn.end();

    await migrate({ url, tablePrefix: P, wpTablePrefix: WP_PREFIX });
    tdb = await attachTestDatabase(NAME);
    const after = await tdb.db.selectFrom('notifications').select(['kind', 'data']).orderBy('id').execute();
    const names = after.map((r) => (JSON.parse(r.data) as { referred_name?: unknown }).referred_name);
    expect(names).toEqual(['Z***', '李***', '\u{1F600}***', 'B***', 'u***', '***', null, undefined, 'Zhang Wei']);
    // The same as the sidecar writes for those names today.
    expect(['Zhang Wei', '  李小龙', '\u{1F600} smile', 'Bob Stone'].map(maskedName)).toEqual(names.slice(0, 4));
    expect(JSON.parse(after[0]!.data)).toEqual({ coins: 50, referred_name: 'Z***' });
  });
});

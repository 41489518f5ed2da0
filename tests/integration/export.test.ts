// CSV exports: 100,000 ledger rows streamed from a real sidecar process within a memory bound, every row once in id
// order, formula cells neutralised; payments and redemptions with their headers.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell } from '../../sidecar/src/admin/export.js';
import { mintToken, testEnv } from '../support/app.js';
import { createTestDatabase, createWpUser, type TestDatabase } from '../support/db.js';
import { type SidecarProcess, startSidecar } from '../support/sidecar-process.js';
import { userWithCoins } from '../support/seeded.js';

const ROWS = 100_000;
/** Peak RSS may grow this much over the process's peak before the export (the CSV itself is about 30 MB). */
const RSS_GROWTH_BOUND_KB = 40 * 1024;
// The sidecar's old generation capped well below what 100,000 rows take held at once (the whole export read in one
// query dies of it here): an export that buffers fails with the process, and the cap makes V8 collect as it goes
// rather than when a loaded machine's background marking catches up, so the RSS bound holds on a busy CI box too.
const OLD_SPACE_MB = 48;
const MEMO = `=HYPERLINK("http://evil.test","click") ${'x'.repeat(160)}`;

let tdb: TestDatabase;
let sidecar: SidecarProcess;
let admin: string;
let bulkUser: number;

beforeAll(async () => {
  tdb = await createTestDatabase(import.meta.filename);
  bulkUser = await createWpUser(tdb.db, '+cmd|calc');
  // MariaDB's sequence engine writes the rows in one statement; the export reads them as any ledger rows.
  await sql`INSERT INTO ${sql.table('coin_ledger')} (user_id, delta_coins, balance_after, kind, idempotency_ref, actor, memo)
    SELECT ${bulkUser}, IF(seq % 2 = 0, -1, 1), seq % 2, 'adjustment', CONCAT('bulk:', seq), 'test', ${MEMO} FROM seq_1_to_${sql.raw(String(ROWS))}`.execute(tdb.db);
  admin = await mintToken(await createWpUser(tdb.db), { caps: ['read', 'manage_options'] });
  sidecar = await startSidecar({ env: testEnv(tdb.url), label: 'export', nodeArgs: [`--max-old-space-size=${OLD_SPACE_MB}`] });
}, 120_000);
afterAll(async () => {
  await sidecar?.stop();
  await tdb?.drop();
});

describe('CSV export', () => {
  it(`streams ${ROWS.toLocaleString('en')} ledger rows without holding them in memory`, async () => {
    // Warm the route once so the baseline includes what any request costs.
    const warm = await fetch(`${sidecar.url}/api/admin/export/ledger?user_id=999999`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(await warm.text()).toMatch(/^id,created_at,/);
    const baselineKb = sidecar.peakRssKb()!;

    const res = await fetch(`${sidecar.url}/api/admin/export/ledger`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="goldcoin-ledger-\d{4}-\d{2}-\d{2}\.csv"$/);

    // Read it chunk by chunk, keeping only counts and the edges, as a download to disk would.
    const decoder = new TextDecoder();
    let carry = '';
    let lines = 0;
    let bytes = 0;
    let chunks = 0;
    let lastId = 0;
    let inOrder = true;
    let firstData = '';
    const reader = res.body!.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      const chunk = next.value;
      chunks++;
      bytes += chunk.byteLength;
      const text = carry + decoder.decode(chunk, { stream: true });
      const parts = text.split('\r\n');
      carry = parts.pop()!;
      for (const line of parts) {
        lines++;
        if (lines === 1) continue;
        if (lines === 2) firstData = line;
        const id = Number(line.slice(0, line.indexOf(',')));
        if (id <= lastId) inOrder = false;
        lastId = id;
      }
    }
    const peakKb = sidecar.peakRssKb()!;
    const growthKb = peakKb - baselineKb;
    console.log(
      `export: ${lines - 1} rows, ${(bytes / 1048576).toFixed(1)} MB in ${chunks} chunks; sidecar peak RSS ${(baselineKb / 1024).toFixed(1)} MB before, ${(peakKb / 1024).toFixed(1)} MB after (+${(growthKb / 1024).toFixed(1)} MB)`,
    );
    expect(carry).toBe('');
    expect(lines - 1).toBe(ROWS);
    expect(inOrder).toBe(true);
    expect(chunks).toBeGreaterThan(50);
    expect(bytes).toBeGreaterThan(20 * 1048576);
    expect(growthKb).toBeLessThan(RSS_GROWTH_BOUND_KB);
    const cells = firstData.split(',');
    expect(cells[3]).toBe("'+cmd|calc");
    expect(cells[5]).toBe('1');
    expect(firstData).toContain(`"'=HYPERLINK(""http://evil.test"",""click"") x`);
  }, 120_000);

  it('exports payments and redemptions with their headers, for one user when asked', async () => {
    const buyer = await userWithCoins(tdb.db, 200);
    await tdb.db
      .insertInto('recharge_transactions')
      .values({
        user_id: buyer.id, coins: 52, bonus_coins: 0, payment_method: 'USDT', price_amount: '52.00', price_currency: 'CNY',
        status: 'completed', provider: 'coinpayments', txn_id: 'CSVTX1', coins_credited: 52, failed_reason: '@SUM(A1)',
        crypto_currency: 'USDT.TRC20', crypto_amount: '7.2800000000', received_amount: '7.3000000000',
      } as never)
      .execute();
    const redeem = await fetch(`${sidecar.url}/api/rewards/premium-ea/redeem`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${buyer.token}`, 'Idempotency-Key': 'export-redeem-1' },
    });
    expect(redeem.status).toBe(201);
    const get = (path: string) => fetch(`${sidecar.url}${path}`, { headers: { Authorization: `Bearer ${admin}` } }).then(async (r) => ({ status: r.status, text: await r.text() }));

    const payments = await get(`/api/admin/export/payments?user_id=${buyer.id}`);
    const [header, row, ...rest] = payments.text.split('\r\n');
    expect(header!.split(',').slice(0, 6)).toEqual(['id', 'created_at', 'completed_at', 'user_id', 'user_login', 'status']);
    expect(row).toContain(',completed,52,0,52.00,CNY,');
    // Crypto amounts as the buyer saw them, not DECIMAL(30,10)'s trailing zeros; the price keeps its two places.
    expect(row).toContain(',USDT.TRC20,7.28,7.3,CSVTX1,');
    expect(row!.endsWith(",'@SUM(A1)")).toBe(true);
    expect(rest).toEqual(['']);

    // The redemption's ledger row: the memo's English text, then its code and parameters.
    const ledger = (await get(`/api/admin/export/ledger?user_id=${buyer.id}`)).text.split('\r\n');
    expect(ledger[0]!.split(',').slice(-3)).toEqual(['memo', 'memo_code', 'memo_params']);
    expect(ledger.find((l) => l.includes(',reward,-100,'))).toMatch(/,Premium EA,reward,"\{""title"":""Premium EA""\}"$/);

    const redemptions = await get('/api/admin/export/redemptions');
    expect(redemptions.text.split('\r\n')[1]).toMatch(new RegExp(`^\\d+,[^,]+,${buyer.id},[^,]+,premium-ea,100,code,EA-[A-Z0-9]{12}$`));
    expect((await get('/api/admin/export/secrets')).status).toBe(404);
    expect((await get('/api/admin/export/ledger?user_id=abc')).status).toBe(400);
    const reader = await fetch(`${sidecar.url}/api/admin/export/ledger`, { headers: { Authorization: `Bearer ${buyer.token}` } });
    expect(reader.status).toBe(403);
  });

  it('neutralises every formula lead and quotes what CSV needs quoted', () => {
    expect(['=1+1', '+1', '-1', '@A1', '\tx', '\rx'].map(csvCell)).toEqual(["'=1+1", "'+1", "'-1", "'@A1", "'\tx", `"'\rx"`]);
    expect(csvCell(-30)).toBe('-30');
    expect(csvCell('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678Z');
  });
});

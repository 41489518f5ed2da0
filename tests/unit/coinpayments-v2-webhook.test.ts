// Webhook verify-and-parse on the new platform: each refusal has its stable code, events map to normalised kinds
// under both credit points, amounts stay exact; plus the invoice-id and amount rules it relies on.
import { describe, expect, it } from 'vitest';
import { resolveCurrency, type Currency } from '../../sidecar/src/payments/coinpayments-v2/client.js';
import { classifyState, exactDecimal, ourInvoiceId, readAmount, rechargeIdOf } from '../../sidecar/src/payments/coinpayments-v2/model.js';
import { formatTimestamp, signV2 } from '../../sidecar/src/payments/coinpayments-v2/signing.js';
import { verifyWebhook, type WebhookConfig, type WebhookDelivery } from '../../sidecar/src/payments/coinpayments-v2/webhook.js';

const CFG: WebhookConfig = {
  clientId: 'client-A',
  clientSecret: 'secret-A-0123456789',
  notificationsUrl: 'https://shop.example/webhooks/coinpayments',
  invoicePrefix: 'gc-site1',
  creditOn: 'invoicePaid',
};
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);

function body(type: string, invoice: Record<string, unknown> = {}) {
  return JSON.stringify({ id: 'evt-1', type, timestamp: '2026-06-01T12:00:00.0000000+00:00', invoice: { id: 'INV123abc', invoiceId: 'gc-site1-42', state: 'paid', amount: { currencyId: '5012', subtotal: '52.00', total: '52.00' }, ...invoice } });
}

function delivery(raw: string, o: { clientId?: string; secret?: string; atMs?: number; url?: string; method?: string; stamp?: string } = {}) {
  const clientId = o.clientId ?? CFG.clientId;
  const timestamp = o.stamp ?? formatTimestamp(o.atMs ?? NOW);
  const signature = signV2(o.secret ?? CFG.clientSecret, { method: 'POST', url: o.url ?? CFG.notificationsUrl, clientId, timestamp, body: raw });
  return {
    method: o.method ?? 'POST',
    headers: { 'x-coinpayments-client': clientId, 'x-coinpayments-timestamp': timestamp, 'x-coinpayments-signature': signature },
    rawBody: Buffer.from(raw),
  };
}

describe('new-platform webhook verification', () => {
  it('accepts a genuine delivery and normalises it', () => {
    const v = verifyWebhook(CFG, delivery(body('invoicePaid')), NOW);
    expect(v).toEqual({
      ok: true,
      event: { eventId: 'evt-1', invoiceId: 'gc-site1-42', rechargeId: 42, providerInvoiceId: 'INV123abc', kind: 'paid', progress: 20, statusText: expect.any(String), priceAmount: '52.00', receivedAmount: null, sentAtMs: NOW },
    });
  });

  it('reads headers from a Fetch Headers object too', () => {
    const d = delivery(body('invoicePaid'));
    expect(verifyWebhook(CFG, { ...d, headers: new Headers(d.headers) }, NOW).ok).toBe(true);
  });

  it('refuses each forgery with its own code and status', () => {
    const raw = body('invoicePaid');
    const cases: Array<[WebhookDelivery, string, number]> = [
      [delivery(raw, { method: 'GET' }), 'wrong_method', 405],
      [delivery(raw, { secret: 'secret-B' }), 'bad_signature', 401],
      [delivery(raw, { url: 'https://shop.example/webhooks/coinpayments?x=1' }), 'bad_signature', 401],
      [{ ...delivery(raw), rawBody: Buffer.from(raw.replace('"52.00"', '"5.00"')) }, 'bad_signature', 401],
      [delivery(raw, { clientId: 'client-B', secret: 'secret-B' }), 'foreign_client', 401],
      [delivery(raw, { atMs: NOW - 301_000 }), 'stale_timestamp', 401],
      [delivery(raw, { atMs: NOW + 301_000 }), 'stale_timestamp', 401],
      [delivery(raw, { stamp: '2026-06-01T12:00:00Z' }), 'stale_timestamp', 401],
      [{ ...delivery(raw), headers: { 'x-coinpayments-client': CFG.clientId } }, 'missing_signature', 401],
      [{ ...delivery(raw), headers: { ...delivery(raw).headers, 'x-coinpayments-signature': [delivery(raw).headers['x-coinpayments-signature'], 'x'] } }, 'missing_signature', 401],
      [delivery('not json'), 'malformed', 400],
      [delivery(JSON.stringify({ type: 'invoicePaid' })), 'malformed', 400],
      [delivery(body('invoicePaid', { id: 'bad id/../' })), 'malformed', 400],
      [delivery(body('invoicePaid', { invoiceId: 'gc-site2-42' })), 'not_ours', 422],
      [delivery(body('invoicePaid', { invoiceId: 'gc-site1-42x' })), 'not_ours', 422],
      [delivery(body('invoicePaid', { invoiceId: 'gc-site1-0' })), 'not_ours', 422],
      [delivery(body('invoicePaid', { invoiceId: undefined })), 'not_ours', 422],
    ];
    for (const [d, code, status] of cases) {
      const v = verifyWebhook(CFG, d, NOW);
      expect(v.ok ? 'accepted' : v.code, `${code} case`).toBe(code);
      if (!v.ok) expect(v.httpStatus).toBe(status);
    }
    expect(verifyWebhook({ ...CFG, maxBodyBytes: 64 }, delivery(raw), NOW)).toMatchObject({ ok: false, code: 'body_too_large' });
  });

  it('accepts a timestamp just inside the window, either way', () => {
    expect(verifyWebhook(CFG, delivery(body('invoicePaid'), { atMs: NOW - 300_000 }), NOW).ok).toBe(true);
    expect(verifyWebhook(CFG, delivery(body('invoicePaid'), { atMs: NOW + 300_000 }), NOW).ok).toBe(true);
  });

  it('maps every event to a kind, with the credit point configurable', () => {
    const kinds = (creditOn: WebhookConfig['creditOn']) =>
      Object.fromEntries(
        ['invoiceCreated', 'invoicePending', 'invoicePaid', 'invoiceCompleted', 'invoiceCancelled', 'invoiceTimedOut', 'paymentCreated', 'somethingNew'].map((t) => {
          const v = verifyWebhook({ ...CFG, creditOn }, delivery(body(t)), NOW);
          return [t, v.ok ? v.event.kind : v.code];
        }),
      );
    expect(kinds('invoicePaid')).toEqual({ invoiceCreated: 'none', invoicePending: 'pending', invoicePaid: 'paid', invoiceCompleted: 'paid', invoiceCancelled: 'failed', invoiceTimedOut: 'expired', paymentCreated: 'none', somethingNew: 'none' });
    expect(kinds('invoiceCompleted')).toMatchObject({ invoicePending: 'pending', invoicePaid: 'pending', invoiceCompleted: 'paid' });
  });

  it('orders events so a late pending says nothing new after paid', () => {
    const p = (t: string) => {
      const v = verifyWebhook(CFG, delivery(body(t)), NOW);
      return v.ok ? v.event.progress : -1;
    };
    expect(p('invoicePending')).toBeLessThan(p('invoicePaid'));
    expect(p('invoicePaid')).toBeLessThan(p('invoiceCompleted'));
  });

  it('sums received amounts exactly from smallest units, and refuses to guess without decimals or past 2^53', () => {
    const payments = [
      { hotWallet: { currency: { id: 9, smartContract: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' }, confirmedAmount: 3_100_000 } },
      { hotWallet: { currency: { id: 9, smartContract: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' }, confirmedAmount: 4_180_001 } },
    ];
    const decimals = (id: string) => (id === '9:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' ? 6 : null);
    const v = verifyWebhook(CFG, delivery(body('invoicePaid', { payments })), NOW, decimals);
    expect(v.ok && v.event.receivedAmount).toBe('7.28000100');
    const noDecimals = verifyWebhook(CFG, delivery(body('invoicePaid', { payments })), NOW);
    expect(noDecimals.ok && noDecimals.event.receivedAmount).toBeNull();
    const huge = [{ hotWallet: { currency: { id: 9, smartContract: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' }, confirmedAmount: 2 ** 60 } }];
    const h = verifyWebhook(CFG, delivery(body('invoicePaid', { payments: huge })), NOW, decimals);
    expect(h.ok && h.event.receivedAmount).toBeNull();
  });
});

describe('new-platform invoice ids, states and amounts', () => {
  it('keeps each site to its own prefix', () => {
    expect(ourInvoiceId('gc-site1', 42)).toBe('gc-site1-42');
    expect(rechargeIdOf('gc-site1', 'gc-site1-42')).toBe(42);
    expect(rechargeIdOf('gc-site', 'gc-site1-42')).toBeNull();
    expect(rechargeIdOf('gc', 'gc-site1-42')).toBeNull();
    expect(rechargeIdOf('gc-site1', 'gc-site1-99999999999999999999')).toBeNull();
    expect(() => ourInvoiceId('bad prefix', 1)).toThrow(RangeError);
    expect(() => ourInvoiceId('gc', 0)).toThrow(RangeError);
  });

  it('classifies look-up states, unknown ones as saying nothing', () => {
    expect(classifyState('timedOut', 'invoicePaid')?.kind).toBe('expired');
    expect(classifyState('Paid', 'invoiceCompleted')?.kind).toBe('pending');
    expect(classifyState('unpaid', 'invoicePaid')?.kind).toBe('pending');
    expect(classifyState('refundedMaybe', 'invoicePaid')).toBeNull();
    expect(classifyState(3, 'invoicePaid')).toBeNull();
  });

  it('reads amounts exactly and never from a JSON number', () => {
    expect(readAmount('52.00', null, 2)).toBe('52.00');
    expect(readAmount({ value: '7280000', valueAsDecimal: 7.28 }, 6)).toBe('7.28000000');
    expect(readAmount({ value: '7280000000000000001', valueAsDecimal: 7.28 }, 18)).toBe('7.28000000');
    expect(readAmount({ valueAsDecimal: 7.28 }, 6)).toBeNull();
    expect(readAmount({ value: '7280000', displayValue: '7.280000 USDT' }, null)).toBe('7.28000000');
    expect(readAmount(7.28, 6)).toBeNull();
    expect(readAmount('1e3', null)).toBeNull();
    expect(readAmount('-1.00', null)).toBeNull();
    expect(readAmount('52.009', null, 2)).toBe('52.00');
    expect(exactDecimal('52.009', 2)).toBeNull();
    expect(exactDecimal('52.1', 2)).toBe('52.10');
  });

  it('maps our method codes to currency ids, USDT per network', () => {
    const list: Currency[] = [
      { id: '4', type: 'crypto', symbol: 'ETH', name: 'Ethereum', decimalPlaces: 18, requiredConfirmations: 12 },
      { id: '9', type: 'crypto', symbol: 'TRX', name: 'Tron', decimalPlaces: 6, requiredConfirmations: 20 },
      { id: '30', type: 'crypto', symbol: 'BNB', name: 'BNB Beacon Chain', decimalPlaces: 8, requiredConfirmations: 1 },
      { id: '35', type: 'crypto', symbol: 'BNB', name: 'BNB Smart Chain', decimalPlaces: 18, requiredConfirmations: 15 },
      { id: '4:0xdac17f958d2ee523a2206206994597c13d831ec7', type: 'token', symbol: 'USDT', name: 'Tether', decimalPlaces: 6, requiredConfirmations: 12 },
      { id: '9:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t', type: 'token', symbol: 'USDT', name: 'Tether', decimalPlaces: 6, requiredConfirmations: 20 },
      { id: '35:0x55d398326f99059ff775485246999027b3197955', type: 'token', symbol: 'USDT', name: 'Tether', decimalPlaces: 18, requiredConfirmations: 15 },
      { id: '5057', type: 'fiat', symbol: 'USD', name: 'US Dollar', decimalPlaces: 2, requiredConfirmations: 0 },
    ];
    expect(resolveCurrency(list, 'USDT.TRC20')).toBe('9:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t');
    expect(resolveCurrency(list, 'USDT.ERC20')).toBe('4:0xdac17f958d2ee523a2206206994597c13d831ec7');
    expect(resolveCurrency(list, 'USDT.BEP20')).toBe('35:0x55d398326f99059ff775485246999027b3197955');
    expect(resolveCurrency(list, 'ETH')).toBe('4');
    expect(resolveCurrency(list, 'USD')).toBe('5057');
    expect(resolveCurrency(list, 'USDT.SOL')).toBeNull();
    expect(resolveCurrency(list, 'USDT')).toBeNull();
  });
});

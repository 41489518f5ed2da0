// The terms a provider's report is held to before the state machine sees it (payments/terms.ts), shared by the
// new platform's webhook and the reconciler on both platforms.
import { describe, expect, it } from 'vitest';
import { termsMismatch } from '../../sidecar/src/payments/terms.js';

const asked = { rechargeId: 7, reference: null, priceAmount: '52.00', cryptoCurrency: 'USDT.TRC20' };
const paid = { kind: 'paid', receivedAmount: '7.28000000' };

describe('termsMismatch', () => {
  it('accepts a report of the same recharge, at least the price, in the coin asked (any letter case)', () => {
    expect(termsMismatch(asked, { ...paid, reportedRechargeId: 7, priceAmount: '52.00', payCurrency: 'usdt.trc20' })).toBeNull();
    expect(termsMismatch(asked, { ...paid, priceAmount: '60.00', payCurrency: 'USDT.TRC20' })).toBeNull();
    // A provider that reports none of these fields (the legacy IPN path checks its own) is not judged on them.
    expect(termsMismatch(asked, paid)).toBeNull();
  });

  it('refuses another recharge, a lower or unreadable total, and funds in another coin or one it cannot name', () => {
    expect(termsMismatch(asked, { ...paid, reportedRechargeId: 8 })?.code).toBe('invoice_mismatch');
    expect(termsMismatch(asked, { ...paid, reportedRechargeId: null })?.code).toBe('invoice_mismatch');
    expect(termsMismatch(asked, { ...paid, priceAmount: '51.99' })?.code).toBe('amount_mismatch');
    expect(termsMismatch(asked, { ...paid, priceAmount: null })?.code).toBe('amount_mismatch');
    expect(termsMismatch(asked, { ...paid, payCurrency: 'USDT.ERC20' })?.code).toBe('currency_mismatch');
    expect(termsMismatch(asked, { ...paid, payCurrency: null })?.code).toBe('currency_mismatch');
    // A paid status with no amount stated still names its coin.
    expect(termsMismatch(asked, { kind: 'paid', receivedAmount: null, payCurrency: 'LTC' })?.code).toBe('currency_mismatch');
    // A row that never recorded its coin still refuses a coin nobody can name.
    expect(termsMismatch({ ...asked, cryptoCurrency: null }, { ...paid, payCurrency: null })?.code).toBe('currency_mismatch');
    expect(termsMismatch({ ...asked, cryptoCurrency: null }, { ...paid, payCurrency: 'USDT.BEP20' })).toBeNull();
  });

  it('matches the record by the reference stored at creation when there is one, else by the recharge its reference names', () => {
    const opened = { ...asked, reference: 'gc-old-site-7' };
    // The site's invoice prefix changed since: the stored reference still matches, the recharge id parsed from it cannot.
    expect(termsMismatch(opened, { ...paid, reportedReference: 'gc-old-site-7', reportedRechargeId: null })).toBeNull();
    expect(termsMismatch(opened, { ...paid, reportedReference: 'gc-old-site-8', reportedRechargeId: 7 })?.code).toBe('invoice_mismatch');
    expect(termsMismatch(opened, { ...paid, reportedReference: null })?.code).toBe('invoice_mismatch');
    expect(termsMismatch(asked, { ...paid, reportedReference: 'gc-site-7', reportedRechargeId: 7 })).toBeNull();
  });

  it('does not judge the coin before funds arrive (an unpaid invoice, or nothing received yet)', () => {
    expect(termsMismatch(asked, { kind: 'pending', receivedAmount: null, payCurrency: null })).toBeNull();
    expect(termsMismatch(asked, { kind: 'pending', receivedAmount: '0.00000000', payCurrency: 'LTC' })).toBeNull();
    expect(termsMismatch(asked, { kind: 'pending', receivedAmount: '0.00000001', payCurrency: 'LTC' })?.code).toBe('currency_mismatch');
    expect(termsMismatch(asked, { kind: 'expired', receivedAmount: '3.00000000', payCurrency: 'LTC' })?.code).toBe('currency_mismatch');
  });
});

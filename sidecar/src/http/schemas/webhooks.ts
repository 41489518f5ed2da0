// CoinPayments' new-platform webhook: what it sends and what it is answered.
import { z } from 'zod';
import { fails, ok, type RouteSpec } from './common.js';

/** The part of a delivery we read; CoinPayments sends more, which the signature covers and the log keeps. */
const delivery = z
  .object({
    id: z.string().optional(),
    type: z.string(),
    invoice: z.object({ id: z.string(), invoiceId: z.string().optional() }).loose(),
  })
  .loose();

export const webhookAccepted = z.object({
  received: z.literal(true),
  /** processed: it moved the recharge; duplicate: nothing new (a retry, an older event, a hint the API did not confirm). */
  verdict: z.enum(['processed', 'duplicate']),
});

export const webhookRoutes: RouteSpec[] = [
  {
    method: 'post',
    path: '/webhooks/coinpayments',
    summary:
      'CoinPayments new-platform webhook: X-CoinPayments-Client, -Timestamp (within 300 s) and -Signature (Base64 HMAC-SHA256 over BOM + POST + the registered URL + client id + timestamp + raw body); the invoice is re-read from the API before anything is credited',
    auth: 'none',
    body: delivery,
    bodyContentType: 'application/json',
    responses: {
      200: ok('Handled, or already handled', webhookAccepted),
      400: fails('Not a webhook body', 'malformed'),
      401: fails('Unsigned, signed for another integration, outside the time window, or a bad signature', 'missing_signature', 'foreign_client', 'stale_timestamp', 'bad_signature'),
      403: fails('No CoinPayments integration is configured', 'not_configured'),
      405: fails('Not a POST', 'wrong_method'),
      422: fails(
        'Genuine, but not an invoice of this site, or the invoice read back does not match the recharge',
        'not_ours',
        'unknown_invoice',
        'invoice_mismatch',
        'amount_mismatch',
        'currency_mismatch',
      ),
      502: fails('The invoice could not be re-read from CoinPayments; CoinPayments retries', 'lookup_failed'),
    },
  },
];

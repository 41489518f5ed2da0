// Prometheus metrics for the sidecar (prom-client: the standard text format and default process metrics).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'goldcoin_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'goldcoin_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'goldcoin_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    coinMovements: new Counter({
      name: 'goldcoin_coin_movements_total',
      help: 'Ledger movements written, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    ipn: new Counter({
      name: 'goldcoin_ipn_total',
      help: 'IPNs received, by verdict (processed, duplicate, rejected, error)',
      labelNames: ['verdict'] as const,
      registers: [registry],
    }),
    ipnUnlogged: new Counter({
      name: 'goldcoin_ipn_unlogged_total',
      help: 'IPNs failing before the HMAC check that were not stored, being over IPN_UNVERIFIED_LOG_PER_MIN',
      registers: [registry],
    }),
    recharges: new Counter({
      name: 'goldcoin_recharges_total',
      help: 'Recharges created (pending) and state transitions (completed, failed, held)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    reconcileRuns: new Counter({
      name: 'goldcoin_reconcile_runs_total',
      help: 'Reconciler passes run by this instance',
      registers: [registry],
    }),
    rechargeEventPolls: new Counter({
      name: 'goldcoin_recharge_event_polls_total',
      help: 'Database queries made by this instance for its open recharge event streams (one per poll, all streams together)',
      registers: [registry],
    }),
    rechargeEventPollStreams: new Gauge({
      name: 'goldcoin_recharge_event_poll_streams',
      help: 'Event streams served by the last poll',
      registers: [registry],
    }),
    rechargeEventPollRecharges: new Gauge({
      name: 'goldcoin_recharge_event_poll_recharges',
      help: 'Recharges read by the last poll',
      registers: [registry],
    }),
    pendingPayments: new Gauge({
      name: 'goldcoin_pending_payments',
      help: 'Recharges pending in the database (all instances), read at scrape time',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

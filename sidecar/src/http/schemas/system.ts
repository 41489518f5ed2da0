// Routes outside /api: health, readiness, metrics, this document, and the CoinPayments IPN.
import { z } from 'zod';
import { fails, ok, type RouteSpec } from './common.js';

const healthy = z.object({ ok: z.literal(true) });

export const systemRoutes: RouteSpec[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', auth: 'none', responses: { 200: ok('Alive', healthy) } },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Database readiness',
    auth: 'none',
    responses: { 200: ok('Ready', healthy), 503: fails('The database is not reachable', 'database_unavailable') },
  },
  {
    method: 'get',
    path: '/metrics',
    summary:
      'Prometheus metrics: Authorization: Bearer METRICS_TOKEN here, or without a token on the internal METRICS_PORT; database gauges cached for METRICS_CACHE_S',
    auth: 'none',
    responses: {
      200: { description: 'Prometheus text exposition', contentType: 'text/plain' },
      401: fails('No METRICS_TOKEN is set for this port, or the bearer token is missing or wrong', 'unauthorized'),
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    auth: 'none',
    responses: { 200: ok('The OpenAPI 3.1 document', z.object({ openapi: z.literal('3.1.0') }).loose()) },
  },
  {
    method: 'post',
    path: '/ipn/coinpayments',
    summary: 'CoinPayments IPN (HMAC-SHA512 of the raw body with the IPN secret in the HMAC header)',
    auth: 'none',
    body: z.record(z.string(), z.string()),
    bodyContentType: 'application/x-www-form-urlencoded',
    responses: {
      200: { description: '"IPN OK": processed, or already processed', contentType: 'text/plain' },
      400: { description: '"IPN rejected: <reason>"; the reason is also in the IPN log', contentType: 'text/plain' },
      401: { description: 'Missing or bad HMAC, or ipn_mode is not hmac', contentType: 'text/plain' },
      403: { description: 'Another merchant, or no legacy keys configured (not_configured)', contentType: 'text/plain' },
    },
  },
];

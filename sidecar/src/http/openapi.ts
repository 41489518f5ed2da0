// The OpenAPI document served at /openapi.json; each resource contributes its own paths.
const errorRef = { $ref: '#/components/schemas/Error' };
const err = (description: string) => ({ description, content: { 'application/json': { schema: errorRef } } });
const ok = (description: string, schema: Record<string, unknown> = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
});
const idemHeader = { name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string', minLength: 8, maxLength: 128 } };

export const openapiHelpers = { err, ok, idemHeader };

const corePaths = {
  '/api/wallet': {
    get: {
      summary: 'Balance, last completed recharge and recent ledger entries',
      responses: { 200: ok('The wallet', { $ref: '#/components/schemas/Wallet' }), 401: err('No valid token') },
    },
  },
  '/api/ledger': {
    get: {
      summary: "The user's coin history, newest first",
      parameters: [
        { name: 'cursor', in: 'query', schema: { type: 'string' } },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
      ],
      responses: { 200: ok('A page of entries and next_cursor'), 400: err('Bad cursor or limit'), 401: err('No valid token') },
    },
  },
  '/api/admin/adjustments': {
    post: {
      summary: 'Manual coin adjustment with a reason (manage_options)',
      parameters: [idemHeader],
      requestBody: {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['user_id', 'delta_coins', 'reason'],
              properties: { user_id: { type: 'integer' }, delta_coins: { type: 'integer' }, reason: { type: 'string' } },
            },
          },
        },
      },
      responses: {
        201: ok('The ledger entry and the new balance'),
        400: err('Invalid body or key'),
        402: err('Would make the balance negative'),
        403: err('Not an administrator'),
        404: err('No such user'),
      },
    },
  },
  '/api/admin/payments': {
    get: {
      summary: 'Payments with filters, newest first (manage_options)',
      parameters: ['status', 'user_id', 'stuck', 'on_hold', 'cursor', 'limit'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
      responses: { 200: ok('{payments, next_cursor}'), 400: err('Bad filter'), 403: err('Not an administrator') },
    },
  },
  '/api/admin/ledger': {
    get: {
      summary: 'Ledger search by user, kind or reference (manage_options)',
      parameters: ['user_id', 'kind', 'ref', 'cursor', 'limit'].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
      responses: { 200: ok('{entries, next_cursor}'), 400: err('Bad filter'), 403: err('Not an administrator') },
    },
  },
  '/api/admin/stats': {
    get: {
      summary: 'Daily revenue and coins issued/spent (manage_options)',
      parameters: [{ name: 'days', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 366, default: 30 } }],
      responses: { 200: ok('{currency, days, totals}'), 400: err('Bad range'), 403: err('Not an administrator') },
    },
  },
  '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: ok('Alive') } } },
  '/readyz': { get: { summary: 'Database readiness', security: [], responses: { 200: ok('Ready'), 503: err('Database unreachable') } } },
  '/metrics': { get: { summary: 'Prometheus metrics', security: [], responses: { 200: { description: 'Prometheus text' } } } },
};

export function openapiDocument(extraPaths: Record<string, unknown>[]) {
  return {
    openapi: '3.1.0',
    info: { title: 'Gold Coins sidecar API', version: '1.0.0' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
            },
          },
        },
        Wallet: {
          type: 'object',
          required: ['balance'],
          properties: { balance: { type: 'integer' }, last_recharge: { type: ['object', 'null'] }, recent: { type: 'array' } },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: Object.assign({}, corePaths, ...extraPaths),
  };
}

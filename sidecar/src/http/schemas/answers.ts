// The statuses a route answers: its own, plus those of the middleware in front of it (auth, body, idempotency, limits).
import type { Answer, RouteSpec } from './common.js';

type ErrorAnswer = { description: string; codes: readonly string[] };

/** Answers every route may give, whatever it is: a bug, or the database away or too slow. */
const EVERY_ROUTE: Record<number, ErrorAnswer> = {
  500: { description: 'A bug: logged with the request id', codes: ['internal_error'] },
  503: { description: 'The database is away or too slow; see Retry-After', codes: ['database_unavailable'] },
};

function middlewareAnswers(spec: RouteSpec): Record<number, ErrorAnswer>[] {
  const out: Record<number, ErrorAnswer>[] = [EVERY_ROUTE];
  if (spec.auth !== 'none') out.push({ 401: { description: 'No valid token', codes: ['unauthorized'] } });
  if (spec.auth === 'user') out.push({ 403: { description: 'The token lacks the read capability', codes: ['forbidden'] } });
  if (spec.auth === 'admin') out.push({ 403: { description: 'Not an administrator (manage_options)', codes: ['forbidden'] } });
  if (spec.method === 'post') out.push({ 413: { description: 'The body is larger than BODY_LIMIT_BYTES', codes: ['payload_too_large'] } });
  if (spec.query) out.push({ 400: { description: 'Bad query string', codes: ['invalid_query'] } });
  if (spec.body && spec.bodyContentType === undefined) {
    out.push({
      400: { description: 'The body is not valid JSON or not the documented shape', codes: ['invalid_json', 'invalid_request', 'bad_request'] },
      415: { description: 'Not Content-Type: application/json', codes: ['unsupported_media_type'] },
    });
  }
  if (spec.idempotency) {
    out.push({
      400: {
        description: 'A bad Idempotency-Key',
        codes: spec.idempotency === 'required' ? ['idempotency_key_required', 'invalid_idempotency_key'] : ['invalid_idempotency_key'],
      },
      409: { description: 'The first request with this Idempotency-Key is still running; see Retry-After', codes: ['request_in_progress'] },
      422: { description: 'This Idempotency-Key was used with another body', codes: ['idempotency_key_reused'] },
    });
  }
  if (spec.rateLimit) out.push({ 429: { description: 'Too many requests; see Retry-After', codes: ['rate_limited'] } });
  return out;
}

/** The route's answers merged with its middleware's: one entry per status, error codes united. */
export function allAnswers(spec: RouteSpec): Record<number, Answer> {
  const merged: Record<number, Answer> = { ...spec.responses };
  for (const extra of middlewareAnswers(spec)) {
    for (const [status, answer] of Object.entries(extra)) {
      const own = merged[Number(status)];
      if (own === undefined) merged[Number(status)] = answer;
      else if ('codes' in own) {
        merged[Number(status)] = {
          description: own.description === answer.description ? own.description : `${own.description}; ${answer.description}`,
          codes: [...new Set([...own.codes, ...answer.codes])],
        };
      }
    }
  }
  return merged;
}

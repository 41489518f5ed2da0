// Response checking (tests and non-production): each answer is held against its route's documented statuses and schemas.
import { isDeepStrictEqual } from 'node:util';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from './context.js';
import { errorBody as errorJson } from './errors.js';
import { allAnswers } from './schemas/answers.js';
import { errorBody, type Answer } from './schemas/common.js';
import { routeSpecs } from './schemas/index.js';

const specKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;
const answersByRoute = new Map(routeSpecs.map((s) => [specKey(s.method, s.path), allAnswers(s)] as const));

/** What is wrong with an answer, or null when it is the documented one; `text` reads a JSON answer's body. */
export async function undocumented(answers: Record<number, Answer>, res: Response, text: () => Promise<string>): Promise<string | null> {
  const answer = answers[res.status];
  if (!answer) return `status ${res.status} is not documented`;
  const type = res.headers.get('content-type') ?? '';
  if ('contentType' in answer) return type.startsWith(answer.contentType) ? null : `content type ${type}, documented ${answer.contentType}`;
  if (!type.startsWith('application/json')) return `content type ${type}, documented application/json`;
  const body: unknown = JSON.parse(await text());
  if ('json' in answer) {
    const parsed = answer.json.safeParse(body);
    if (!parsed.success) return `body does not match: ${parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
    // zod drops keys a schema does not name: any difference is a field the document does not describe.
    return isDeepStrictEqual(parsed.data, body) ? null : 'body has fields its schema does not describe';
  }
  const parsed = errorBody.safeParse(body);
  if (!parsed.success) return 'not the error body';
  return answer.codes.includes(parsed.data.error.code) ? null : `error code ${parsed.data.error.code} is not documented for ${res.status}`;
}

/** The route that answered: the last handler (not middleware) Hono matched, as its full path. */
function answeringRoute(c: Parameters<typeof matchedRoutes>[0]): string | null {
  const handlers = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  const last = handlers.at(-1);
  return last ? specKey(last.method, last.path) : null;
}

/**
 * Turns an answer its route does not document into a 500 naming the difference, and reports it: a test then
 * fails at the call that answered it. Requests no route answered (404 not_found) are not a route's answer.
 */
export function checkResponses(report: (problem: string) => void): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const route = answeringRoute(c);
    if (route === null) return;
    const answers = answersByRoute.get(route);
    const sent = c.res;
    // @hono/node-server sends its own light Response without copying; a clone of it is not one, so the body
    // is read once and the answer rebuilt from it, headers and all.
    let body: string | undefined;
    const text = async () => (body ??= await sent.text());
    const problem = answers ? await undocumented(answers, sent, text) : 'the route is not in http/schemas';
    if (body !== undefined) c.res = new Response(body, { status: sent.status, headers: sent.headers });
    if (problem === null) return;
    const message = `${route} answered ${c.res.status}: ${problem}`;
    report(message);
    c.res = new Response(JSON.stringify(errorJson('undocumented_response', message)), {
      status: 500,
      headers: { 'Content-Type': 'application/json' },
    });
  };
}


// Request parsing with zod: malformed JSON, wrong shapes and bad ids become 400s with stable codes.
import type { Context } from 'hono';
import { z } from 'zod';
import { ApiError, badRequest } from './errors.js';

function describe(error: z.ZodError): Record<string, unknown> {
  return {
    fields: error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message })),
  };
}

export async function parseJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', 'send a JSON body with Content-Type: application/json');
  }
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw badRequest('invalid_json', 'the request body is not valid JSON');
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw badRequest('invalid_request', 'the request body is invalid', describe(parsed.error));
  return parsed.data;
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw badRequest('invalid_query', 'the query string is invalid', describe(parsed.error));
  return parsed.data;
}

/** A positive integer id from a path parameter (WordPress ids and ours are BIGINT UNSIGNED). */
export function parseId(value: string | undefined, what: string): number {
  if (!value || !/^[1-9][0-9]{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw badRequest('invalid_id', `${what} must be a positive integer`);
  }
  return Number(value);
}

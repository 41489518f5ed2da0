// Request parsing with zod: malformed JSON, wrong shapes and bad ids become 400s with stable codes.
import type { Context } from 'hono';
import { z } from 'zod';
import { ApiError, badRequest } from './errors.js';

/**
 * Each refused field with its message, and what a client needs to say it in its reader's language: the zod issue
 * code, the bound of a too_small/too_big, the `rule` a custom check names.
 */
function describe(error: z.ZodError): Record<string, unknown> {
  return {
    fields: error.issues.slice(0, 20).map((i) => {
      const limit = i.code === 'too_small' ? i.minimum : i.code === 'too_big' ? i.maximum : undefined;
      const rule = i.code === 'custom' ? (i.params as { rule?: unknown } | undefined)?.rule : undefined;
      return {
        path: i.path.join('.'),
        message: i.message,
        code: i.code,
        ...(typeof limit === 'number' || typeof limit === 'bigint' ? { limit: Number(limit) } : {}),
        ...(typeof rule === 'string' ? { rule } : {}),
      };
    }),
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

// Shapes shared by every resource (ids, cursors, the error body) and the route entry each resource lists.
import { z } from 'zod';
import { MEMO_CODES } from '../../ledger/memo.js';

export const idText = z.string().regex(/^[1-9][0-9]{0,15}$/, 'a positive integer');
export const cursorText = z.string().regex(/^[1-9][0-9]{0,15}$/, 'an id from next_cursor');
export const coins = z.number().int().safe();
/** Exact decimals travel as strings, never binary floats. */
export const decimal = z.string().regex(/^-?[0-9]+(\.[0-9]+)?$/);
export const dateTime = z.iso.datetime();
export const nextCursor = z.string().nullable();

/** `?cursor=&limit=` with the resource's own page bound. */
export const pageQuery = (maxLimit: number, defaultLimit = 20) =>
  z.object({
    cursor: cursorText.optional(),
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit),
  });

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

export const ledgerEntry = z.object({
  id: z.number().int(),
  delta_coins: coins,
  balance_after: coins,
  kind: z.string(),
  ref_type: z.string().nullable(),
  ref_id: z.string().nullable(),
  memo: z.string().nullable().describe('English text for people reading the books; the widget shows memo_code instead'),
  memo_code: z.enum(MEMO_CODES).nullable().describe("what the movement is for, rendered in the reader's language; null on rows that carry none"),
  memo_params: z.record(z.string(), z.union([z.string(), z.number()])).nullable().describe('what fills the message: a title, a reason, a user id'),
  created_at: dateTime,
});

/** One answer of a route: JSON described by a schema, another content type, or an error with its stable codes. */
export type Answer =
  | { description: string; json: z.ZodType }
  | { description: string; contentType: 'text/plain' | 'text/event-stream' | 'text/csv' }
  | { description: string; codes: readonly string[] };

/**
 * A route as served: its path in Hono's syntax, what it reads and every status it answers. `auth` adds the
 * statuses of the middleware in front of it (401, 403), `idempotency` and `rateLimit` theirs, and every
 * route may answer 500 and 503.
 */
export interface RouteSpec {
  method: 'get' | 'post';
  path: string;
  summary: string;
  auth: 'none' | 'user' | 'admin';
  idempotency?: 'required' | 'optional';
  rateLimit?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The body may be left out altogether (no Content-Type): what it would say then defaults. */
  bodyOptional?: boolean;
  bodyContentType?: string;
  responses: Record<number, Answer>;
}

export const ok = (description: string, json: z.ZodType): Answer => ({ description, json });
export const fails = (description: string, ...codes: string[]): Answer => ({ description, codes });
export const idParams = (name: string) => z.object({ [name]: idText });

// The OpenAPI 3.1 document served at /openapi.json, generated from the route schemas in http/schemas/.
import { z } from 'zod';
import { KEY_PATTERN } from './idempotency.js';
import { allAnswers } from './schemas/answers.js';
import { errorBody, type Answer, type RouteSpec } from './schemas/common.js';
import { routeSpecs } from './schemas/index.js';

type Json = Record<string, unknown>;

/** JSON Schema 2020-12, which OpenAPI 3.1 takes as it is; the per-schema $schema key is dropped. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

/** Hono's `/api/recharges/:id` is OpenAPI's `/api/recharges/{id}`. */
export const openapiPath = (honoPath: string) => honoPath.replace(/:([A-Za-z_]+)/g, '{$1}');

const errorWith = (codes: readonly string[]) =>
  jsonSchema(errorBody.extend({ error: errorBody.shape.error.extend({ code: z.enum(codes as [string, ...string[]]) }) }), 'output');

function response(answer: Answer): Json {
  if ('json' in answer) return { description: answer.description, content: { 'application/json': { schema: jsonSchema(answer.json, 'output') } } };
  if ('codes' in answer) {
    return {
      description: `${answer.description} (${answer.codes.join(', ')})`,
      content: { 'application/json': { schema: errorWith(answer.codes) } },
    };
  }
  return { description: answer.description, content: { [answer.contentType]: { schema: { type: 'string' } } } };
}

function parameters(spec: RouteSpec): Json[] {
  const out: Json[] = [];
  const each = (where: 'path' | 'query', shape: z.ZodObject | undefined) => {
    if (!shape) return;
    const schema = jsonSchema(shape, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (schema.required ?? []).includes(name), schema: property });
    }
  };
  each('path', spec.params);
  each('query', spec.query);
  if (spec.idempotency) {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: spec.idempotency === 'required',
      description: 'The same key and body get the same answer',
      schema: { type: 'string', pattern: KEY_PATTERN.source },
    });
  }
  return out;
}

function operation(spec: RouteSpec): Json {
  const answers = allAnswers(spec);
  return {
    summary: spec.summary,
    ...(spec.auth === 'none' ? { security: [] } : {}),
    ...(spec.params || spec.query || spec.idempotency ? { parameters: parameters(spec) } : {}),
    ...(spec.body
      ? { requestBody: { required: !spec.bodyOptional, content: { [spec.bodyContentType ?? 'application/json']: { schema: jsonSchema(spec.body, 'input') } } } }
      : {}),
    responses: Object.fromEntries(Object.entries(answers).map(([status, answer]) => [status, response(answer)])),
  };
}

export function buildOpenapiDocument(specs: readonly RouteSpec[] = routeSpecs) {
  const paths: Record<string, Json> = {};
  for (const spec of specs) (paths[openapiPath(spec.path)] ??= {})[spec.method] = operation(spec);
  return {
    openapi: '3.1.0',
    info: { title: 'Gold Coins sidecar API', version: '1.0.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    security: [{ bearer: [] }],
    paths,
  };
}

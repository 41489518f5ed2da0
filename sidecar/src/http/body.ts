// Request bodies under BODY_LIMIT_BYTES. Behind node:http the body is read from the socket's IncomingMessage and
// handed to Hono's body cache, so c.req.text(), json() and arrayBuffer() answer from it without building a WHATWG
// Request and its stream for every POST (a fifth of an unlock's CPU in the sidecar once). Without a node request
// (app.request() in tests, HTTP/2) Hono's own bodyLimit does the same job.
import type { IncomingMessage } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './context.js';
import { ApiError } from './errors.js';

/** What Hono's request keeps of a body read once; its text() strips a UTF-8 BOM as Response.text() does. */
interface BodyCache {
  text?: Promise<string>;
  arrayBuffer?: Promise<ArrayBuffer>;
}

export function limitedBody(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => new ApiError(413, 'payload_too_large', `the body exceeds ${maxBytes} bytes`);
  const fallback = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, next) => {
    const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
    if (!mayHaveBody(c.req.method, incoming)) return next();
    if (!incoming || incoming.httpVersionMajor !== 1) return fallback(c, next);
    const declared = incoming.headers['content-length'];
    if (declared !== undefined && incoming.headers['transfer-encoding'] === undefined && Number(declared) > maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of incoming as AsyncIterable<Buffer>) {
      size += chunk.length;
      // Nothing past the limit is kept; the rest of the body is left for node to discard with the connection.
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
    const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    const cache = c.req.bodyCache as BodyCache;
    cache.text = Promise.resolve(new TextDecoder().decode(bytes));
    cache.arrayBuffer = Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    return next();
  };
}

/**
 * No route reads a body on GET, HEAD or OPTIONS. Node's HTTP/1 parser frames every body with Content-Length or
 * Transfer-Encoding, so without them there is none; in-process requests (app.request) and HTTP/2 carry no such
 * guarantee and are always limited.
 */
function mayHaveBody(method: string, incoming: IncomingMessage | undefined): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return false;
  if (!incoming || incoming.httpVersionMajor !== 1) return true;
  const length = incoming.headers['content-length'];
  return incoming.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

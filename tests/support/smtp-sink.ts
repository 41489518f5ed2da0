// A real local SMTP server (smtp-server) that keeps every message it receives, decoded, for tests to await.
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SinkMessage {
  envelopeFrom: string;
  envelopeTo: string[];
  /** Header names are lower-cased; encoded words (RFC 2047) are decoded. */
  headers: Record<string, string>;
  subject: string;
  messageId: string;
  text: string;
  html: string;
  raw: string;
}

export interface SmtpSink {
  port: number;
  /** For SMTP_URL. */
  url: string;
  messages: SinkMessage[];
  /** The first message (already received or still to come) matching predicate; rejects after timeoutMs. */
  waitFor(predicate: (m: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
  /** Refuse every new message with a temporary SMTP error until called with null. */
  refuse(reason: string | null): void;
  clear(): void;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 1_048_576;
const DEFAULT_WAIT_MS = 5_000;

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(1_000);
  let refusal: string | null = null;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    size: MAX_MESSAGE_BYTES,
    onMailFrom(_address, _session, callback) {
      if (refusal === null) return callback();
      const err = Object.assign(new Error(refusal), { responseCode: 451 });
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
        const m = parseMessage(raw, envelopeFrom, envelopeTo);
        messages.push(m);
        events.emit('message', m);
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(predicate, timeoutMs = DEFAULT_WAIT_MS) {
      const found = messages.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const onMessage = (m: SinkMessage) => {
          if (!predicate(m)) return;
          clearTimeout(timer);
          events.off('message', onMessage);
          resolve(m);
        };
        const timer = setTimeout(() => {
          events.off('message', onMessage);
          reject(new Error(`smtp sink: no matching message within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        events.on('message', onMessage);
      });
    },
    refuse(reason) {
      refusal = reason;
    },
    clear() {
      messages.length = 0;
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

interface Part {
  headers: Record<string, string>;
  body: string;
}

function splitPart(raw: string): Part {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function param(header: string | undefined, name: string): string | null {
  const m = new RegExp(`${name}="?([^";]+)"?`, 'i').exec(header ?? '');
  return m ? m[1]! : null;
}

function qpBytes(s: string, underscoreIsSpace: boolean): Buffer {
  const bytes: number[] = [];
  const src = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(src.slice(i + 1, i + 3))) {
      bytes.push(parseInt(src.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '_' && underscoreIsSpace) {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

const WORD = /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g;

/** RFC 2047: adjacent encoded words join without the whitespace between them; bytes are decoded together. */
export function decodeWords(value: string): string {
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(/(?:=\?[^?]+\?[QqBb]\?[^?]*\?=)+/g, (run) => {
    const bytes: Buffer[] = [];
    for (const m of run.matchAll(WORD)) {
      bytes.push(m[2]!.toUpperCase() === 'B' ? Buffer.from(m[3]!, 'base64') : qpBytes(m[3]!, true));
    }
    return Buffer.concat(bytes).toString('utf8');
  });
}

function decodeBody(part: Part): string {
  const cte = (part.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (cte === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') return qpBytes(part.body, false).toString('utf8');
  return part.body;
}

function leaves(part: Part, depth = 0): Part[] {
  const type = part.headers['content-type'] ?? 'text/plain';
  const boundary = param(type, 'boundary');
  if (!/^multipart\//i.test(type) || !boundary || depth > 5) return [part];
  const sections = part.body.split(`--${boundary}`).slice(1);
  return sections
    .filter((s) => !s.startsWith('--'))
    .flatMap((s) => leaves(splitPart(s.replace(/^\r?\n/, '')), depth + 1));
}

export function parseMessage(raw: string, envelopeFrom: string, envelopeTo: string[]): SinkMessage {
  const top = splitPart(raw);
  const headers = Object.fromEntries(Object.entries(top.headers).map(([k, v]) => [k, decodeWords(v)]));
  let text = '';
  let html = '';
  for (const leaf of leaves(top)) {
    const type = (leaf.headers['content-type'] ?? 'text/plain').toLowerCase();
    if (type.startsWith('text/html')) html += decodeBody(leaf);
    else if (type.startsWith('text/plain')) text += decodeBody(leaf);
  }
  return {
    envelopeFrom,
    envelopeTo,
    headers,
    subject: headers['subject'] ?? '',
    messageId: headers['message-id'] ?? '',
    text: text.replace(/\r\n/g, '\n'),
    html: html.replace(/\r\n/g, '\n'),
    raw,
  };
}

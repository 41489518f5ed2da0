// DATABASE_URL read strictly: mysql://user:pass@host:port/db, optionally ?socket=/path (same host) or ?ssl=true (TLS).
export interface DatabaseAddress {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** A unix socket to connect through instead of TCP (host and port are then ignored by the driver). */
  socketPath?: string;
  /** TLS with the server's certificate checked against the system's CAs (a database across a network). */
  ssl?: { rejectUnauthorized: true };
}

const DEFAULT_PORT = 3306;
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** The only query parameters: any other would reach the driver as an option unseen (multipleStatements, say). */
const KNOWN_PARAMS = new Set(['socket', 'ssl']);

export class DatabaseUrlError extends Error {}

export function parseDatabaseUrl(raw: string): DatabaseAddress {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DatabaseUrlError('expected mysql://user:pass@host:port/db');
  }
  if (url.protocol !== 'mysql:') throw new DatabaseUrlError('expected mysql://user:pass@host:port/db');
  const database = decodeURIComponent(url.pathname.slice(1));
  if (!DATABASE_NAME.test(database)) throw new DatabaseUrlError('expected a database name of letters, digits and _ after the host');
  if (!url.hostname) throw new DatabaseUrlError('expected a host (localhost when connecting through ?socket=)');
  for (const key of url.searchParams.keys()) {
    if (!KNOWN_PARAMS.has(key)) throw new DatabaseUrlError(`unknown parameter ${key} (only socket=/path/to/mysqld.sock and ssl=true)`);
  }
  const socket = url.searchParams.get('socket');
  if (socket !== null && !socket.startsWith('/')) throw new DatabaseUrlError('socket must be an absolute path');
  const ssl = url.searchParams.get('ssl');
  if (ssl !== null && ssl !== 'true' && ssl !== 'false') throw new DatabaseUrlError('ssl must be true or false');
  return {
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port ? Number(url.port) : DEFAULT_PORT,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    ...(socket ? { socketPath: socket } : {}),
    ...(ssl === 'true' ? { ssl: { rejectUnauthorized: true as const } } : {}),
  };
}

// DATABASE_URL read strictly: mysql://user:pass@host:port/db, optionally ?socket=/path for a server on the same host.
export interface DatabaseAddress {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** A unix socket to connect through instead of TCP (host and port are then ignored by the driver). */
  socketPath?: string;
}

const DEFAULT_PORT = 3306;
const DATABASE_NAME = /^[A-Za-z0-9_]{1,64}$/;
/** The only query parameter: any other would reach the driver as an option unseen (multipleStatements, say). */
const KNOWN_PARAMS = new Set(['socket']);

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
    if (!KNOWN_PARAMS.has(key)) throw new DatabaseUrlError(`unknown parameter ${key} (only socket=/path/to/mysqld.sock)`);
  }
  const socket = url.searchParams.get('socket');
  if (socket !== null && !socket.startsWith('/')) throw new DatabaseUrlError('socket must be an absolute path');
  return {
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port ? Number(url.port) : DEFAULT_PORT,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    ...(socket ? { socketPath: socket } : {}),
  };
}

// A TCP proxy in front of MariaDB that a test can cut (every socket reset, new ones refused), stall (bytes held,
// as in a network partition) and restore, so database outages are simulated without touching the shared MariaDB.
import { createServer, connect, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections accepted since the start (each one a new connection to the target). */
  connections(): number;
  /** Resets every open connection and refuses new ones until restore(). */
  cut(): void;
  /** Holds every byte in both directions, on open and new connections, until restore(): no reset, no answer. */
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let down = false;
  let stalled = false;
  let accepted = 0;
  const link = (p: Pair) => {
    p.client.pipe(p.upstream);
    p.upstream.pipe(p.client);
  };
  const hold = (p: Pair) => {
    p.client.unpipe(p.upstream);
    p.upstream.unpipe(p.client);
    p.client.pause();
    p.upstream.pause();
  };
  const server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const pair = { client, upstream: connect(target.port, target.host) };
    pairs.add(pair);
    const drop = () => {
      pair.client.destroy();
      pair.upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    pair.upstream.on('error', drop).on('close', drop);
    if (stalled) hold(pair);
    else link(pair);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    connections: () => accepted,
    cut() {
      down = true;
      // A reset, not a FIN: what a crashed or unreachable server looks like to the client.
      for (const p of pairs) {
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
      pairs.clear();
    },
    stall() {
      stalled = true;
      for (const p of pairs) hold(p);
    },
    restore() {
      down = false;
      if (!stalled) return;
      stalled = false;
      for (const p of pairs) link(p);
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// A local port forward, as `ssh -L <port>:127.0.0.1:<target>` makes one: bytes copied both ways
// between a new loopback port and the target. The browser then sends Host: localhost:<port>.
import type { Socket, TCPSocketListener } from "bun";

interface End {
  peer?: Socket<End>;
  /** Bytes for this socket that it has not taken yet (partial writes, or before the peer connected). */
  outbox: Uint8Array[];
}

function flush(sock: Socket<End>): void {
  while (sock.data.outbox.length > 0) {
    const chunk = sock.data.outbox[0] as Uint8Array;
    const n = sock.write(chunk);
    if (n < chunk.length) {
      sock.data.outbox[0] = chunk.subarray(Math.max(n, 0));
      return;
    }
    sock.data.outbox.shift();
  }
}

function send(to: Socket<End> | undefined, chunk: Uint8Array, early: Uint8Array[]): void {
  if (!to) {
    early.push(new Uint8Array(chunk));
    return;
  }
  to.data.outbox.push(new Uint8Array(chunk));
  flush(to);
}

export interface Forward {
  port: number;
  stop(): void;
}

export function forwardPort(targetPort: number): Forward {
  const early = new WeakMap<Socket<End>, Uint8Array[]>();
  const listener: TCPSocketListener<End> = Bun.listen<End>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        client.data = { outbox: [] };
        early.set(client, []);
        void Bun.connect<End>({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            open(upstream) {
              upstream.data = { peer: client, outbox: early.get(client) ?? [] };
              client.data.peer = upstream;
              flush(upstream);
            },
            data(upstream, chunk) {
              send(upstream.data.peer, chunk, []);
            },
            drain: flush,
            close(upstream) {
              upstream.data.peer?.end();
            },
            error(upstream) {
              upstream.data.peer?.end();
            },
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        send(client.data.peer, chunk, early.get(client) ?? []);
      },
      drain: flush,
      close(client) {
        client.data.peer?.end();
      },
      error(client) {
        client.data.peer?.end();
      },
    },
  });
  return { port: listener.port, stop: () => listener.stop(true) };
}

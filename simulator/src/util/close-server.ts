// Stops a listening server for good. In: a net, tls, http or https server. Out: a promise
// settled once it no longer listens; an HTTP server's idle and active connections are closed
// too (a plain net/tls server's sockets are the caller's to destroy).
import type { Server as NetServer } from 'node:net';

type Closable = NetServer & { closeAllConnections?: () => void };

export function closeServer(server: Closable): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => {
      resolve();
    });
    server.closeAllConnections?.();
  });
}

// Joins two WebSockets end to end (WebSocket mode: the sender's socket and the listener's
// accept socket). In: two open sockets. Out: every message relayed unchanged (text stays
// text, binary stays binary) with back-pressure (the reading side pauses while the writing
// side has over 1 MiB queued), and a close on one side mirrored on the other (codes that may
// not be sent, such as 1005 and 1006, become 1001). No interpretation of the payload.
import { WebSocket } from 'ws';

const HIGH_WATER = 1024 * 1024;

/** True for close codes an endpoint may put in a close frame (RFC 6455 §7.4). */
export function sendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  );
}

function forward(from: WebSocket, to: WebSocket, onBytes: (n: number) => void): void {
  let paused = false;
  from.on('message', (data, isBinary) => {
    if (to.readyState !== WebSocket.OPEN) return;
    const bytes = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    onBytes(bytes.length);
    let pauseHere = false;
    if (!paused && to.bufferedAmount + bytes.length > HIGH_WATER) {
      paused = true;
      pauseHere = true;
      from.pause();
    }
    to.send(bytes, { binary: isBinary }, () => {
      if (pauseHere) {
        paused = false;
        from.resume();
      }
    });
  });
  from.once('close', (code, reason) => {
    if (to.readyState === WebSocket.OPEN || to.readyState === WebSocket.CONNECTING) {
      to.close(sendableCloseCode(code) ? code : 1001, reason);
    }
  });
  from.on('error', () => {
    to.terminate();
  });
}

export interface BridgeStats {
  senderToListener: number;
  listenerToSender: number;
}

/** Relays between `sender` and `listener` until either closes; `onClosed` runs once. */
export function bridge(
  sender: WebSocket,
  listener: WebSocket,
  onClosed: (stats: BridgeStats) => void,
): void {
  const stats: BridgeStats = { senderToListener: 0, listenerToSender: 0 };
  forward(sender, listener, (n) => (stats.senderToListener += n));
  forward(listener, sender, (n) => (stats.listenerToSender += n));
  let done = false;
  const finish = (): void => {
    if (done) return;
    if (sender.readyState === WebSocket.CLOSED && listener.readyState === WebSocket.CLOSED) {
      done = true;
      onClosed(stats);
    }
  };
  sender.once('close', finish);
  listener.once('close', finish);
}

// The only place the egress layer opens sockets. In: a loopback or checked dial target and
// TLS options built by egress.ts. Out: a connecting net.Socket or tls.TLSSocket. Injected
// (SocketConnector) so that unit tests can prove no socket was opened for a refused dial.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';

export interface TcpTarget {
  readonly host: string;
  readonly port: number;
}

/** Opens sockets; each call starts one connection attempt. */
export interface SocketConnector {
  tcp(target: TcpTarget): Socket;
  tls(options: ConnectionOptions & TcpTarget): TLSSocket;
}

/** Node's net.connect and tls.connect. */
export const nodeSockets: SocketConnector = Object.freeze({
  tcp: (target: TcpTarget): Socket => netConnect({ host: target.host, port: target.port }),
  tls: (options: ConnectionOptions & TcpTarget): TLSSocket => tlsConnect(options),
});

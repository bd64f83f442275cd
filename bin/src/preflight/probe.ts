// The sockets of preflight: one connection per (host, port) it checks. In: the logical host,
// the socket target the dialer chose, how the port is spoken to (a TLS ClientHello, an AMQP
// protocol header, an HTTP HEAD), whether to read the HTTP Date header over TLS, a bound for
// each step, the relay's TLS context (its CA store, minimum version and ciphers) and the
// injected clock. Out: what happened at each step: TCP (reachable, refused, timed out, reset,
// unreachable), TLS (version, cipher, the chain as DER, whether it verifies and matches the
// name) and HTTP (status, Date, when it was asked and answered). Certificates are checked
// here, not enforced: an untrusted chain is read and reported, and nothing but a HEAD request
// is ever sent. Every socket and timer is closed before the promise settles.
import type { Socket } from 'node:net';
import {
  checkServerIdentity,
  type DetailedPeerCertificate,
  type SecureContext,
  type TLSSocket,
} from 'node:tls';
import { isIP } from 'node:net';
import type { SocketConnector } from '../../../relay/src/connectivity/sockets';

export type Reach = 'reachable' | 'refused' | 'timed-out' | 'reset' | 'unreachable' | 'error';

export interface TcpObservation {
  readonly reach: Reach;
  /** Where it ended: 'tcp' (the TCP connection) or 'answer' (connected; the service's answer). */
  readonly phase: 'tcp' | 'answer';
  readonly errno: string | undefined;
  /** One line: what happened, in the operating system's or OpenSSL's words. */
  readonly message: string;
  readonly ms: number;
}

export interface TlsObservation {
  readonly handshake: 'ok' | 'failed';
  /** TLSv1.2, TLSv1.3. */
  readonly protocol: string | undefined;
  /** The IANA name of the negotiated suite. */
  readonly cipher: string | undefined;
  /** The chain verifies against the trust store (the system's, plus --ca). */
  readonly authorized: boolean;
  /** OpenSSL's reason when it does not (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED ...). */
  readonly authorizationError: string | undefined;
  /** Why the certificate is not for the logical host name (undefined: it is). */
  readonly identityError: string | undefined;
  /** The peer's chain as sent and completed by OpenSSL, DER, leaf first. */
  readonly chain: readonly Buffer[];
  /** Why the handshake failed (undefined when it completed). */
  readonly error: string | undefined;
  readonly errno: string | undefined;
}

export interface HttpObservation {
  readonly status: number | undefined;
  /** The Date header as sent. */
  readonly date: string | undefined;
  /** The injected clock when the request was written and when the headers were complete. */
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly error: string | undefined;
}

export interface PortObservation {
  readonly tcp: TcpObservation;
  readonly tls: TlsObservation | undefined;
  readonly http: HttpObservation | undefined;
}

export interface ObserveOptions {
  readonly logicalHost: string;
  readonly dial: { readonly host: string; readonly port: number };
  readonly protocol: 'tls' | 'amqp' | 'http';
  /** Over TLS: send a HEAD request and read the Date header. */
  readonly readDate: boolean;
  /** Bound of each step (TCP connect, first answer or TLS handshake, HTTP answer). */
  readonly timeoutMs: number;
  readonly secureContext: SecureContext;
  readonly sockets: SocketConnector;
  readonly now: () => number;
}

/** The AMQP 1.0 SASL protocol header: a broker answers with its own header. */
const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 3, 1, 0, 0]);
/** The most of an HTTP answer read while looking for the end of its headers. */
const MAX_HEADER_BYTES = 16 * 1024;

const TLS_CODE =
  /^(ERR_SSL_|ERR_TLS_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE)/;

const UNREACHABLE = new Set([
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'EAFNOSUPPORT',
]);

function firstLine(text: string): string {
  const line = (text.split('\n')[0] ?? '').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

function errnoOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

function messageOf(e: unknown): string {
  return firstLine(e instanceof Error ? e.message : String(e));
}

/** A TCP-level failure in words. */
function tcpFailure(e: unknown, phase: 'tcp' | 'answer', ms: number): TcpObservation {
  const errno = errnoOf(e);
  const why = messageOf(e);
  if (errno === 'ECONNREFUSED') {
    return { reach: 'refused', phase, errno, message: 'connection refused', ms };
  }
  if (errno === 'ETIMEDOUT') {
    return { reach: 'timed-out', phase, errno, message: `timed out (${errno})`, ms };
  }
  if (UNREACHABLE.has(errno)) {
    return { reach: 'unreachable', phase, errno, message: `${errno}: ${why}`, ms };
  }
  if (errno === 'ECONNRESET' || errno === 'EPIPE') {
    return {
      reach: 'reset',
      phase,
      errno,
      message:
        phase === 'tcp' ? `reset while connecting (${errno})` : `reset after connecting (${errno})`,
      ms,
    };
  }
  return { reach: 'error', phase, errno, message: why, ms };
}

/** The peer's certificates, leaf first, each once. */
function chainOf(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw !== undefined && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    out.push(cert.raw);
    const next: DetailedPeerCertificate | undefined = cert.issuerCertificate;
    cert = next === cert ? undefined : next;
  }
  return out;
}

function tlsDetails(socket: TLSSocket, logicalHost: string): TlsObservation {
  const peer = socket.getPeerCertificate(true);
  // A server that sends no certificate gives an empty object.
  const hasPeer = Object.keys(peer).length > 0;
  const identity = hasPeer ? checkServerIdentity(logicalHost, peer) : undefined;
  const cipher = socket.getCipher();
  // Node types it as an Error; at run time it is OpenSSL's code as text.
  const authError: unknown = socket.authorizationError;
  return {
    handshake: 'ok',
    protocol: socket.getProtocol() ?? undefined,
    cipher: cipher.standardName,
    authorized: socket.authorized,
    authorizationError:
      typeof authError === 'string'
        ? authError
        : authError instanceof Error
          ? ((authError as NodeJS.ErrnoException).code ?? authError.message)
          : undefined,
    identityError: !hasPeer
      ? 'the server sent no certificate'
      : identity === undefined
        ? undefined
        : messageOf(identity),
    chain: chainOf(socket),
    error: undefined,
    errno: undefined,
  };
}

function failedTls(e: unknown): TlsObservation {
  return {
    handshake: 'failed',
    protocol: undefined,
    cipher: undefined,
    authorized: false,
    authorizationError: undefined,
    identityError: undefined,
    chain: [],
    error: messageOf(e),
    errno: errnoOf(e),
  };
}

/** Status and Date of an HTTP answer's head, or undefined while it is incomplete. */
export function parseHttpHead(
  bytes: Buffer,
): { readonly status: number | undefined; readonly date: string | undefined } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(lines[0] ?? '')?.[1];
  let date: string | undefined;
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === 'date') date = line.slice(i + 1).trim();
  }
  return { status: status === undefined ? undefined : Number(status), date };
}

function headRequest(host: string): string {
  return (
    `HEAD / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: relaycheck-preflight\r\n` +
    'Connection: close\r\n\r\n'
  );
}

/** Connects once to the target and reports each step. Never rejects. */
export function observePort(o: ObserveOptions): Promise<PortObservation> {
  return new Promise<PortObservation>((resolve) => {
    const started = o.now();
    const elapsed = (): number => Math.max(0, o.now() - started);
    const bare = o.logicalHost.replace(/^\[(.*)\]$/, '$1');
    let phase: 'tcp' | 'answer' | 'http' = 'tcp';
    let tcp: TcpObservation | undefined;
    let tls: TlsObservation | undefined;
    let http: HttpObservation | undefined;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let socket: Socket | undefined;

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve({
        tcp: tcp ?? {
          reach: 'error',
          phase: 'tcp',
          errno: undefined,
          message: 'no outcome',
          ms: elapsed(),
        },
        tls,
        http,
      });
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (phase === 'tcp') {
          tcp = {
            reach: 'timed-out',
            phase: 'tcp',
            errno: undefined,
            message: `no TCP connection within ${o.timeoutMs} ms`,
            ms: elapsed(),
          };
        } else if (phase === 'answer') {
          tcp = {
            reach: 'timed-out',
            phase: 'answer',
            errno: undefined,
            message: `connected, but nothing answered within ${o.timeoutMs} ms`,
            ms: elapsed(),
          };
        } else {
          http = {
            ...(http ?? { sentAt: o.now(), status: undefined, date: undefined }),
            receivedAt: o.now(),
            error: `no HTTP answer within ${o.timeoutMs} ms`,
          };
        }
        finish();
      }, o.timeoutMs);
    };
    const answered = (): void => {
      tcp = {
        reach: 'reachable',
        phase: 'answer',
        errno: undefined,
        message: 'connected and answered',
        ms: elapsed(),
      };
    };

    arm();
    if (o.protocol === 'tls') {
      const s = o.sockets.tls({
        host: o.dial.host,
        port: o.dial.port,
        secureContext: o.secureContext,
        ...(isIP(bare) === 0 ? { servername: bare } : {}),
        rejectUnauthorized: false,
        // Checked and reported after the handshake (checkServerIdentity on the logical host).
        checkServerIdentity: () => undefined,
        ...(o.readDate ? { ALPNProtocols: ['http/1.1'] } : {}),
      });
      socket = s;
      let head = Buffer.alloc(0);
      s.once('connect', () => {
        phase = 'answer';
        arm();
      });
      s.once('secureConnect', () => {
        answered();
        tls = tlsDetails(s, bare);
        if (!o.readDate) {
          finish();
          return;
        }
        phase = 'http';
        arm();
        http = {
          status: undefined,
          date: undefined,
          sentAt: o.now(),
          receivedAt: o.now(),
          error: undefined,
        };
        s.write(headRequest(o.logicalHost));
      });
      s.on('data', (chunk: Buffer) => {
        if (phase !== 'http' || http === undefined) return;
        head = Buffer.concat([head, chunk]);
        const parsed = parseHttpHead(head);
        if (parsed !== undefined) {
          http = { ...http, ...parsed, receivedAt: o.now() };
          finish();
        } else if (head.length > MAX_HEADER_BYTES) {
          http = { ...http, receivedAt: o.now(), error: 'no end of the HTTP headers in 16 KiB' };
          finish();
        }
      });
      s.on('error', (e: unknown) => {
        if (settled) return;
        if (phase === 'tcp') {
          tcp = tcpFailure(e, 'tcp', elapsed());
        } else if (phase === 'answer') {
          if (TLS_CODE.test(errnoOf(e))) {
            // The server answered the ClientHello, with something TLS refuses.
            answered();
            tls = failedTls(e);
          } else {
            tcp = tcpFailure(e, 'answer', elapsed());
          }
        } else if (http !== undefined) {
          http = { ...http, receivedAt: o.now(), error: messageOf(e) };
        }
        finish();
      });
      s.once('close', () => {
        if (settled) return;
        if (phase === 'tcp') tcp = tcpFailure(new Error('closed'), 'tcp', elapsed());
        else if (phase === 'answer') {
          tcp = {
            reach: 'reset',
            phase: 'answer',
            errno: undefined,
            message: 'closed by the peer during the TLS handshake',
            ms: elapsed(),
          };
        } else if (http !== undefined) {
          http = { ...http, receivedAt: o.now(), error: 'closed before an HTTP answer' };
        }
        finish();
      });
      return;
    }

    const s = o.sockets.tcp({ host: o.dial.host, port: o.dial.port });
    socket = s;
    s.once('connect', () => {
      phase = 'answer';
      arm();
      s.write(o.protocol === 'amqp' ? AMQP_HEADER : headRequest(o.logicalHost));
    });
    s.once('data', () => {
      answered();
      finish();
    });
    s.on('error', (e: unknown) => {
      if (settled) return;
      tcp = tcpFailure(e, phase === 'tcp' ? 'tcp' : 'answer', elapsed());
      finish();
    });
    s.once('close', () => {
      if (settled) return;
      tcp =
        phase === 'tcp'
          ? tcpFailure(new Error('closed'), 'tcp', elapsed())
          : {
              reach: 'reset',
              phase: 'answer',
              errno: undefined,
              message: 'closed by the peer without answering',
              ms: elapsed(),
            };
      finish();
    });
  });
}

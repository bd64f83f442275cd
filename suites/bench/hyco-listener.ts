// The hyco-https baseline of the relay benchmark: Microsoft's Node listener (hyco-https 1.4.5)
// doing the same retrievals the relay does, in a child process of its own (hyco-https replaces
// https.Server for the whole process). In (environment, never argv): HYCO_URI (the listen URI of
// a Hybrid Connection), HYCO_TOKEN (a Listen SAS token), HYCO_PATH (the connection's name),
// HYCO_TARGET (the back-office service's base URL); the simulator's CA via NODE_EXTRA_CA_CERTS.
// Out: each request's path (after the connection's name) fetched from the back-office service
// and the answer streamed back unsealed; "LISTENING" on stdout once it listens; errors on
// stderr. It seals nothing and checks nothing: the least any listener can do, so the relay's
// figures beside it show the cost of what the relay does on top.
import { request } from 'node:http';

interface HycoRequest extends NodeJS.ReadableStream {
  readonly url?: string;
  readonly method?: string;
}

interface HycoResponse extends NodeJS.WritableStream {
  statusCode: number;
  setHeader(name: string, value: string): void;
}

interface Hyco {
  createRelayedServer(
    options: { server: string; token: string },
    handler: (req: HycoRequest, res: HycoResponse) => void,
  ): { on(event: string, fn: (e?: Error) => void): void; listen(): void };
}

/** The back-office path a request asks for: its URL without the connection's name. */
export function backOfficePath(url: string, connection: string): string {
  const prefix = `/${connection}`;
  const rest = url.toLowerCase().startsWith(prefix.toLowerCase()) ? url.slice(prefix.length) : url;
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** Listens until killed (the child's entry: `require(this file).main()`). */
export function main(): void {
  const env = process.env;
  const uri = env.HYCO_URI ?? '';
  const token = env.HYCO_TOKEN ?? '';
  const connection = env.HYCO_PATH ?? '';
  const target = new URL(env.HYCO_TARGET ?? 'http://127.0.0.1:1');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hyco = require('hyco-https') as Hyco;
  const server = hyco.createRelayedServer({ server: uri, token }, (req, res) => {
    req.resume();
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: backOfficePath(req.url ?? '/', connection),
        method: req.method ?? 'GET',
      },
      (answer) => {
        res.statusCode = answer.statusCode ?? 502;
        const type = answer.headers['content-type'];
        if (type !== undefined) res.setHeader('Content-Type', type);
        answer.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      res.statusCode = 502;
      res.end(e.message);
    });
    upstream.end();
  });
  server.on('listening', () => {
    process.stdout.write('LISTENING\n');
  });
  server.on('error', (e) => {
    process.stderr.write(`hyco-https listener error: ${e?.message ?? 'unknown'}\n`);
  });
  server.listen();
}

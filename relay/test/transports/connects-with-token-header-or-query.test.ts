// The control channel: the listen URL, and the SAS token in the ServiceBusAuthorization header
// (or in sb-hc-token when the socket cannot set headers or the config asks for it).
import t from 'tap';
import { verifySasToken } from '../../src/protocol/sas';
import type { SocketFactory, SocketOptions } from '../../src/transports/socket';
import { setup } from './helpers/setup';
import { WebSocket } from 'mock-socket';
import {
  browserSocketFactory,
  type BrowserWebSocketConstructor,
} from '../../src/transports/browser-socket';

function recording(claimHeaders: boolean): { factory: SocketFactory; seen: SocketOptions[] } {
  const inner = browserSocketFactory(WebSocket as unknown as BrowserWebSocketConstructor);
  const seen: SocketOptions[] = [];
  return {
    seen,
    factory: {
      canSetHeaders: claimHeaders,
      canPing: false,
      open: (options, handlers) => {
        seen.push(options);
        return inner.open(options, handlers);
      },
    },
  };
}

function verify(
  token: string | null | undefined,
  host: string,
  path: string,
  key: string,
  now: number,
) {
  return verifySasToken(
    token ?? undefined,
    {
      resource: `sb://${host}/${path}`,
      right: 'Listen',
      rules: [{ keyName: 'RootListen', key, rights: new Set(['Listen']), scope: `sb://${host}/` }],
      maxLifetimeSeconds: 3600,
    },
    { clock: { now: () => now } },
  );
}

void t.test(
  'the token goes in the ServiceBusAuthorization header when the socket can set it',
  async (t) => {
    const rec = recording(true);
    const s = setup(t, { sockets: rec.factory, config: { listenerId: 'relay-01' } });
    const peer = await s.connect();
    t.equal(rec.seen.length, 1);
    const opts = rec.seen[0];
    const token = opts?.headers.ServiceBusAuthorization;
    t.type(token, 'string');
    const grant = verify(token, s.host, s.path, s.key, s.scheduler.now());
    t.equal(grant.keyName, 'RootListen');
    t.equal(grant.expiresAt, Math.floor(s.scheduler.now() / 1000) + 3600, 'lives one hour');
    t.equal(peer.url.pathname, `/$hc/${s.path}`);
    t.equal(peer.param('sb-hc-action'), 'listen');
    t.equal(peer.param('sb-hc-id'), 'relay-01');
    t.equal(peer.param('sb-hc-token'), null, 'no token in the query');
    const connecting = await s.events.until('relay:hc:connecting');
    t.notMatch(
      String(connecting.url),
      /sb-hc-token|SharedAccessSignature|sig=/,
      'the event URL holds no token',
    );
    t.equal(s.listener.state, 'connected');
  },
);

void t.test('the token goes in sb-hc-token when the socket cannot set headers', async (t) => {
  const s = setup(t);
  const peer = await s.connect();
  const token = peer.param('sb-hc-token');
  t.ok(token?.startsWith('SharedAccessSignature '), 'a SAS token in the query');
  t.equal(verify(token, s.host, s.path, s.key, s.scheduler.now()).keyName, 'RootListen');
  t.equal(peer.param('sb-hc-action'), 'listen');
});

void t.test(
  'tokenPlacement "query" puts the token in the query even when headers are possible',
  async (t) => {
    const rec = recording(true);
    const s = setup(t, { sockets: rec.factory, config: { tokenPlacement: 'query' } });
    const peer = await s.connect();
    t.same(rec.seen[0]?.headers, {}, 'no authorization header');
    t.equal(
      verify(peer.param('sb-hc-token'), s.host, s.path, s.key, s.scheduler.now()).keyName,
      'RootListen',
    );
  },
);

void t.test(
  'a port 9352 endpoint is dialled on 9352 and its token is signed without the port',
  async (t) => {
    const rec = recording(true);
    const dialled: string[] = [];
    const s = setup(t, {
      sockets: rec.factory,
      port: 9352,
      deps: {
        dial: (url, purpose) => {
          // The endpoint map: the logical :9352 address goes to the mock on the default port.
          dialled.push(`${purpose} ${url.host}`);
          const mapped = new URL(url);
          mapped.port = '';
          return mapped;
        },
      },
    });
    t.equal(s.listener.config.port, 9352);
    await s.connect();
    t.same(dialled, [`control ${s.host}:9352`]);
    const token = rec.seen[0]?.headers.ServiceBusAuthorization;
    t.equal(
      verify(token, s.host, s.path, s.key, s.scheduler.now()).resource,
      `${s.host}/${s.path}`,
    );
  },
);

// Microsoft's Node listener, hyco-https 1.4.5, against the simulator. hyco-https replaces
// https.Server for the whole process when required, so it runs in a child process (stopped
// by its PID at teardown); its token reaches it through the environment, never argv or logs.
// In: a plain ws:// listen URI and a Listen token. Out: small requests and responses on the
// control channel, a request over 64 KiB fetched by rendezvous, a response over 64 KiB sent
// by rendezvous — and its known defects, asserted so that a fix upstream would show:
// the `id` option throws (a ReferenceError on `listenUri`), and a WebSocket sender crashes
// the listener (a ReferenceError on `Extensions`), so WebSocket accept and reject cannot be
// used with it at all.
import { join } from 'node:path';
import t from 'tap';
import {
  HC_CHANNELS,
  HandshakeRefused,
  captureEvents,
  openQueue,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';
import { runScriptChild, type ScriptChild } from '../../suites/lib/script-child';

const ROOT = join(__dirname, '..', '..');

/** The child: one relayed server that echoes what it received, or a constructor probe. */
const CHILD = `
const https = require('hyco-https');
const mode = process.env.HYCO_MODE;
const options = { server: process.env.HYCO_URI, token: process.env.HYCO_TOKEN };
if (mode === 'id') {
  try { https.createRelayedServer({ ...options, id: 'relay-1' }, () => {}); console.log('CONSTRUCTED'); }
  catch (e) { console.log('THREW ' + e.name + ': ' + e.message); }
  process.exit(0);
}
const server = https.createRelayedServer(options, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(Buffer.from(c)));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url.endsWith('/big')) {
      res.setHeader('Content-Type', 'application/octet-stream');
      res.end(Buffer.alloc(100 * 1024, 7));
      return;
    }
    res.setHeader('Content-Type', 'text/plain');
    res.end('hyco saw ' + req.method + ' ' + req.url + ' ' + body.length + ' ' + (req.headers['x-tenant'] || '-'));
  });
});
server.on('listening', () => console.log('LISTENING'));
server.on('error', (e) => console.error('LISTENER ERROR ' + (e && e.message)));
server.listen();
`;

function runChild(t: tap.Test, env: Record<string, string>): ScriptChild {
  return runScriptChild(t, CHILD, env, ROOT);
}

async function setup(t: tap.Test) {
  const { config } = testHybridConfig();
  const sim = await startHybridSimulator(config, { listeners: { https: false, tcp: false } });
  t.teardown(() => sim.close());
  const env = { HYCO_URI: sim.listenerUrl('hyco', 'plain'), HYCO_TOKEN: sim.token('hyco') };
  const send = (path: string, options: Parameters<typeof relayRequest>[1] = {}) =>
    relayRequest(sim.senderUrl(path, 'plain'), {
      ...options,
      headers: {
        ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }),
        ...options.headers,
      },
    });
  return { sim, env, send };
}

void t.test(
  'hyco-https answers small and large requests and responses through the simulator',
  async (t) => {
    const { env, send } = await setup(t);
    const capture = captureEvents([HC_CHANNELS.request, HC_CHANNELS.rendezvous]);
    t.teardown(() => {
      capture.stop();
    });
    const child = runChild(t, { ...env, HYCO_MODE: 'serve' });
    await child.waitFor('LISTENING');

    const small = await send('hyco/hello?x=1', {
      method: 'POST',
      body: 'abc',
      headers: { 'X-Tenant': 'council-42' },
    });
    t.equal(small.status, 200);
    t.equal(small.body.toString(), 'hyco saw POST /hyco/hello?x=1 3 council-42');
    t.equal(small.headers['content-type'], 'text/plain');
    t.equal(small.headers.via, '1.1 council-42.servicebus.windows.net');

    const bigRequest = await send('hyco/upload', {
      method: 'POST',
      body: Buffer.alloc(100 * 1024, 1),
    });
    t.equal(bigRequest.body.toString(), `hyco saw POST /hyco/upload ${100 * 1024} -`);

    const bigResponse = await send('hyco/big');
    t.equal(bigResponse.status, 200);
    t.equal(bigResponse.body.length, 100 * 1024);
    t.ok(bigResponse.body.every((b) => b === 7));

    t.same(
      capture.of(HC_CHANNELS.request).map((e) => e.route),
      ['control', 'rendezvous', 'control'],
    );
    t.same(
      capture
        .of(HC_CHANNELS.rendezvous)
        .filter((e) => e.event === 'opened')
        .map((e) => e.kind),
      ['request', 'response'],
      'hyco-https fetched the large request and sent the large response by rendezvous',
    );
    t.equal(child.stderr(), '', 'nothing on the listener stderr');
  },
);

void t.test('known defect: the hyco-https `id` option throws a ReferenceError', async (t) => {
  const { env } = await setup(t);
  const child = runChild(t, { ...env, HYCO_MODE: 'id' });
  await child.exited;
  t.match(child.stdout(), /THREW ReferenceError: listenUri is not defined/);
});

void t.test(
  'known defect: a WebSocket sender crashes the hyco-https listener (accept is unusable)',
  async (t) => {
    const { sim, env } = await setup(t);
    const child = runChild(t, { ...env, HYCO_MODE: 'serve' });
    await child.waitFor('LISTENING');
    const sender = openQueue(sim.connectUrl('hyco', 'plain'), {
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
    }).catch((e: unknown) => e);
    const code = await child.exited;
    t.not(code, 0, 'the listener process died');
    t.match(child.stderr(), /ReferenceError: Extensions is not defined/);
    // The simulator itself is unaffected: the sender is released when the listener goes.
    const outcome = await sender;
    t.equal(
      outcome instanceof HandshakeRefused ? outcome.status : undefined,
      502,
      'the waiting sender is refused with 502 at once',
    );
  },
);

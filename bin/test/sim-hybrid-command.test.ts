// `relaycheck sim hybrid` as a user runs it: a child process that prints, per Hybrid
// Connection, a listener URI and a sender URL with tokens that work as printed (a plain `ws`
// listener trusting only the printed CA serves a request an HTTPS sender makes with the
// printed Send token), refuses bad configs with exit code 2, and stops cleanly on SIGTERM.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startSim } from './lib/spawn-sim';
import WebSocket from 'ws';

interface View {
  readonly path: string;
  readonly listenUri: string;
  readonly listenToken: string;
  readonly sendUrl: string;
  readonly sendToken: string | null;
  readonly listenUriTcp: string | null;
}

interface Ready {
  readonly namespace: string;
  readonly caPath: string | null;
  readonly control: string | null;
  readonly hybridConnections: readonly View[];
}

function start(args: string[]) {
  return startSim<Ready>(['hybrid', ...args]);
}

/** One HTTPS request trusting only `ca`; resolves with the status and the body. */
function send(
  url: string,
  token: string | null,
  ca: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca,
        headers: {
          'content-type': 'text/plain',
          ...(token === null ? {} : { ServiceBusAuthorization: token }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

void t.test('prints listener and sender URIs with tokens that work as printed', async (t) => {
  const sim = start(['--json', '--token-hours', '2']);
  t.teardown(() => {
    sim.child.kill('SIGKILL');
  });
  const ready = await sim.ready;
  t.equal(ready.namespace, 'council-42');
  t.same(
    ready.hybridConnections.map((v) => v.path),
    ['council-tax', 'business-rates', 'benefits', 'documents'],
    'one Hybrid Connection per synchronous use in the guide',
  );
  const view = ready.hybridConnections[0];
  if (view === undefined || ready.caPath === null) throw new Error('no connection or no CA');
  t.match(view.listenUri, /^wss:\/\/127\.0\.0\.1:\d+\/\$hc\/council-tax\?sb-hc-action=listen$/);
  t.match(view.listenToken, /^SharedAccessSignature sr=.+&sig=.+&se=\d+&skn=.+$/);
  t.match(view.listenUriTcp, /^wss:\/\/127\.0\.0\.1:\d+\/\$hc\/council-tax/);
  t.not(view.listenUriTcp, view.listenUri, 'logical 9352 is a listener of its own');
  const ca = readFileSync(ready.caPath, 'utf8');

  // A minimal listener: the printed URI and token, trusting only the printed CA.
  const listener = new WebSocket(view.listenUri, {
    ca,
    headers: { ServiceBusAuthorization: view.listenToken },
  });
  t.teardown(() => {
    listener.terminate();
  });
  await new Promise<void>((resolve, reject) => {
    listener.once('open', () => {
      resolve();
    });
    listener.once('error', reject);
  });
  listener.on('message', (data, isBinary) => {
    if (isBinary) return; // the request body
    const frame = JSON.parse((data as Buffer).toString()) as {
      request?: { id: string; method: string };
    };
    if (frame.request === undefined) return;
    listener.send(
      JSON.stringify({
        response: {
          requestId: frame.request.id,
          statusCode: 200,
          responseHeaders: { 'content-type': 'text/plain' },
          body: true,
        },
      }),
    );
    listener.send(Buffer.from(`served ${frame.request.method}`));
  });

  const answer = await send(view.sendUrl, view.sendToken, ca, 'account 6000000001');
  t.same(answer, { status: 200, body: 'served POST' }, 'the sender is answered through the relay');
  const refused = await send(view.sendUrl, null, ca, 'no token');
  t.equal(refused.status, 401, 'without the Send token the sender is refused');

  listener.close();
  sim.child.kill('SIGTERM');
  t.equal(await sim.exited, 0, 'SIGTERM closes everything and exits 0');
});

void t.test('refuses an unreadable or invalid namespace config with exit code 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-sim-hybrid-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const missing = start(['--config', join(dir, 'absent.json')]);
  t.equal(await missing.exited, 2);
  t.match(
    missing.stderr(),
    /SIM_E_HC_CONFIG: cannot read the namespace config .*absent\.json: ENOENT/,
  );

  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ namespace: 'x', hybridConnections: [{ path: '/nope' }] }));
  const invalid = start(['--config', bad]);
  t.equal(await invalid.exited, 2);
  t.match(invalid.stderr(), /SIM_E_HC_CONFIG/);
  t.notMatch(invalid.stderr(), /\n\s+at /, 'one line, no stack trace');

  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{ namespace: ');
  const garbled = start(['--config', notJson]);
  t.equal(await garbled.exited, 2);
  t.match(garbled.stderr(), /SIM_E_HC_CONFIG: the namespace config .*not\.json is not JSON/);
});

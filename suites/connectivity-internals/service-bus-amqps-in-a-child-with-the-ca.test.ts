// AMQPS (tcp mode) through the egress layer and the network model, in a child process that
// trusts the simulator's CA through NODE_EXTRA_CA_CERTS (the SDK takes no CA option for
// AMQPS; see tls-listener-with-simulator-ca.test.ts). In: the firewall rejecting 443, so
// only the TCP path is open; serviceBusClientFor('tcp') with customEndpointAddress from the
// network map. Out: the message is sent, received and completed over TLS; the child's one
// egress check named logical port 5671 and the model saw logical port 5671 accepted; the
// same child without the CA does not connect (verification is never disabled).
import { join } from 'node:path';
import t from 'tap';
import { runScriptChild } from '../lib/script-child';
import { QUEUE, captureEvents, startConnectivityWorld } from './lib/world';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = `require('ts-node/register/transpile-only'); require('./suites/connectivity-internals/lib/amqps-child.ts');`;

interface ChildResult {
  readonly ok: boolean;
  readonly body?: unknown;
  readonly dials?: Record<string, unknown>[];
  readonly code?: string;
  readonly message?: string;
}

async function runChild(t: tap.Test, env: Record<string, string>): Promise<ChildResult> {
  const child = runScriptChild(t, SCRIPT, env, ROOT);
  await child.exited;
  const line = child.stdout().trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ChildResult;
  } catch {
    throw new Error(`the child printed no result: ${child.stderr().slice(0, 800)}`);
  }
}

void t.test(
  'serviceBusClientFor(tcp) works over AMQPS in a child that trusts the simulator CA',
  async (t) => {
    const world = await startConnectivityWorld(t);
    await world.firewall([{ name: 'no-443', verdict: 'reject', destination: 'any', ports: 443 }]);
    const settings = world.settings();
    const env = {
      CONN_SETTINGS: JSON.stringify({
        ...settings,
        serviceBus: { ...settings.serviceBus, key: '' },
      }),
      CONN_SB_KEY: world.sbKey,
      CONN_QUEUE: QUEUE,
    };
    t.notMatch(env.CONN_SETTINGS, world.sbKey, 'the key travels only in its own variable');

    const events = captureEvents(t, ['sim:net:dial', 'sim:sb:connection']);
    const trusted = await runChild(t, { ...env, NODE_EXTRA_CA_CERTS: world.caFile });
    t.match(trusted, { ok: true, body: { via: 'amqps' } }, 'send, receive and complete over AMQPS');
    const address = world.net.dns.record(world.sb.host).addresses[0];
    t.match(trusted.dials, [
      {
        purpose: 'servicebus-amqps',
        host: world.sb.host,
        port: 5671,
        address,
        verdict: 'allowed',
        dial: /^127\.0\.0\.1:\d+$/,
      },
    ]);
    const modelDials = events.filter((e) => e.channel === 'sim:net:dial').map((e) => e.data);
    t.ok(modelDials.length >= 1, 'the model saw the connection');
    t.ok(
      modelDials.every((d) => d.port === 5671 && d.verdict === 'accept' && d.address === address),
      'only logical port 5671 was dialled',
    );
    t.ok(
      events.some(
        (e) =>
          e.channel === 'sim:sb:connection' &&
          e.data.state === 'open' &&
          e.data.listener === 'tls' &&
          e.data.hostname === world.sb.host,
      ),
      'AMQP opened on the TLS listener naming the logical host',
    );

    const untrusted = await runChild(t, env);
    t.equal(untrusted.ok, false, 'without the CA the SDK does not connect');
    t.match(untrusted.message, /certificate|issuer/i, 'it fails on the certificate check');
  },
);

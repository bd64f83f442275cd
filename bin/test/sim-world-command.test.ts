// `relaycheck sim` as a user runs it: one command starts the whole world and prints the
// relay config; a client that knows only that config (logical host, key, endpoint map)
// reaches the Service Bus namespace through the network model's proxy for logical port
// 5672, and the back office answers; bad configs exit 2; SIGTERM stops everything.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startSim } from './lib/spawn-sim';
import { ServiceBusClient } from '@azure/service-bus';
import type { WorldRelayConfig } from '../../simulator/src/world';

interface Ready {
  readonly relayConfigPath: string;
  readonly relayConfig: WorldRelayConfig;
}

function start(args: string[]) {
  return startSim<Ready>(args);
}

void t.test('starts the world and prints a relay config a client can use as is', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-sim-world-'));
  const sim = start(['--json', '--seed', '5', '--out', dir]);
  t.teardown(() => {
    sim.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const { relayConfig: r, relayConfigPath } = await sim.ready;
  t.equal(relayConfigPath, join(dir, 'relay-config.json'));
  t.equal(statSync(relayConfigPath).mode & 0o777, 0o600, 'keys are readable by the owner only');
  t.equal(r.seed, 5);
  const sb = r.serviceBus;
  const endpoint = r.network?.endpoints.find((e) => e.host === sb?.host && e.port === 5672);
  if (sb === null || endpoint === undefined) throw new Error('no Service Bus endpoint for 5672');

  // What a relay does: the logical host in the connection string, the loopback port of the
  // logical endpoint as the address it dials.
  const client = new ServiceBusClient(
    `Endpoint=sb://${sb.host}/;SharedAccessKeyName=${sb.keyName};SharedAccessKey=${sb.key};UseDevelopmentEmulator=true`,
    { customEndpointAddress: `sb://127.0.0.1:${endpoint.dial.port}` },
  );
  t.teardown(() => client.close());
  await client
    .createSender('requests')
    .sendMessages({ body: 'through the proxy', messageId: 'w1' });
  const [m] = await client
    .createReceiver('requests', { receiveMode: 'receiveAndDelete' })
    .receiveMessages(1, { maxWaitTimeInMs: 10_000 });
  t.equal(m?.body, 'through the proxy', 'a message went through the logical endpoint and back');

  const councilTax = r.backOffice?.['council-tax'];
  if (councilTax === undefined) throw new Error('no council tax service');
  const missing = await fetch(`${councilTax}/accounts/6000000000`);
  t.ok([400, 404].includes(missing.status), 'the back office answers (an unknown account)');
  t.match(await missing.text(), /^<\?xml/, 'in XML');

  await client.close();
  sim.child.kill('SIGTERM');
  t.equal(await sim.exited, 0, 'SIGTERM closes everything and exits 0');
});

void t.test('refuses a bad simulator config with exit code 2 and the part at fault', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-sim-world-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const top = join(dir, 'top.json');
  writeFileSync(top, JSON.stringify({ tenants: [] }));
  const a = start(['--config', top, '--out', dir]);
  t.equal(await a.exited, 2);
  t.match(a.stderr(), /^relaycheck: SIM_E_WORLD_CONFIG: simulator config: Unrecognized key/);

  const part = join(dir, 'part.json');
  writeFileSync(part, JSON.stringify({ hybrid: { namespace: 'no' } }));
  const b = start(['--config', part, '--out', dir]);
  t.equal(await b.exited, 2);
  t.match(b.stderr(), /^relaycheck: SIM_E_HC_CONFIG/);
});

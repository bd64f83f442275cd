// `relaycheck sim servicebus` as a user runs it: a child process that prints its endpoints,
// a connection string the unmodified SDK uses as printed, and a clean stop on SIGTERM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { startSim } from './lib/spawn-sim';
import { ServiceBusClient } from '@azure/service-bus';

interface Ready {
  readonly namespace: string;
  readonly control: string;
  readonly caPath: string | null;
  readonly listeners: Record<string, { readonly connectionString: string; readonly port: number }>;
}

function start(args: string[]) {
  return startSim<Ready>(['servicebus', ...args]);
}

void t.test('prints connection strings the SDK uses as printed, and stops cleanly', async (t) => {
  const sim = start(['--json']);
  t.teardown(() => {
    sim.child.kill('SIGKILL');
  });
  const ready = await sim.ready;
  t.equal(ready.namespace, 'council-42');
  t.match(
    ready.listeners.plain?.connectionString,
    /^Endpoint=sb:\/\/localhost:\d+\/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=[^;]+;UseDevelopmentEmulator=true$/,
  );
  t.ok(
    ready.listeners.tls !== undefined && ready.listeners.websocket !== undefined,
    'all three listeners',
  );
  t.match(ready.control, /^http:\/\/127\.0\.0\.1:\d+$/);

  const client = new ServiceBusClient(ready.listeners.plain?.connectionString ?? '');
  const sender = client.createSender('handshake');
  await sender.sendMessages({ body: { hello: 'council-42' }, messageId: 'first' });
  const receiver = client.createReceiver('handshake');
  const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
  t.same(message?.body, { hello: 'council-42' });
  if (message !== undefined) await receiver.completeMessage(message);
  await client.close();

  const entities = (await (await fetch(`${ready.control}/entities`)).json()) as {
    entities: { path: string; active: number }[];
  };
  t.equal(
    entities.entities.find((e) => e.path === 'handshake')?.active,
    0,
    'the control API sees the queue drained',
  );

  sim.child.kill('SIGTERM');
  t.equal(await sim.exited, 0, 'SIGTERM closes everything and exits 0');
});

void t.test('refuses an unreadable or invalid namespace config with exit code 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-sim-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const bad = join(dir, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({ namespace: 'x', queues: [{ name: 'q', maxDeliveryCount: 0 }] }),
  );
  for (const [file, reason] of [
    [join(dir, 'missing.json'), /SIM_E_SB_CONFIG: cannot read the namespace config .*ENOENT/],
    [bad, /SIM_E_SB_CONFIG: /],
  ] as const) {
    const sim = start(['--config', file]);
    await t.rejects(sim.ready, 'it never reports ready');
    t.equal(await sim.exited, 2, `${file} exits 2`);
    t.match(sim.stderr(), reason);
    t.equal(sim.stderr().trim().split('\n').length, 1, 'one line');
  }
});

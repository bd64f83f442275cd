// The TLS server sockets: logical 443 and logical 9352 (the "tcp" connectivity mode), both
// the same endpoint with the simulator's run-time CA. In: listeners and senders that trust
// the CA (the `ca` option), and one that does not. Out: a request relayed over each, wss://
// rendezvous addresses, and a refused TLS handshake for the client without the CA.
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  TestListener,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
  type HybridListenerKind,
} from '../src/cloud/hybrid';

void t.test('both TLS listeners relay a request with the CA trusted', async (t) => {
  const { config } = testHybridConfig();
  const sim = await startHybridSimulator(config);
  t.teardown(() => sim.close());
  const ca = sim.caPem;
  t.ok(ca !== undefined && sim.caPath !== undefined);
  t.equal(readFileSync(sim.caPath ?? '', 'utf8'), ca, 'the CA is written to caPath');
  t.equal(sim.listeners.https?.logicalPort, 443);
  t.equal(sim.listeners.tcp?.logicalPort, 9352);
  t.not(sim.listeners.https?.port, sim.listeners.tcp?.port);
  for (const kind of ['https', 'tcp'] as HybridListenerKind[]) {
    const listener = await TestListener.connect(sim.listenerUrl('hyco', kind), sim.token('hyco'), {
      ca,
    });
    const answered = relayRequest(sim.senderUrl('hyco', kind), {
      method: 'POST',
      body: Buffer.alloc(80_000, 1),
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
      ca,
    });
    const notice = await listener.nextJson('request');
    t.match(
      notice.address,
      /^wss:\/\/127\.0\.0\.1:\d+\/\$hc\/hyco\?/,
      `${kind}: a wss:// rendezvous`,
    );
    const rendezvous = await TestListener.rendezvous(String(notice.address), { ca });
    const { request, body } = await rendezvous.nextRequest();
    t.equal(body?.length, 80_000);
    rendezvous.respond(String(request.id), 200, { body: kind });
    t.equal((await answered).body.toString(), kind, `${kind}: relayed`);
    await rendezvous.close();
    await listener.close();
  }
});

void t.test('a client that does not trust the CA fails the TLS handshake', async (t) => {
  const { config } = testHybridConfig();
  const sim = await startHybridSimulator(config, { listeners: { plain: false, tcp: false } });
  t.teardown(() => sim.close());
  await t.rejects(
    TestListener.connect(sim.listenerUrl('hyco'), sim.token('hyco')),
    /self-signed|unable to verify|certificate/i,
  );
});

void t.test(
  'the rendezvous address names the host the listener used (the logical name works)',
  async (t) => {
    const { config } = testHybridConfig();
    const sim = await startHybridSimulator(config, { listeners: { https: false, tcp: false } });
    t.teardown(() => sim.close());
    const listener = await TestListener.connect(
      sim.listenerUrl('hyco', 'plain'),
      sim.token('hyco'),
      {
        headers: { Host: 'council-42.servicebus.windows.net:443' },
      },
    );
    t.teardown(() => listener.close());
    const answered = relayRequest(sim.senderUrl('hyco', 'plain'), {
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
    });
    const request = await listener.nextJson('request');
    t.match(request.address, /^ws:\/\/council-42\.servicebus\.windows\.net:443\/\$hc\/hyco\?/);
    listener.respond(String(request.id), 200);
    await answered;
    await listener.close();
    const evil = await TestListener.connect(sim.listenerUrl('hyco', 'plain'), sim.token('hyco'), {
      headers: { Host: 'attacker.example:443' },
    });
    t.teardown(() => evil.close());
    const answered2 = relayRequest(sim.senderUrl('hyco', 'plain'), {
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
    });
    const r2 = await evil.nextJson('request');
    t.match(r2.address, /^ws:\/\/127\.0\.0\.1:\d+\//, 'a foreign Host never becomes a dial target');
    evil.respond(String(r2.id), 200);
    await answered2;
  },
);

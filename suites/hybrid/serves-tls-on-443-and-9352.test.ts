// HC-017: the same endpoint over TLS on logical 443 and logical 9352 (the relay's "tcp"
// connectivity mode). In: OUR listener configured with wss://<namespace host> (443) for `hyco`
// and wss://<namespace host>:9352 for `tax`, dialled through the endpoint map to the
// simulator's two TLS sockets, trusting only the simulator's CA (passed as `ca`; nothing
// turns verification off); senders over https with the same CA. Out: on both ports the
// control channel opens, small requests go on it and > 64 KiB requests and responses go by
// rendezvous on the same port, each under the logical name (Host and TLS server name); a
// listener that does not trust the CA fails its TLS handshake (RELAY_E_HC_HANDSHAKE,
// retryable) and so does a sender.
import { ManualScheduler } from '../../simulator/src/cloud/hybrid';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { seededBytes, seededSha256, sha256Hex } from './lib/bytes';
import { KIB, LinkedRelayScheduler, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-017', async (t) => {
  const h = await startHarness(t, { tls: true });
  const office = backEnd();
  const ports = [
    { via: 'https', path: 'hyco', logical: 443 },
    { via: 'tcp', path: 'tax', logical: 9352 },
  ] as const;

  for (const p of ports) {
    h.events.clear();
    const listener = await h.listen({ handler: office.handler, via: p.via, path: p.path });
    t.equal(
      listener.config.port,
      p.logical,
      `${p.logical}: the listener dials logical ${p.logical}`,
    );
    t.match(await h.events.until(SIM_CHANNELS.listenerConnected), { path: p.path, via: p.via });

    const small = await h.send(`${p.path}/echo`, { via: p.via, method: 'POST', body: 'tls' });
    t.match(small.json(), { mode: 'control', sha256: sha256Hex.of('tls') }, `${p.logical}: small`);
    const upload = seededBytes(`tls-${p.logical}`, 100 * KIB);
    const large = await h.send(`${p.path}/echo`, { via: p.via, method: 'POST', body: upload });
    t.match(
      large.json(),
      { mode: 'rendezvous', size: upload.length, sha256: sha256Hex.of(upload) },
      `${p.logical}: a 100 KiB request by rendezvous`,
    );
    const doc = await h.send(`${p.path}/pdf?bytes=${100 * KIB}&seed=tls-${p.logical}`, {
      via: p.via,
    });
    t.equal(
      doc.sha256,
      seededSha256(`tls-${p.logical}`, 100 * KIB, { pdf: true }),
      `${p.logical}: a 100 KiB response by rendezvous`,
    );
    t.match(
      h.events.of(RELAY_CHANNELS.responseSent).map((e) => e.mode),
      ['control', 'rendezvous', 'rendezvous'],
    );
    const real = h.sim.listeners[p.via]?.port;
    for (const purpose of ['control', 'rendezvous']) {
      t.ok(
        h.dials.includes(`${purpose} ${h.sim.host}:${p.logical} -> 127.0.0.1:${String(real)}`),
        `${p.logical}: the ${purpose} socket went to logical ${p.logical}, mapped to its TLS socket`,
      );
    }
  }
  t.same(
    h.sim.endpoint
      .listeners()
      .map((l) => `${l.path} ${l.via}`)
      .sort(),
    ['hyco https', 'tax tcp'],
  );

  // Without the simulator's CA nothing connects.
  h.events.clear();
  const untrusting = await h.listen({
    handler: office.handler,
    path: 'open',
    via: 'https',
    trustCa: false,
    ready: false,
    scheduler: new LinkedRelayScheduler(new ManualScheduler()),
  });
  t.match(await h.events.until(RELAY_CHANNELS.refused), {
    code: 'RELAY_E_HC_HANDSHAKE',
    retryable: true,
  });
  t.match(await h.events.until(SIM_CHANNELS.tls), { listener: 'https' });
  t.not(untrusting.state, 'connected', 'a listener without the CA does not connect');
  const refused = await h.send('hyco/echo', { via: 'tcp', trustCa: false }).then(
    () => 'answered',
    (e: unknown) => (e instanceof Error ? e.message : String(e)),
  );
  t.match(refused, /certificate/, 'a sender without the CA is refused by its own TLS check');
});

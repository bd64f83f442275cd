// HC-003: request bodies of 64 KiB − 1, 64 KiB and 64 KiB + 1. In: three POSTs with
// deterministic bodies of 65,535, 65,536 and 65,537 bytes (Content-Length). Out: the first two
// go on the control channel, the third by rendezvous (the endpoint announces only an address
// and OUR listener fetches the request there); all three reach the back end byte for byte
// (sha-256), as the sim:hc:request / relay:hc:request-received events show.
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { seededBytes, sha256Hex } from './lib/bytes';
import { KIB, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-003', async (t) => {
  const h = await startHarness(t);
  const office = backEnd();
  await h.listen({ handler: office.handler });

  const cases = [
    { size: 64 * KIB - 1, route: 'control' },
    { size: 64 * KIB, route: 'control' },
    { size: 64 * KIB + 1, route: 'rendezvous' },
  ] as const;
  for (const c of cases) {
    h.events.clear();
    const body = seededBytes(`request-${c.size}`, c.size);
    const answer = await h.send('hyco/echo', {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    t.equal(answer.status, 200, `${c.size} bytes: answered`);
    t.match(
      answer.json(),
      { size: c.size, sha256: sha256Hex.of(body), mode: c.route },
      `${c.size} bytes: the back end got every byte, by ${c.route}`,
    );
    t.match(
      h.events.of(SIM_CHANNELS.request),
      [{ route: c.route, bodyBytes: c.size }],
      `${c.size} bytes: the endpoint routed it by ${c.route}`,
    );
    t.match(
      h.events.of(RELAY_CHANNELS.requestReceived),
      [{ mode: c.route, size: c.size }],
      `${c.size} bytes: OUR listener received it by ${c.route}`,
    );
    const opened = h.events.of(SIM_CHANNELS.rendezvous, (e) => e.event === 'opened');
    t.same(
      opened.map((e) => e.kind),
      c.route === 'rendezvous' ? ['request'] : [],
      `${c.size} bytes: ${c.route === 'rendezvous' ? 'one request rendezvous' : 'no rendezvous'}`,
    );
    if (c.route === 'control') {
      t.match(
        h.events.of(SIM_CHANNELS.frame, (e) => e.verb === 'body' && e.direction === 'out'),
        [{ channel: 'control', bytes: c.size }],
        `${c.size} bytes: the body went as one control-channel message`,
      );
    }
  }
  t.equal(office.served.length, 3, 'the back end saw each request once');
  t.ok(
    h.dials.some((d) => d.startsWith('rendezvous council-42.servicebus.windows.net:80 ->')),
    'the rendezvous address named the logical namespace host, mapped to loopback',
  );
});

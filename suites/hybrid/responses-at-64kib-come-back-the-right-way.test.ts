// HC-004: responses of 64 KiB − 1, 64 KiB and 64 KiB + 1. In: three small GETs for documents
// of 65,535, 65,536 and 65,537 bytes, streamed by the back end in 64 KiB chunks without a
// Content-Length; then the same sizes with a declared Content-Length. Out: OUR listener
// answers the first two on the control channel and the third on a rendezvous socket it opens
// for the response (relay:hc:response-sent mode, sim:hc:rendezvous kind response, the
// channel of the response frame); the sender gets every byte (sha-256).
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { seededSha256 } from './lib/bytes';
import { KIB, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-004', async (t) => {
  const h = await startHarness(t);
  const office = backEnd();
  await h.listen({ handler: office.handler });

  const sizes = [
    { size: 64 * KIB - 1, route: 'control' },
    { size: 64 * KIB, route: 'control' },
    { size: 64 * KIB + 1, route: 'rendezvous' },
  ] as const;
  for (const declare of [false, true]) {
    for (const c of sizes) {
      h.events.clear();
      const seed = `response-${c.size}-${declare}`;
      const what = `${c.size} bytes${declare ? ' with Content-Length' : ''}`;
      const answer = await h.send(
        `hyco/pdf?bytes=${c.size}&seed=${seed}${declare ? '&declare=1' : ''}`,
      );
      t.equal(answer.status, 200, `${what}: answered`);
      t.equal(answer.headers['content-type'], 'application/pdf');
      t.equal(answer.bytes, c.size, `${what}: every byte arrived`);
      t.equal(answer.sha256, seededSha256(seed, c.size, { pdf: true }), `${what}: byte for byte`);
      t.match(
        h.events.of(RELAY_CHANNELS.responseSent),
        [{ mode: c.route, bytes: c.size, status: 200 }],
        `${what}: OUR listener sent it by ${c.route}`,
      );
      t.same(
        h.events
          .of(SIM_CHANNELS.frame, (e) => e.verb === 'response' && e.direction === 'in')
          .map((e) => e.channel),
        [c.route],
        `${what}: the endpoint got the response frame on the ${c.route} channel`,
      );
      t.same(
        h.events.of(SIM_CHANNELS.rendezvous, (e) => e.event === 'opened').map((e) => e.kind),
        c.route === 'rendezvous' ? ['response'] : [],
        `${what}: ${c.route === 'rendezvous' ? 'a response rendezvous' : 'no rendezvous'}`,
      );
      t.match(h.events.of(SIM_CHANNELS.response), [{ status: 200, bodyBytes: c.size }]);
    }
  }
  t.equal(office.served.length, 6);
  t.ok(
    office.served.every((s) => s.mode === 'control'),
    'every request itself came on the control channel',
  );
});

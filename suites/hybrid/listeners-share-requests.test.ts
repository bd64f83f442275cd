// HC-010: several listeners on one path share the requests. In: three of OUR listeners on
// `hyco` (sb-hc-id relay-a, relay-b, relay-c), each with its own back end; 9 requests one
// after another, then 30 at once. Out: the endpoint spreads them (each listener serves some
// in both rounds), every request is answered exactly once, by the listener its answer names.
import { kase } from '../lib/case';
import { latencies, recordMetric } from '../lib/evidence';
import { backEnd, type BackEnd } from './lib/backend';
import { SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-010', async (t) => {
  const h = await startHarness(t);
  const offices = new Map<string, BackEnd>();
  for (const name of ['relay-a', 'relay-b', 'relay-c']) {
    const office = backEnd(name);
    offices.set(name, office);
    await h.listen({ handler: office.handler, config: { listenerId: name } });
  }
  t.same(
    h.sim.endpoint
      .listeners({ path: 'hyco' })
      .map((l) => l.clientId)
      .sort(),
    ['relay-a', 'relay-b', 'relay-c'],
    'three listeners on one path, known by their sb-hc-id',
  );

  const round = async (
    answers: Promise<{ headers: Record<string, unknown>; status: number }>[],
  ) => {
    const done = await Promise.all(answers);
    t.ok(
      done.every((a) => a.status === 200),
      `all ${done.length} answered 200`,
    );
    const by = new Map<string, number>();
    for (const a of done) {
      const name = String(a.headers['x-served-by']);
      by.set(name, (by.get(name) ?? 0) + 1);
    }
    return by;
  };

  // Evidence only, never asserted on: each request's send-to-answer time.
  const oneByOne = latencies();
  const atOnce = latencies();
  const sequential = await round(
    await (async () => {
      const out = [];
      for (let i = 0; i < 9; i += 1) {
        out.push(Promise.resolve(await oneByOne.time(() => h.send(`hyco/echo?n=${i}`))));
      }
      return out;
    })(),
  );
  t.same([...sequential.keys()].sort(), ['relay-a', 'relay-b', 'relay-c'], 'one by one: all serve');

  const parallel = await round(
    Array.from({ length: 30 }, (_, i) =>
      atOnce.time(() => h.send(`hyco/echo?p=${i}`, { method: 'POST', body: `${i}` })),
    ),
  );
  recordMetric({
    name: 'send to answer, one by one',
    unit: 'ms',
    kind: 'samples',
    values: oneByOne.values,
  });
  recordMetric({
    name: 'send to answer, 30 at once',
    unit: 'ms',
    kind: 'samples',
    values: atOnce.values,
  });
  t.same([...parallel.keys()].sort(), ['relay-a', 'relay-b', 'relay-c'], 'at once: all serve');

  const served = [...offices.values()].flatMap((o) => o.served);
  t.equal(served.length, 39, 'the back ends saw 39 requests in all');
  t.equal(new Set(served.map((s) => s.id)).size, 39, 'each request exactly once');
  for (const [name, office] of offices) {
    t.equal(
      office.served.length,
      (sequential.get(name) ?? 0) + (parallel.get(name) ?? 0),
      `${name} served what its answers say`,
    );
  }
  t.equal(h.events.of(SIM_CHANNELS.request).length, 39);
  t.equal(
    new Set(h.events.of(SIM_CHANNELS.request).map((e) => e.listenerId)).size,
    3,
    'the endpoint routed to all three',
  );
});

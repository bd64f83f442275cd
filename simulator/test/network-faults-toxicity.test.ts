// Toxicity: the probability that a fault hits a connection, rolled once per connection from a
// seeded stream per (fault, endpoint). 0 hits none, 1 hits all, p hits exactly the
// connections the stream predicts, and a reset replays the same pattern.
import t from 'tap';
import { endpointKey, startNetworkModel, toxicityStream, type NetworkModel } from '../src/network';
import { dial, readToClose, startTestServer } from '../src/network/testing';

const HOST = 'council-42.servicebus.windows.net';
const ADDRESS = '51.140.146.50';

async function setup(t: tap.Test, toxicity: number, seed = 99) {
  const echo = await startTestServer('echo');
  t.teardown(() => echo.close());
  const model = await startNetworkModel({
    seed,
    hosts: [
      {
        name: HOST,
        addresses: [ADDRESS],
        services: [{ port: 443, target: { host: echo.host, port: echo.port } }],
      },
    ],
    faults: [
      {
        name: 'flaky',
        type: 'limit_data',
        direction: 'downstream',
        toxicity,
        attributes: { bytes: 2 },
      },
    ],
  });
  t.teardown(() => model.close());
  return model;
}

/** Opens `n` connections one after another; true for each the fault hit (cut after 2 bytes). */
async function hits(model: NetworkModel, n: number): Promise<boolean[]> {
  const port = model.endpoints.get(`${ADDRESS}:443`)?.dial.port ?? 0;
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const r = await dial(port);
    if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
    const done = readToClose(r.socket);
    r.socket.end('hello');
    const { data } = await done;
    out.push(data.length === 2);
  }
  const actions = model.events
    .since(0)
    .filter(
      (e) =>
        e.channel === 'sim:net:fault' && (e.data.action === 'armed' || e.data.action === 'skipped'),
    )
    .map((e) => e.data.action === 'armed');
  if (actions.join() !== out.join())
    throw new Error('the events disagree with what the client saw');
  return out;
}

void t.test('toxicity 0 hits no connection', async (t) => {
  const model = await setup(t, 0);
  t.same(await hits(model, 12), Array(12).fill(false));
});

void t.test('toxicity 1 hits every connection', async (t) => {
  const model = await setup(t, 1);
  t.same(await hits(model, 12), Array(12).fill(true));
});

void t.test('toxicity p hits exactly the connections the seeded stream predicts', async (t) => {
  const model = await setup(t, 0.5, 99);
  const stream = toxicityStream(99, 'flaky', endpointKey(ADDRESS, 443));
  const predicted = Array.from({ length: 24 }, () => stream.next() < 0.5);
  const seen = await hits(model, 24);
  t.same(seen, predicted);
  t.ok(seen.includes(true) && seen.includes(false), 'both outcomes occur');
  await model.reset();
  t.same(await hits(model, 24), predicted, 'a reset replays the same pattern');
});

void t.test('another seed rolls another pattern', async (t) => {
  const a = toxicityStream(1, 'flaky', endpointKey(ADDRESS, 443));
  const b = toxicityStream(2, 'flaky', endpointKey(ADDRESS, 443));
  const pa = Array.from({ length: 32 }, () => a.next() < 0.5);
  const pb = Array.from({ length: 32 }, () => b.next() < 0.5);
  t.not(pa.join(), pb.join());
  const model = await setup(t, 0.5, 2);
  t.same(await hits(model, 8), pb.slice(0, 8));
});

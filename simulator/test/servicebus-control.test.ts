// The simulated namespace's control API over real HTTP on loopback, with the real engine
// behind it. In: HTTP requests. Out: the engine's state and the fault switches.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { ServiceBusEngine, defaultNamespaceConfig } from '../src/cloud/servicebus/engine';
import { ManualClock, textMessage } from '../src/cloud/servicebus/engine/testing';
import { noFaults, startControlApi, type ControlTarget } from '../src/cloud/servicebus/control';

async function setup(t: tap.Test) {
  const engine = new ServiceBusEngine({
    config: defaultNamespaceConfig({ rootManageKey: randomBytes(32).toString('base64') }),
    clock: new ManualClock(),
  });
  let drops = 0;
  const target: ControlTarget = {
    engine,
    faults: noFaults(),
    dropConnections: () => {
      drops += 1;
      return 3;
    },
  };
  const api = await startControlApi(target);
  t.teardown(() => api.close());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api.url}${path}`, {
      method,
      ...(body !== undefined
        ? { body: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { engine, target, call, drops: () => drops };
}

void t.test('lists entities with their counts and the messages they hold', async (t) => {
  const { engine, call } = await setup(t);
  engine.send('handshake', [textMessage('hello', { messageId: 'm-1' })]);
  const entities = await call('GET', '/entities');
  t.equal(entities.status, 200);
  const list = entities.json.entities as { path: string; active: number }[];
  t.equal(list.find((e) => e.path === 'handshake')?.active, 1);
  const messages = await call('GET', '/messages?path=handshake');
  const [m] = messages.json.messages as Record<string, unknown>[];
  t.equal(m?.messageId, 'm-1');
  t.equal(m?.size, 5);
  t.notOk(m !== undefined && 'message' in m, 'the opaque payload is not shown');
});

void t.test('shows a dead-letter queue and purges an entity', async (t) => {
  const { engine, call } = await setup(t);
  engine.send('handshake', [textMessage('a'), textMessage('b')]);
  const receiver = engine.openReceiver('handshake', { mode: 'peekLock', name: 'r' });
  const [first] = engine.pull(receiver.id, 1);
  if (first?.lockToken === undefined) throw new Error('no locked delivery');
  engine.deadLetter(first.lockToken, { reason: 'bad', description: 'on purpose' });
  const dlq = await call('GET', '/deadletter?path=HANDSHAKE');
  const [dead] = dlq.json.messages as Record<string, unknown>[];
  t.equal(dead?.deadLetterReason, 'bad');
  const purge = await call('DELETE', '/messages?path=handshake');
  t.same(purge.json, { purged: 1 });
  t.equal(engine.messages('handshake').length, 0);
});

void t.test('sets the fault switches the AMQP edge reads', async (t) => {
  const { target, call, drops } = await setup(t);
  const off = {
    refuseCbs: null,
    dispositionDelayMs: 0,
    serverBusy: false,
    serverBusyEntities: null,
  };
  t.same((await call('GET', '/faults')).json, off, 'no fault is on at start');
  t.same((await call('POST', '/faults/cbs', { status: 401 })).json, { ...off, refuseCbs: 401 });
  t.equal(target.faults.refuseCbs, 401);
  t.same((await call('POST', '/faults/dispositions', { delayMs: 250 })).json, {
    ...off,
    refuseCbs: 401,
    dispositionDelayMs: 250,
  });
  t.equal(target.faults.dispositionDelayMs, 250);
  t.same((await call('POST', '/faults/cbs', { status: null })).json, {
    ...off,
    dispositionDelayMs: 250,
  });
  t.equal(target.faults.refuseCbs, undefined, 'null turns verification back on');
  await call('POST', '/faults/dispositions', { delayMs: 0 });
  t.equal(target.faults.dispositionDelayMs, undefined);
  t.same((await call('POST', '/faults/server-busy', { busy: true })).json, {
    ...off,
    serverBusy: true,
  });
  t.equal(target.faults.serverBusy, true, 'throttling every entity');
  t.equal(target.faults.serverBusyEntities, undefined);
  t.same((await call('POST', '/faults/server-busy', { busy: true, entities: ['requests'] })).json, {
    ...off,
    serverBusy: true,
    serverBusyEntities: ['requests'],
  });
  t.same(target.faults.serverBusyEntities, ['requests'], 'or only the entities named');
  t.same((await call('POST', '/faults/server-busy', { busy: false })).json, off);
  t.equal(target.faults.serverBusy, undefined, 'false: the throttling is over');
  t.equal(target.faults.serverBusyEntities, undefined);
  t.same((await call('POST', '/faults/drop-connections')).json, { dropped: 3 });
  t.equal(drops(), 1);
});

void t.test('forces a lock loss so the message is delivered again', async (t) => {
  const { engine, call } = await setup(t);
  engine.send('handshake', [textMessage('x')]);
  const receiver = engine.openReceiver('handshake', { mode: 'peekLock', name: 'r' });
  const [d] = engine.pull(receiver.id, 1);
  const lost = await call('POST', '/faults/lock-loss', { lockToken: d?.lockToken });
  t.same(lost.json, { lost: 1 });
  const [again] = engine.pull(receiver.id, 1);
  t.equal(again?.sequenceNumber, d?.sequenceNumber, 'the same message comes back');
  t.equal(again?.deliveryCount, (d?.deliveryCount ?? 0) + 1);
});

void t.test('refuses bad requests with a typed code and the right status', async (t) => {
  const { call } = await setup(t);
  const cases: [string, string, unknown, number, string][] = [
    ['GET', '/nowhere', undefined, 404, 'SIM_E_CTL_ROUTE'],
    ['GET', '/messages', undefined, 400, 'SIM_E_CTL_REQUEST'],
    ['GET', '/messages?path=nope', undefined, 404, 'SIM_E_SB_NOT_FOUND'],
    ['POST', '/faults/cbs', '{not json', 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/cbs', { status: 200 }, 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/cbs', {}, 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/dispositions', { delayMs: 'soon' }, 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/server-busy', {}, 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/server-busy', { busy: 'yes' }, 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/server-busy', { busy: true, entities: [] }, 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/server-busy', { busy: true, entities: [''] }, 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/lock-loss', {}, 400, 'SIM_E_CTL_REQUEST'],
    ['POST', '/faults/cbs', 'x'.repeat(70_000), 413, 'SIM_E_CTL_TOO_LARGE'],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = await call(method, path, body);
    t.equal(r.status, status, `${method} ${path} → ${status}`);
    t.equal(r.json.code, code, `${method} ${path} → ${code}`);
  }
});

void t.test('refuses to listen anywhere but loopback', async (t) => {
  await t.rejects(
    startControlApi(
      { engine: {} as never, faults: noFaults(), dropConnections: () => 0 },
      { host: '0.0.0.0' },
    ),
    { code: 'SIM_E_CTL_BIND' },
  );
});

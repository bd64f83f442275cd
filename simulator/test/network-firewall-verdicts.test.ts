// The egress firewall seen from a real client through the endpoint proxies: accept forwards,
// reject is a real ECONNREFUSED, drop is silence until the client's own timeout, rules change
// at run time on the same loopback ports, and every dial is an event naming its rule.
import diagnostics from 'node:diagnostics_channel';
import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { startNetworkModel, type RulesetInput } from '../src/network';
import { dial, readBytes, readToClose, startTestServer } from '../src/network/testing';

const HOST = 'council-42.servicebus.windows.net';

async function setup(t: tap.Test, firewall: RulesetInput, maxConnectionsPerEndpoint = 1024) {
  const echo = await startTestServer('echo');
  t.teardown(() => echo.close());
  const target = { host: echo.host, port: echo.port };
  const model = await startNetworkModel({
    ranges: { prefixes: ['51.140.146.48/29'] },
    hosts: [
      {
        name: HOST,
        services: [
          { port: 5671, target },
          { port: 443, target },
          { port: 9352, target },
        ],
      },
    ],
    firewall,
    maxConnectionsPerEndpoint,
  });
  t.teardown(() => model.close());
  const endpoint = (port: number) => {
    const e = [...model.endpoints.values()].find((x) => x.port === port);
    if (e === undefined) throw new Error(`no endpoint on ${port}`);
    return e;
  };
  return { model, echo, endpoint };
}

async function roundTrip(socket: Socket, text: string): Promise<string> {
  socket.write(text);
  return (await readBytes(socket, Buffer.byteLength(text))).toString();
}

void t.test('an accepted dial reaches the simulator listener and echoes back', async (t) => {
  const { endpoint, model } = await setup(t, { defaultPolicy: 'accept', rules: [] });
  const e = endpoint(5671);
  t.equal(e.state, 'listening');
  t.match(e.logicalAddress, /^51\.140\.146\.(49|5[0-4])$/, 'the logical address is in the range');
  const r = await dial(e.dial.port);
  if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
  t.equal(await roundTrip(r.socket, 'hello relay'), 'hello relay');
  r.socket.end();
  await readToClose(r.socket);
  const dials = model.events.since(0).filter((x) => x.channel === 'sim:net:dial');
  t.equal(dials.length, 1);
  t.match(dials[0]?.data, {
    host: HOST,
    address: e.logicalAddress,
    port: 5671,
    verdict: 'accept',
    rule: '(default policy)',
    source: /^127\.0\.0\.1:\d+$/,
  });
});

void t.test('a rejected endpoint refuses the dial with a real ECONNREFUSED', async (t) => {
  const { endpoint } = await setup(t, {
    defaultPolicy: 'accept',
    rules: [{ name: 'no-amqps', verdict: 'reject', destination: 'any', ports: 5671 }],
  });
  const refused = endpoint(5671);
  t.equal(refused.state, 'refusing');
  t.equal(refused.verdict, 'reject');
  t.equal(refused.rule, 'no-amqps');
  t.not(refused.dial.port, 0, 'the endpoint still has its loopback port in the map');
  t.same(await dial(refused.dial.port), { error: 'ECONNREFUSED' });
  const open = await dial(endpoint(443).dial.port);
  t.ok(open.socket, 'the other ports are not affected');
  open.socket?.destroy();
});

void t.test('a dropped dial gets no byte and no close before the client gives up', async (t) => {
  const { endpoint, echo, model } = await setup(t, {
    defaultPolicy: 'accept',
    rules: [
      { name: 'silent-hc', verdict: 'drop', destination: '51.140.146.48/29', ports: '9350-9354' },
    ],
  });
  const r = await dial(endpoint(9352).dial.port);
  if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
  const socket = r.socket;
  const seen: string[] = [];
  socket.on('data', () => seen.push('data'));
  socket.on('end', () => seen.push('end'));
  socket.on('close', () => seen.push('close'));
  socket.setTimeout(50);
  socket.write('anyone there?');
  await new Promise<void>((resolve) => socket.once('timeout', resolve));
  t.same(seen, [], 'nothing arrived before the client timeout');
  socket.destroy();
  t.equal(echo.accepted, 0, 'nothing was forwarded to the simulator');
  const dialEvent = model.events.since(0).find((x) => x.channel === 'sim:net:dial');
  t.match(dialEvent?.data, { verdict: 'drop', rule: 'silent-hc', rulePosition: 1, port: 9352 });
});

void t.test('a rule change refuses and then serves again on the same loopback port', async (t) => {
  const { endpoint, model } = await setup(t, { defaultPolicy: 'accept', rules: [] });
  const before = endpoint(5671).dial.port;
  await model.firewall.set({
    defaultPolicy: 'reject',
    rules: [{ verdict: 'accept', destination: 'any', ports: 443 }],
  });
  t.equal(endpoint(5671).state, 'refusing');
  t.same(await dial(before), { error: 'ECONNREFUSED' });
  await model.firewall.set({ defaultPolicy: 'accept', rules: [] });
  t.equal(endpoint(5671).dial.port, before, 'the relay config stays valid');
  const r = await dial(before);
  if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
  t.equal(await roundTrip(r.socket, 'back'), 'back');
  r.socket.destroy();
  const states = model.events
    .since(0)
    .filter((e) => e.channel === 'sim:net:endpoint' && e.data.port === 5671)
    .map((e) => e.data.state);
  t.same(states, ['listening', 'refusing', 'listening']);
});

void t.test('existing connections survive a new rule unless told to apply it', async (t) => {
  const { endpoint, model } = await setup(t, { defaultPolicy: 'accept', rules: [] });
  const kept = await dial(endpoint(443).dial.port);
  const cut = await dial(endpoint(5671).dial.port);
  if (kept.socket === undefined || cut.socket === undefined) throw new Error('dial failed');
  t.equal(await roundTrip(kept.socket, 'a'), 'a');
  t.equal(await roundTrip(cut.socket, 'b'), 'b');
  await model.firewall.set(
    { defaultPolicy: 'accept', rules: [{ verdict: 'reject', destination: 'any', ports: 443 }] },
    { existing: 'keep' },
  );
  t.equal(await roundTrip(kept.socket, 'still here'), 'still here', 'a stateful firewall keeps it');
  const closing = readToClose(cut.socket);
  await model.firewall.set(
    { defaultPolicy: 'accept', rules: [{ verdict: 'reject', destination: 'any', ports: 5671 }] },
    { existing: 'apply' },
  );
  const end = await closing;
  t.equal(end.error, 'ECONNRESET', 'an applied reject resets the open connection');
  kept.socket.destroy();
});

void t.test('dial attempts are published on sim:net:dial with the matched rule', async (t) => {
  const { endpoint } = await setup(t, {
    defaultPolicy: 'reject',
    rules: [
      { name: 'azure-1', verdict: 'accept', destination: '51.140.146.48/29', ports: [443, 5671] },
    ],
  });
  const seen: unknown[] = [];
  const listener = (message: unknown): void => {
    seen.push(message);
  };
  diagnostics.subscribe('sim:net:dial', listener);
  t.teardown(() => diagnostics.unsubscribe('sim:net:dial', listener));
  const r = await dial(endpoint(443).dial.port);
  r.socket?.destroy();
  t.equal(endpoint(9352).state, 'refusing', 'the default policy refuses 9352');
  t.match(seen, [{ verdict: 'accept', rule: 'azure-1', rulePosition: 1, port: 443 }]);
});

void t.test(
  'an endpoint at its connection bound resets the next dial instead of growing',
  async (t) => {
    const { endpoint, model } = await setup(
      t,
      { defaultPolicy: 'accept', rules: [{ verdict: 'drop', destination: 'any', ports: 9352 }] },
      2,
    );
    const port = endpoint(9352).dial.port;
    const held = [await dial(port), await dial(port)];
    // The RST may beat the client's own connect callback: either way the dial reads ECONNRESET.
    const third = await dial(port);
    const error =
      third.socket === undefined ? third.error : (await readToClose(third.socket)).error;
    t.equal(error, 'ECONNRESET', 'the third dial is reset');
    const dials = model.events.since(0).filter((e) => e.channel === 'sim:net:dial');
    t.same(
      dials.map((e) => e.data.overLimit ?? false),
      [false, false, true],
    );
    for (const h of held) h.socket?.destroy();
  },
);

void t.test('a port taken while refusing is replaced by a new one in the map', async (t) => {
  const { endpoint, model } = await setup(t, { defaultPolicy: 'accept', rules: [] });
  const before = endpoint(5671).dial.port;
  await model.firewall.set({
    defaultPolicy: 'reject',
    rules: [{ verdict: 'accept', destination: 'any', ports: 443 }],
  });
  // Another process's listener takes the released port while the endpoint refuses.
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(before, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) =>
        squatter.close(() => {
          resolve();
        }),
      ),
  );
  await model.firewall.set({ defaultPolicy: 'accept', rules: [] });
  const after = endpoint(5671);
  t.equal(after.state, 'listening', 'the endpoint serves again');
  t.not(after.dial.port, before, 'on a new loopback port');
  t.same(model.relayConfig().endpoints.find((x) => x.port === 5671)?.dial.port, after.dial.port);
  const r = await dial(after.dial.port);
  if (r.socket === undefined) throw new Error(`dial failed: ${r.error}`);
  t.equal(await roundTrip(r.socket, 'moved'), 'moved');
  r.socket.destroy();
});

// The Service Bus client's AMQP idle timeout and the relay's watch on its connection. In: a
// client from serviceBusClientFor (development profile, plain AMQP through the network map) to a
// loopback AMQP peer (rhea) behind a forwarder the test can silence, as a firewall that drops
// silences a connection. Out: the connection opens with the relay's idle timeout (the SDK's 60 s
// when none is set, its constant left as it was); once the forwarder is silent the connection is
// declared dead (nothing arrived for twice the idle timeout) and watchServiceBusConnection says
// so once, with a reason and no secret.
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Constants as AmqpConstants } from '@azure/core-amqp';
import type { ServiceBusClient } from '@azure/service-bus';
import rhea, { type EventContext, type Message, type Sender } from 'rhea';
import t, { type Test } from 'tap';
import {
  createEgress,
  serviceBusClientFor,
  staticNetworkMap,
  watchServiceBusConnection,
} from '../../src/connectivity';
import { RANGES, SB_HOST, tableResolver, testSettings } from './helpers/fakes';

const SB_ADDRESS = '198.51.100.10';

/**
 * An AMQP peer that opens connections (and heartbeats), accepts put-tokens, links and messages;
 * `opened`: the idle timeout of the first Open it receives.
 */
async function amqpPeer(t: Test): Promise<{ port: number; opened: Promise<{ idle: unknown }> }> {
  const container = rhea.create_container({ id: 'peer' });
  const opened = new Promise<{ idle: unknown }>((resolve) => {
    container.once('connection_open', (ctx: EventContext) => {
      // The idle timeout the client's Open frame asked for.
      resolve({ idle: ctx.connection.idle_time_out });
    });
  });
  // Every put-token is accepted (status 200 on the $cbs reply link); links and messages are
  // accepted by rhea itself.
  container.on('message', (ctx: EventContext) => {
    if (ctx.receiver?.target.address !== '$cbs' || ctx.message === undefined) return;
    const request = ctx.message;
    const reply = ctx.connection.find_sender((s: Sender) => s.source.address === '$cbs');
    const answer: Message = {
      body: null,
      application_properties: { 'status-code': 200, 'status-description': 'OK' },
    };
    if (request.reply_to !== undefined) answer.to = request.reply_to;
    if (request.message_id !== undefined) answer.correlation_id = request.message_id;
    reply?.send(answer);
  });
  container.on('error', () => undefined);
  const server: Server = container.listen({ port: 0, host: '127.0.0.1' });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
  });
  await once(server, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        // With an error: rhea hears of a socket's end only by 'end' or 'error' (else its
        // heartbeat timer, armed for the client's idle timeout, would keep the process up).
        for (const s of sockets) s.destroy(new Error('the test is over'));
        server.close(() => {
          resolve();
        });
      }),
  );
  return { port: (server.address() as AddressInfo).port, opened };
}

/** A TCP forwarder to `port`; silence() stops every byte both ways, closing nothing. */
async function forwarder(t: Test, port: number): Promise<{ port: number; silence: () => void }> {
  let silent = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    client.on('data', (b: Buffer) => {
      if (!silent) upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      if (!silent) client.write(b);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          resolve();
        });
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    silence: () => {
      silent = true;
    },
  };
}

async function clientTo(
  t: Test,
  port: number,
  idleTimeoutMs: number | undefined,
): Promise<ServiceBusClient> {
  const egress = await createEgress(
    testSettings({
      profile: 'development',
      egress: { ports: [443, 5671, 5672, 9352], ranges: { prefixes: RANGES } },
    }),
    {
      networkMap: staticNetworkMap({
        version: 1,
        hosts: [{ name: SB_HOST, addresses: [SB_ADDRESS] }],
        endpoints: [
          {
            host: SB_HOST,
            logicalAddress: SB_ADDRESS,
            port: 5672,
            dial: { host: '127.0.0.1', port },
            current: true,
          },
        ],
      }),
      resolver: tableResolver({ [SB_HOST]: [SB_ADDRESS] }),
    },
  );
  const client = await serviceBusClientFor('tcp', egress, {
    plain: true,
    ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
  });
  // A silent peer never answers the close: it is waited for at most 2 s.
  t.teardown(async () => {
    await Promise.race([
      client.close().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2_000).unref()),
    ]);
  });
  return client;
}

/** Makes the SDK open its connection: one message sent (the peer accepts it). */
function openConnection(client: ServiceBusClient): Promise<void> {
  return client.createSender('requests').sendMessages({ body: 'x' });
}

void t.test('the connection opens with the configured idle timeout', async (t) => {
  const peer = await amqpPeer(t);
  const client = await clientTo(t, peer.port, 1_500);
  t.equal(
    AmqpConstants.defaultConnectionIdleTimeoutInMs,
    60_000,
    "the SDK's constant is put back once the client is built",
  );
  await openConnection(client);
  t.same(await peer.opened, { idle: 1_500 });
});

void t.test("without one, the SDK's 60 s", async (t) => {
  const peer = await amqpPeer(t);
  const client = await clientTo(t, peer.port, undefined);
  await openConnection(client);
  t.same(await peer.opened, { idle: 60_000 });
});

void t.test('a silenced connection is declared lost within twice the idle timeout', async (t) => {
  const peer = await amqpPeer(t);
  const fwd = await forwarder(t, peer.port);
  const idleMs = 400;
  const client = await clientTo(t, fwd.port, idleMs);
  const reasons: string[] = [];
  let lostAt = 0;
  const lost = new Promise<void>((resolve) => {
    const stop = watchServiceBusConnection(client, (reason) => {
      reasons.push(reason);
      lostAt = performance.now();
      resolve();
    });
    t.teardown(stop);
  });
  // Sent and settled first: nothing of the SDK's is left waiting on the silent connection.
  await openConnection(client);
  const silencedAt = performance.now();
  fwd.silence();
  await lost;
  const waited = lostAt - silencedAt;
  // Twice the idle timeout, then rhea's 1 s close grace; a loaded machine adds to both.
  t.ok(waited >= idleMs, `not before the idle timeout (${String(Math.round(waited))} ms)`);
  t.ok(
    waited < 2 * idleMs + 1_000 + 5_000,
    `well before the SDK's 120 s (${String(Math.round(waited))} ms)`,
  );
  t.equal(reasons.length, 1, 'said once');
  t.match(reasons[0], /^AMQP connection lost/);
});

void t.test('a client whose SDK shape is unknown is not watched (and nothing throws)', (t) => {
  const notAClient = Object.create(null) as ServiceBusClient;
  const stop = watchServiceBusConnection(notAClient, () => {
    t.fail('never called');
  });
  stop();
  t.end();
});

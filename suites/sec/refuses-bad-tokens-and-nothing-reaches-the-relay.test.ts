// SEC-004: bad SAS tokens at the simulated namespaces while the reference relay (a child process)
// runs. In: the world with a live relay; tokens made here with the tenant's and the relay's own
// rules — expired a minute ago, valid but with one character of the signature changed, signed
// for another entity (another queue, another Hybrid Connection) and for another namespace —
// presented by the @azure/service-bus SDK (send to `requests`, receive from it), over HTTP to
// the Hybrid Connections sender front and over WebSocket as a rogue listener on the relay's
// paths. Out: every one refused (UnauthorizedAccess; 401) with the SAS reason in the
// simulator's own event; nothing enqueued, no request routed to a listener, no work at the relay
// or the back office, no listener registered besides the relay's; the relay then still serves
// a retrieval and a Service Bus request.
import { randomUUID } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { ServiceBusClient } from '@azure/service-bus';
import { request } from 'undici';
import WebSocket from 'ws';
import { createSasToken } from '../../relay/src/protocol/sas';
import { kase } from '../lib/case';
import { startRelayWorld } from '../lib/relay-world';

type Event = Readonly<Record<string, unknown>>;

/** Records what the simulator publishes on `channels` while the case runs. */
function record(t: tap.Test, channels: readonly string[]): (channel: string) => Event[] {
  const seen = new Map<string, Event[]>(channels.map((c) => [c, []]));
  const subs = channels.map((channel) => {
    const fn = (m: unknown): void => {
      seen.get(channel)?.push(m as Event);
    };
    diagnostics.subscribe(channel, fn);
    return { channel, fn };
  });
  t.teardown(() => {
    for (const s of subs) diagnostics.unsubscribe(s.channel, s.fn);
  });
  return (channel) => [...(seen.get(channel) ?? [])];
}

/** `token` with one character of its signature changed (still valid base64 and URL text). */
function tampered(token: string): string {
  return token.replace(/sig=([^&]+)/, (_m, sig: string) => {
    const raw = decodeURIComponent(sig);
    const i = Math.floor(raw.length / 2);
    const swapped = raw[i] === 'A' ? 'B' : 'A';
    return `sig=${encodeURIComponent(raw.slice(0, i) + swapped + raw.slice(i + 1))}`;
  });
}

const HOUR = 3600;
const now = (): number => Math.floor(Date.now() / 1000);

void kase('SEC-004', async (t) => {
  const sim = record(t, [
    'sim:sb:cbs',
    'sim:sb:enqueued',
    'sim:sb:locked',
    'sim:hc:sender-refused',
    'sim:hc:listener-refused',
    'sim:hc:listener-connected',
    'sim:hc:request',
  ]);
  const rw = await startRelayWorld(t);
  const { world } = rw;
  const relay = await rw.relayUnderTest();
  if (relay === undefined) throw new Error('SEC-004 needs the reference relay');
  const { tenant, backOffice, hybrid } = world;
  const plain = world.serviceBus?.listeners.plain;
  const sbTenant = world.config.serviceBus?.authorizationRules.find((r) => r.keyName === 'tenant');
  const hcRules = world.config.hybrid?.authorizationRules ?? [];
  const hcSend = hcRules.find((r) => r.keyName === 'cloud-tenant');
  const hcListen = hcRules.find((r) => r.keyName === 'council-relay');
  if (
    tenant === undefined ||
    backOffice === undefined ||
    hybrid === undefined ||
    plain === undefined ||
    sbTenant === undefined ||
    hcSend === undefined ||
    hcListen === undefined
  ) {
    throw new Error('the world lacks a tenant, back office, Hybrid Connections or rules');
  }
  const ref = backOffice.data.councilTax.references[0];
  if (ref === undefined) throw new Error('no council tax account');
  const connectedBefore = sim('sim:hc:listener-connected').length;
  const requestsBefore = sim('sim:hc:request').length;
  const listenersBefore = hybrid.endpoint.listeners().map((l) => `${l.path} ${l.id}`);
  const journalBefore = backOffice.journal.stats().total;
  const relayWorkBefore = relay.events.filter((e) => e.channel === 'relay:work').length;

  // ------------------------------------------------------------------ Service Bus, the SDK
  const sbHost = `${plain.host}:${String(plain.port)}`;
  const sbToken = (resource: string, expiresAt = now() + HOUR): string =>
    createSasToken({ resource, keyName: sbTenant.keyName, key: sbTenant.key, expiresAt });
  const sbBad = [
    {
      what: 'expired',
      token: sbToken(`sb://${sbHost}/`, now() - 60),
      status: 401,
      reason: 'SAS_E_EXPIRED',
    },
    {
      what: 'tampered',
      token: tampered(sbToken(`sb://${sbHost}/`)),
      status: 401,
      reason: 'SAS_E_SIGNATURE',
    },
    {
      what: 'for another entity (replies)',
      token: sbToken(`sb://${sbHost}/replies`),
      status: 403,
      reason: 'SAS_E_RESOURCE',
    },
    {
      what: 'for another namespace',
      token: sbToken('sb://council-99.servicebus.windows.net/'),
      status: 403,
      reason: 'SAS_E_RESOURCE',
    },
  ];
  const sentIds: string[] = [];
  for (const b of sbBad) {
    const cbsBefore = sim('sim:sb:cbs').length;
    const sb = new ServiceBusClient(
      `Endpoint=sb://${sbHost};SharedAccessSignature=${b.token};UseDevelopmentEmulator=true`,
      { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } },
    );
    try {
      const messageId = `sec4-${randomUUID()}`;
      sentIds.push(messageId);
      const sendError = await sb
        .createSender('requests')
        .sendMessages({ body: Buffer.from('<x/>'), messageId, subject: 'ctb-intake' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      t.match(sendError, { code: 'UnauthorizedAccess' }, `Service Bus, ${b.what}: send refused`);
      const receiveError = await sb
        .createReceiver('requests')
        .receiveMessages(1, { maxWaitTimeInMs: 2_000 })
        .then(
          (got) => got,
          (e: unknown) => e,
        );
      t.match(receiveError, { code: 'UnauthorizedAccess' }, `${b.what}: receive refused`);
      // The relay's and the tenant's own put-tokens (202) may fall in the same window.
      const refusals = sim('sim:sb:cbs')
        .slice(cbsBefore)
        .filter((d) => d.status !== 202);
      t.ok(refusals.length >= 2, 'the namespace refused each put-token');
      t.same(
        refusals.map((d) => [d.status, d.reason]),
        refusals.map(() => [b.status, b.reason]),
        `each with ${String(b.status)} ${b.reason}`,
      );
    } finally {
      await sb.close();
    }
  }
  t.same(
    sim('sim:sb:enqueued').filter((e) => sentIds.includes(String(e.messageId))),
    [],
    'nothing was enqueued',
  );
  t.notOk(JSON.stringify(sim('sim:sb:cbs')).includes('sig='), 'no token in the namespace events');

  // ------------------------------------------------------ Hybrid Connections: the sender front
  const front = hybrid.listeners.plain;
  if (front === undefined) throw new Error('no plain Hybrid Connections listener');
  const hcToken = (
    rule: { keyName: string; key: string },
    resource: string,
    expiresAt = now() + HOUR,
  ): string => createSasToken({ resource, keyName: rule.keyName, key: rule.key, expiresAt });
  const hcBase = `http://${hybrid.host}`;
  const senderBad = [
    {
      what: 'expired',
      token: hcToken(hcSend, `${hcBase}/council-tax`, now() - 60),
      status: 401,
      reason: 'SAS_E_EXPIRED',
    },
    {
      what: 'tampered',
      token: tampered(hcToken(hcSend, `${hcBase}/council-tax`)),
      status: 401,
      reason: 'SAS_E_SIGNATURE',
    },
    {
      what: 'for another Hybrid Connection (business-rates)',
      token: hcToken(hcSend, `${hcBase}/business-rates`),
      status: 403,
      reason: 'SAS_E_RESOURCE',
    },
    {
      what: 'for another namespace',
      token: hcToken(hcSend, 'http://council-99-relay.servicebus.windows.net/council-tax'),
      status: 403,
      reason: 'SAS_E_RESOURCE',
    },
  ];
  for (const b of senderBad) {
    for (const where of ['header', 'query'] as const) {
      const refusedBefore = sim('sim:hc:sender-refused').length;
      const messageId = `sec4-hc-${randomUUID()}`;
      const target = `${front.url}/council-tax/accounts/${ref}${
        where === 'query' ? `?sb-hc-token=${encodeURIComponent(b.token)}` : ''
      }`;
      const res = await request(target, {
        method: 'GET',
        headers: {
          'rc-route': 'council-tax',
          'rc-message-id': messageId,
          ...(where === 'header' ? { servicebusauthorization: b.token } : {}),
        },
      });
      await res.body.dump();
      t.equal(
        res.statusCode,
        b.status,
        `sender, ${b.what}, token in the ${where}: ${String(b.status)}`,
      );
      const refused = sim('sim:hc:sender-refused').slice(refusedBefore);
      t.match(refused, [{ status: b.status, code: b.reason }], `with ${b.reason}`);
    }
  }

  // ------------------------------------------- Hybrid Connections: a rogue listener, WebSocket
  const listenBad = [
    {
      what: 'expired',
      token: hcToken(hcListen, `${hcBase}/council-tax`, now() - 60),
      status: 401,
      reason: 'SAS_E_EXPIRED',
    },
    {
      what: 'tampered',
      token: tampered(hcToken(hcListen, `${hcBase}/council-tax`)),
      status: 401,
      reason: 'SAS_E_SIGNATURE',
    },
    {
      what: 'for another Hybrid Connection (documents)',
      token: hcToken(hcListen, `${hcBase}/documents`),
      status: 403,
      reason: 'SAS_E_RESOURCE',
    },
    {
      what: 'for another namespace',
      token: hcToken(hcListen, 'http://council-99-relay.servicebus.windows.net/council-tax'),
      status: 403,
      reason: 'SAS_E_RESOURCE',
    },
  ];
  for (const b of listenBad) {
    const refusedBefore = sim('sim:hc:listener-refused').length;
    const ws = new WebSocket(hybrid.listenerUrl('council-tax', 'plain'), {
      headers: { ServiceBusAuthorization: b.token },
    });
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('error', () => {
        resolve(0);
      });
    });
    ws.terminate();
    t.equal(
      status,
      b.status,
      `rogue listener, ${b.what}: the upgrade is answered ${String(b.status)}`,
    );
    t.match(
      sim('sim:hc:listener-refused').slice(refusedBefore),
      [{ path: 'council-tax', status: b.status, code: b.reason }],
      `with ${b.reason}`,
    );
  }
  t.same(
    sim('sim:hc:listener-connected').slice(connectedBefore),
    [],
    'no listener connected while the case ran',
  );
  t.same(
    hybrid.endpoint.listeners().map((l) => `${l.path} ${l.id}`),
    listenersBefore,
    "the relay's listeners, and only they, are registered",
  );
  t.same(sim('sim:hc:request').slice(requestsBefore), [], 'no request was routed to any listener');
  t.equal(
    relay.events.filter((e) => e.channel === 'relay:work').length,
    relayWorkBefore,
    'the relay saw no work',
  );
  t.equal(backOffice.journal.stats().total, journalBefore, 'the back office saw nothing');

  // The relay still serves, over both transports.
  const answer = await tenant.call(`/council-tax/accounts/${ref}`, {
    method: 'GET',
    route: 'council-tax',
  });
  t.equal(answer.status, 200, 'a genuine retrieval is answered');
  t.ok(answer.sealed, 'sealed');
  const work = await tenant.sendWork('council-tax', Buffer.alloc(0), {
    properties: { path: `/accounts/${ref}` },
  });
  t.equal(work.status, 200, 'and a genuine Service Bus request');
});

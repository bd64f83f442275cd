// A case's capture listens to every diagnostics channel the simulator and the in-process relay
// publish on, and lets go of them when the case ends. In: the channel lists the simulator's
// and the relay's events modules export (the relay's full list from relay.ts). Out: each is
// captured, with the source the report groups it under.
import diagnostics from 'node:diagnostics_channel';
import t from 'tap';
import { RELAY_EVENT_CHANNELS } from '../../relay/src/relay';
import { BO_CHANNELS } from '../../simulator/src/backoffice/events';
import { HC_ALL_CHANNELS } from '../../simulator/src/cloud/hybrid/events';
import { ALL_CHANNELS as SB_CHANNELS } from '../../simulator/src/cloud/servicebus/amqp/events';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant/events';
import { ALL_NET_CHANNELS } from '../../simulator/src/network/events';
import { CAPTURED_CHANNELS, openCaseEvidence, sourceOf } from '../lib/evidence';

const lists: readonly (readonly [string, readonly string[], string])[] = [
  ['network', ALL_NET_CHANNELS, 'net'],
  ['Service Bus', SB_CHANNELS, 'sb'],
  ['Hybrid Connections', HC_ALL_CHANNELS, 'hc'],
  ['back office', Object.values(BO_CHANNELS), 'bo'],
  ['tenant', Object.values(TENANT_CHANNELS), 'tenant'],
  ['relay', RELAY_EVENT_CHANNELS, 'relay'],
];

void t.test('every exported simulator and relay channel is captured under its source', (t) => {
  const captured = new Set(CAPTURED_CHANNELS);
  for (const [what, channels, source] of lists) {
    t.ok(channels.length > 0, `the ${what} exports channels`);
    t.same(
      channels.filter((c) => !captured.has(c)),
      [],
      `every ${what} channel is captured`,
    );
    t.same(
      [...new Set(channels.map(sourceOf))],
      [source],
      `${what} events are shown as source '${source}'`,
    );
  }
  t.equal(sourceOf('sim:other:thing'), 'sim');
  t.end();
});

void t.test('the capture holds its subscriptions only while the case runs', (t) => {
  const before = CAPTURED_CHANNELS.filter((c) => diagnostics.channel(c).hasSubscribers);
  t.same(before, [], 'nothing listens before the case');
  const recorder = openCaseEvidence('FAKE-001 a fake case');
  t.same(
    CAPTURED_CHANNELS.filter((c) => !diagnostics.channel(c).hasSubscribers),
    [],
    'every channel is listened to while it runs',
  );
  recorder.finish();
  t.same(
    CAPTURED_CHANNELS.filter((c) => diagnostics.channel(c).hasSubscribers),
    [],
    'and none after it',
  );
  t.end();
});

// The real reference relay across a real kernel firewall. In: the lab of network namespaces
// (suites/lib/netns.ts) with the rules `relaycheck firewall` writes from the lab service-tag file
// loaded in `council` (nft -f, as docs/firewall.md tells a council); the simulated world in
// `azure` on lab addresses inside the lab's UK South and UK West ranges, the back office in
// `backoffice` (suites/netns/lib/relay-lab.ts); the relay run in `council` as a council runs it
// (`relaycheck relay --config`), resolving the logical names through the namespace's /etc/hosts
// and dialling them for real. Out, from the relay's events, the tenant's replies, the back
// office's journal and the forwarders that accepted the connections:
//   1. over TCP (5671, 9352) to the lab addresses, a council tax look-up over Service Bus and one
//      over Hybrid Connections are answered;
//   2. their back-office calls land in `backoffice`, from the council's address;
//   3. with the TCP ports closed by a council table of its own (a reject in any table is final),
//      the relay falls back to 443 (the probes name 5671 and 9352 refused) and, once the far end
//      has dropped the connections the firewall cut, the look-ups are still answered;
//   4. with the names moved to the lab's outside address, the relay refuses to dial it and names
//      the missing range (RELAY_E_EGRESS_RANGE); a relay whose own ranges would let it through
//      meets the kernel's refusal instead (RELAY_E_EGRESS_REFUSED); nothing reaches it.
// Needs root, ip and nft: skipped with the reason otherwise.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { explainOutside, outsideExplainer, selectRangesAndSource } from '../../relay/src/egress';
import { LAB, createLab, findTool, labUnavailable, probe, type NetnsLab } from '../lib/netns';
import { isEvent, type RelayChild, type RelayEvent } from '../lib/relay-child';
import {
  COUNCIL_CLOSES_TCP,
  LAB_SOURCE,
  RELAY_TCP_PORTS,
  councilTaxJournal,
  councilTaxReferences,
  loadGeneratedRules,
  lookupOverHybrid,
  lookupOverServiceBus,
  relayConfig,
  startAzure,
  startBackOffice,
  startCouncilRelay,
  within,
  writeRelayConfig,
  type AzureSide,
  type TenantAnswer,
} from './lib/relay-lab';

const skip =
  labUnavailable() ??
  (findTool('nft') === undefined ? 'nft (nftables) is not installed' : undefined);

/** Bound on the relay reaching a state (start-up under ts-node included). */
const STATE_MS = 45_000;

const byNumber = (a: unknown, b: unknown): number => Number(a) - Number(b);

function data(e: RelayEvent, key: string): unknown {
  return e.data[key];
}

/** The relay's dials with these fields, from event index `from`. */
function dials(relay: RelayChild, fields: Readonly<Record<string, unknown>>, from = 0) {
  return relay.events.slice(from).filter(isEvent('relay:egress:dial', fields));
}

/** The relay's probes with these fields, from event index `from`. */
function probes(relay: RelayChild, fields: Readonly<Record<string, unknown>>, from = 0) {
  return relay.events.slice(from).filter(isEvent('relay:connectivity:probe', fields));
}

function answered(t: tap.Test, a: TenantAnswer, reference: string, what: string): void {
  t.same(
    { httpStatus: a.httpStatus, status: a.status, code: a.code },
    { httpStatus: 200, status: 200, code: undefined },
    `${what}: answered 200`,
  );
  t.ok(
    a.bodyText?.includes(`reference="${reference}"`),
    `${what}: the reply is the account ${reference}`,
  );
}

/** The relay's work events of one message id. */
function work(relay: RelayChild, messageId: string): RelayEvent[] {
  return relay.events.filter(
    (e) => e.channel === 'relay:work' && data(e, 'messageId') === messageId,
  );
}

void t.test(
  'the reference relay in a council behind the generated nftables rules',
  { skip },
  async (t) => {
    const lab: NetnsLab = await createLab(t);
    const dir = mkdtempSync(join(tmpdir(), 'relaycheck-netns-relay-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    await loadGeneratedRules(lab, dir);
    const [azure, bo] = await Promise.all([startAzure(lab, dir), startBackOffice(lab, dir)]);
    const refs = await councilTaxReferences(lab, bo, 4);
    const ref = (i: number): string => refs[i] ?? '';
    // The council's DNS: the logical names at the lab's UK South and UK West addresses.
    lab.hosts(lab.council, { [azure.sbHost]: LAB.uksouth4, [azure.hcHost]: LAB.ukwest4 });
    const relay = startCouncilRelay(
      t,
      lab,
      writeRelayConfig(dir, 'relay.json', relayConfig(azure)),
      azure,
    );

    await t.test(
      'over TCP (5671 and 9352) to the lab addresses, look-ups over Service Bus and Hybrid Connections are answered',
      async (t) => {
        const mode = await within(
          relay.waitFor(isEvent('relay:connectivity:mode'), 'the first mode'),
          STATE_MS,
          'connectivity mode',
        );
        t.same(
          { mode: data(mode, 'mode'), amqp: data(mode, 'amqp'), hc: data(mode, 'hc') },
          { mode: 'tcp', amqp: 'tcp', hc: 'tcp' },
          'the relay chose tcp for both transports',
        );
        await within(
          relay.waitFor(isEvent('relay:session', { state: 'live' }), 'a live session'),
          STATE_MS,
          'live session',
        );
        await within(
          relay.waitFor(isEvent('relay:hc:connected'), 'a Hybrid Connections listener'),
          STATE_MS,
          'listener connected',
        );
        for (const [purpose, address, port] of [
          ['servicebus-amqps', LAB.uksouth4, 5671],
          ['hc-control', LAB.ukwest4, 9352],
        ] as const) {
          t.ok(
            dials(relay, {
              purpose,
              port,
              verdict: 'allowed',
              address,
              dial: `${address}:${String(port)}`,
            }).length > 0,
            `${purpose}: the relay checked ${address} and dialled it itself (no endpoint map)`,
          );
        }

        const sb = await lookupOverServiceBus(lab, azure, ref(0), 'netns-sb-tcp');
        answered(t, sb, ref(0), 'the look-up over Service Bus');
        t.same(
          work(relay, 'netns-sb-tcp').map((e) => [data(e, 'via'), data(e, 'outcome')]),
          [['servicebus', 'completed']],
          'the relay completed it once',
        );
        const hc = await lookupOverHybrid(lab, azure, ref(1), 'netns-hc-tcp');
        answered(t, hc, ref(1), 'the look-up over Hybrid Connections');
        t.same(
          work(relay, 'netns-hc-tcp').map((e) => [data(e, 'via'), data(e, 'outcome')]),
          [['hybrid', 'answered']],
          'the relay answered it once, over the control channel it opened on 9352',
        );

        // The connections crossed the veth from the council's address to the lab addresses.
        const accepted = azure.forwarder.accepted();
        for (const local of [`${LAB.uksouth4}:5671`, `${LAB.ukwest4}:9352`]) {
          t.ok(
            accepted.some((a) => a.local === local && a.remote.startsWith(`${LAB.council4}:`)),
            `${local} accepted connections from the council (${LAB.council4})`,
          );
        }
      },
    );

    await t.test(
      'the back-office calls of those look-ups land in the backoffice namespace',
      async (t) => {
        const journal = await councilTaxJournal(lab, bo);
        for (const r of [ref(0), ref(1)]) {
          const e = journal.filter((x) => x.path === `/accounts/${r}`);
          t.same(
            e.map((x) => ({
              method: x.method,
              status: x.status,
              outcome: x.outcome,
              host: x.headers.host,
            })),
            [{ method: 'GET', status: 200, outcome: 'answered', host: LAB.backoffice4 }],
            `account ${r}: one GET answered, addressed to ${LAB.backoffice4}`,
          );
        }
        t.equal(
          journal.find((x) => x.path === `/accounts/${ref(0)}`)?.idempotencyKey,
          'netns-sb-tcp',
          "the Service Bus look-up's call carries its message id",
        );
        const accepted = bo.forwarder.accepted();
        t.ok(
          accepted.length > 0 &&
            accepted.every(
              (a) =>
                a.local === `${LAB.backoffice4}:80` && a.remote.startsWith(`${LAB.councilBo4}:`),
            ),
          `the back office on ${LAB.backoffice4}:80 accepted them from the council (${LAB.councilBo4})`,
        );
      },
    );

    await t.test(
      'with 5671-5672 and 9350-9354 closed by a council table, the relay falls back to 443 and look-ups are still answered',
      async (t) => {
        const from = relay.events.length;
        // The council's TCP connections of the first part: on 5671 and 9352.
        const cut = azure.forwarder
          .accepted()
          .filter((a) => a.local === `${LAB.uksouth4}:5671` || a.local === `${LAB.ukwest4}:9352`);
        await lab.exec(lab.council, 'nft', ['-f', '-'], COUNCIL_CLOSES_TCP);
        t.teardown(() => lab.exec(lab.council, 'nft', ['delete', 'table', 'inet', 'council']));
        const mode = await within(
          relay.waitAfter(from, isEvent('relay:connectivity:mode', { mode: 'https' }), 'https'),
          STATE_MS,
          'fall-back to https',
        );
        t.same(
          { previous: data(mode, 'previous'), amqp: data(mode, 'amqp'), hc: data(mode, 'hc') },
          { previous: 'tcp', amqp: 'https', hc: 'https' },
          'mode https for both transports, from tcp',
        );
        for (const [target, port] of [
          ['amqp', 5671],
          ['hc', 9352],
        ] as const) {
          t.ok(
            probes(
              relay,
              { target, port, outcome: 'refused', code: 'RELAY_E_EGRESS_REFUSED' },
              from,
            ).length > 0,
            `the probe names ${target} ${String(port)} refused (the kernel's reset)`,
          );
        }
        t.same(
          [
            ...new Set(
              probes(relay, { port: 443, outcome: 'ok', diagnosis: 'allowed' }, from).map((e) =>
                data(e, 'target'),
              ),
            ),
          ].sort((a, b) => String(a).localeCompare(String(b))),
          ['amqp', 'hc'],
          '443 works for both hosts',
        );
        await within(
          relay.waitAfter(
            from,
            isEvent('relay:state', { state: 'mode-applied', mode: 'https' }),
            'https applied',
          ),
          STATE_MS,
          'https applied',
        );
        await within(
          relay.waitAfter(from, isEvent('relay:session', { state: 'live' }), 'a live session'),
          STATE_MS,
          'live session on 443',
        );
        // The far end drops the cut connections (nothing more came from the council), so the
        // broker's and the Relay's deliveries go to the relay's new links.
        await within(
          Promise.all(cut.map((c) => azure.forwarder.closed(c.id))),
          STATE_MS,
          'the cut connections to end at the far end',
        );
        const sb = await lookupOverServiceBus(lab, azure, ref(2), 'netns-sb-https');
        answered(t, sb, ref(2), 'the look-up over Service Bus (AMQP over WebSockets)');
        const hc = await lookupOverHybrid(lab, azure, ref(3), 'netns-hc-https');
        answered(t, hc, ref(3), 'the look-up over Hybrid Connections on 443');
        for (const [purpose, address] of [
          ['servicebus-wss', LAB.uksouth4],
          ['hc-control', LAB.ukwest4],
        ] as const) {
          t.ok(
            dials(relay, { purpose, port: 443, verdict: 'allowed', address }, from).length > 0,
            `${purpose} went to ${address}:443`,
          );
        }
        const journal = await councilTaxJournal(lab, bo);
        t.ok(
          [ref(2), ref(3)].every((r) =>
            journal.some((x) => x.path === `/accounts/${r}` && x.status === 200),
          ),
          'their back-office calls landed too',
        );
        await relay.stop();
      },
    );

    // The names move to the lab's outside address (in no range of the lab file).
    const moved = (): void => {
      lab.hosts(lab.council, { [azure.sbHost]: LAB.outside4, [azure.hcHost]: LAB.outside4 });
    };
    const outsideAccepted = (a: AzureSide): number =>
      a.forwarder.accepted().filter((x) => x.local.startsWith(`${LAB.outside4}:`)).length;

    await t.test(
      'an endpoint outside the ranges: the relay refuses to dial it and names the missing range',
      async (t) => {
        moved();
        const r = startCouncilRelay(
          t,
          lab,
          writeRelayConfig(dir, 'relay-outside.json', relayConfig(azure)),
          azure,
        );
        const mode = await within(
          r.waitFor(isEvent('relay:connectivity:mode'), 'a mode'),
          STATE_MS,
          'connectivity mode',
        );
        t.equal(data(mode, 'mode'), 'none', 'no path works: mode none');
        const refused = dials(r, { verdict: 'refused', code: 'RELAY_E_EGRESS_RANGE' });
        t.same(
          [...new Set(refused.map((e) => data(e, 'port')))].sort(byNumber),
          [443, 5671, ...RELAY_TCP_PORTS],
          'every probe dial was refused by the egress check',
        );
        t.ok(
          refused.every((e) => data(e, 'address') === LAB.outside4),
          `each names ${LAB.outside4}`,
        );
        const { selection, source } = await selectRangesAndSource(LAB_SOURCE, {
          regions: ['uksouth', 'ukwest'],
          tags: ['AzureCloud'],
        });
        t.same(
          explainOutside(source, selection.set, LAB.outside4).publishedIn,
          [],
          'the lab file publishes the address nowhere',
        );
        const why = outsideExplainer(source, selection.set)(LAB.outside4);
        t.ok(
          refused.every((e) => String(data(e, 'reason')).includes(why)),
          'each refusal carries the published-range explanation of the lab file',
        );
        t.same(dials(r, { verdict: 'allowed' }), [], 'nothing was dialled');
        for (const [target, port] of [
          ['amqp', 5671],
          ['amqp', 443],
          ['hc', 9352],
          ['hc', 443],
        ] as const) {
          t.ok(
            probes(r, { target, port, outcome: 'egress', code: 'RELAY_E_EGRESS_RANGE' }).length > 0,
            `the ${target} probe on ${String(port)} says egress-refused (RELAY_E_EGRESS_RANGE)`,
          );
        }
        await r.stop();
        t.equal(outsideAccepted(azure), 0, 'no connection reached the outside address');
      },
    );

    await t.test(
      "a relay whose own ranges let the outside address through meets the kernel's refusal",
      async (t) => {
        moved();
        const r = startCouncilRelay(
          t,
          lab,
          writeRelayConfig(
            dir,
            'relay-wide.json',
            relayConfig(azure, {
              egress: {
                ports: [443, 5671, 9350, 9351, 9352, 9353, 9354],
                ranges: { prefixes: ['198.18.0.0/15'] },
              },
            }),
          ),
          azure,
        );
        const mode = await within(
          r.waitFor(isEvent('relay:connectivity:mode'), 'a mode'),
          STATE_MS,
          'connectivity mode',
        );
        t.equal(data(mode, 'mode'), 'none', 'no path works: mode none');
        t.same(
          [
            ...new Set(
              dials(r, { purpose: 'probe', verdict: 'allowed', address: LAB.outside4 }).map((e) =>
                data(e, 'port'),
              ),
            ),
          ].sort(byNumber),
          [443, 5671, ...RELAY_TCP_PORTS],
          'the relay itself let every probe dial through',
        );
        for (const [target, port] of [
          ['amqp', 5671],
          ['amqp', 443],
          ['hc', 9352],
          ['hc', 443],
        ] as const) {
          t.ok(
            probes(r, {
              target,
              port,
              outcome: 'refused',
              diagnosis: 'refused',
              code: 'RELAY_E_EGRESS_REFUSED',
            }).length > 0,
            `the ${target} probe on ${String(port)} was refused by the kernel (RELAY_E_EGRESS_REFUSED)`,
          );
        }
        await r.stop();
        t.equal(outsideAccepted(azure), 0, 'no connection reached the outside address');
        // Without the rules the outside address answers: the refusal was the firewall's.
        await lab.exec(lab.council, 'nft', ['delete', 'table', 'inet', 'relaycheck']);
        const open = await probe(lab, lab.council, [[LAB.outside4, 5671]], 2000);
        t.equal(open[`${LAB.outside4} 5671`], 'connected', 'without the rules it connects');
      },
    );
  },
);

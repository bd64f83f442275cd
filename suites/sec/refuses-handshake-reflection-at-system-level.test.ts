// SEC-005: handshake reflection at system level (HS-014 proves the rule on the functions; HS-029
// the wire replay of a HELLO). In: the simulated world with no cloud side answering at first,
// the reference relay as a child process, the relay's HELLOs peeked on the `handshake` queue
// (as an observer with read access to the namespace would), then a tenant driver whose sends are
// captured as they leave (suites/sec/lib/tapped-world.ts). Out: a HELLO sent back to the relay's
// reply session as the WELCOME to that very HELLO (as it is, and relabelled "welcome") is refused
// by the relay (RELAY_E_SESSION_ANSWER, HS_E_AUTH in its log) and makes no session; the relay
// then completes its handshake with the real cloud side; a WELCOME captured on its way to the
// relay and sent to the cloud side as a HELLO (as it is, and relabelled "hello"; answered to
// another session and to the relay's own) gets REJECT and makes no session; the relay keeps its
// session (no session event after it went live) and serves work over both transports.
import diagnostics from 'node:diagnostics_channel';
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { REJECT_MESSAGE } from '../../relay/src/protocol/handshake';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { kase } from '../lib/case';
import { isEvent, waitForNth } from '../lib/relay-child';
import { PROBE_PREFIX, startTappedWorld } from './lib/tapped-world';

type Event = Readonly<Record<string, unknown>>;

function relabel(body: Buffer, t: 'hello' | 'welcome'): Buffer {
  const fields = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...fields, t }), 'utf8');
}

void kase('SEC-005', async (t) => {
  const hellos: Event[] = [];
  const enqueued: Event[] = [];
  const waiters: (() => void)[] = [];
  const onHello = (m: unknown): void => {
    hellos.push(m as Event);
  };
  const onEnqueued = (m: unknown): void => {
    const e = m as Event;
    if (e.entity !== 'handshake' || String(e.messageId).startsWith(PROBE_PREFIX)) return;
    enqueued.push(e);
    for (const w of waiters.splice(0)) w();
  };
  diagnostics.subscribe(TENANT_CHANNELS.hello, onHello);
  diagnostics.subscribe('sim:sb:enqueued', onEnqueued);
  t.teardown(() => {
    diagnostics.unsubscribe(TENANT_CHANNELS.hello, onHello);
    diagnostics.unsubscribe('sim:sb:enqueued', onEnqueued);
  });
  /** Resolves once `n` HELLOs were enqueued on the handshake queue. */
  const helloCount = (n: number): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (enqueued.length >= n) resolve();
        else waiters.push(check);
      };
      check();
    });

  const tw = await startTappedWorld(t, { tenant: 'later' });
  try {
    const relay = await tw.startRelay({ live: false });
    // One peeker: each peek goes on from the last message it saw.
    const peeker = tw.sb.createReceiver('handshake', { skipParsingBodyAsJson: true });
    const peek = async (n: number): Promise<ServiceBusReceivedMessage> => {
      await helloCount(n);
      const [m] = await peeker.peekMessages(1);
      if (m === undefined) throw new Error(`HELLO ${String(n)} is not on the queue`);
      return m;
    };

    // 1. The relay's HELLO reflected to it as the WELCOME to that HELLO: as it is, then (the
    // relay's next attempt) relabelled "welcome".
    for (const [n, what, label] of [
      [1, 'as it is', undefined],
      [2, 'relabelled "welcome"', 'welcome'],
    ] as const) {
      const hello = await peek(n);
      const instanceId = String(hello.replyToSessionId);
      const body = Buffer.from(hello.body as Buffer);
      await tw.send('handshake-replies', {
        body: label === undefined ? body : relabel(body, label),
        sessionId: instanceId,
        correlationId: hello.messageId,
        subject: 'welcome',
        contentType: 'application/json',
      });
      await waitForNth(
        relay,
        isEvent('relay:session', { state: 'failed', code: 'RELAY_E_SESSION_ANSWER' }),
        n,
        `the relay refusing its own HELLO ${what}`,
      );
      t.pass(`its own HELLO reflected ${what}: the relay refused it (RELAY_E_SESSION_ANSWER)`);
    }
    await peeker.close();
    const log = relay.stdout() + relay.stderr();
    t.equal(
      (log.match(/not an acceptable WELCOME \(HS_E_AUTH/g) ?? []).length,
      2,
      'each time for HS_E_AUTH, its log says',
    );
    t.notOk(
      relay.events.some((e) => e.channel === 'relay:session' && e.data.state === 'live'),
      'no session came of either',
    );

    // 2. The real cloud side comes up: the relay completes its handshake with it.
    const tenant = await tw.startTenant();
    await tw.rw.live(relay);
    const live = await relay.waitFor(isEvent('relay:session', { state: 'live' }), 'live');
    const instanceId = String(live.data.instanceId);
    const liveAt = relay.events.indexOf(live);
    t.ok(tenant.session(instanceId) !== undefined, 'the relay is live with the real cloud side');

    // 3. A WELCOME captured on its way to the relay, sent to the cloud side as a HELLO.
    const welcome = tw.sent.find(
      (s) => s.entity === 'handshake-replies' && s.message.subject === 'welcome',
    );
    if (welcome === undefined) throw new Error('no WELCOME was captured');
    const attacks = [
      ['as it is, answered to another session', welcome.message.body, 'mallory-1'],
      [
        'relabelled "hello", to another session',
        relabel(welcome.message.body, 'hello'),
        'mallory-2',
      ],
      ["as it is, answered to the relay's own session", welcome.message.body, instanceId],
    ] as const;
    for (const [what, body, replyTo] of attacks) {
      const messageId = `sec5-${replyTo}-${String(hellos.length)}`;
      const answered = hellos.length;
      const replies =
        replyTo === instanceId
          ? undefined
          : await tw.sb.acceptSession('handshake-replies', replyTo, {
              skipParsingBodyAsJson: true,
            });
      try {
        await tw.send('handshake', {
          body,
          messageId,
          subject: 'hello',
          contentType: 'application/json',
          replyTo: 'handshake-replies',
          replyToSessionId: replyTo,
        });
        if (replies !== undefined) {
          // subscribe, not receiveMessages: the latter leaves its maxWaitTimeInMs timer running
          // after an early answer, which keeps the process up that long after the case.
          const body = await new Promise<Buffer>((resolve, reject) => {
            const sub = replies.subscribe(
              {
                processMessage: async (m) => {
                  await sub.close();
                  resolve(Buffer.from(m.body as Buffer));
                },
                processError: async (args) => {
                  await sub.close();
                  reject(args.error);
                },
              },
              { autoCompleteMessages: true },
            );
          });
          t.equal(
            body.toString('utf8'),
            REJECT_MESSAGE,
            `a WELCOME sent as a HELLO ${what}: REJECT on the wire`,
          );
        } else {
          const rejected = (): boolean => hellos.some((h) => h.messageId === messageId);
          await new Promise<void>((resolve) => {
            const check = (): void => {
              if (rejected()) {
                diagnostics.unsubscribe(TENANT_CHANNELS.hello, check);
                resolve();
              }
            };
            diagnostics.subscribe(TENANT_CHANNELS.hello, check);
            check();
          });
        }
      } finally {
        await replies?.close();
      }
      t.match(
        hellos.slice(answered).find((h) => h.messageId === messageId),
        { outcome: 'reject', code: 'HS_E_AUTH' },
        `the cloud side refused the WELCOME ${what} (HS_E_AUTH)`,
      );
    }
    t.same(
      tenant.sessions().map((s) => s.instanceId),
      [instanceId],
      'the cloud side holds the relay’s session and no other',
    );
    t.same(
      relay.events.slice(liveAt + 1).filter((e) => e.channel === 'relay:session'),
      [],
      'the relay kept its session: no session event since it went live',
    );

    // 4. And serves.
    const { backOffice } = tw;
    const ref = backOffice.data.councilTax.references[0];
    if (ref === undefined) throw new Error('no council tax account');
    const call = await tenant.call(`/council-tax/accounts/${ref}`, {
      method: 'GET',
      route: 'council-tax',
    });
    t.equal(call.status, 200, 'a retrieval over the Hybrid Connection is answered');
    const work = await tenant.sendWork('council-tax', Buffer.alloc(0), {
      properties: { path: `/accounts/${ref}` },
    });
    t.equal(work.status, 200, 'and a Service Bus request');
  } finally {
    await tw.close();
  }
});

// The message envelope at system level (issue 10, "Envelope and tokens"; HANDSHAKE.md, "Message
// envelope"), through one run of the reference relay (a child process) in the production
// profile. In: the simulated world with duplicate detection off on `requests` (so the broker
// hands every copy to the relay, as it does outside its detection window), the tenant's
// traffic captured as it left for the namespace (suites/sec/lib/tapped-world.ts), and sends of
// our own on the tenant's rule. Out: SEC-001 (plain bodies over Service Bus are dead-lettered
// with ENV_E_PLAIN and over the Hybrid Connection answered 403; the back office records
// nothing), SEC-002 (a captured sealed body resent under another messageId, onto another route,
// onto another message, or with another message's envelope is refused, over both transports;
// nothing is executed) and SEC-003 (a captured sealed message resent after it completed and
// twice at once, over both transports, is executed once at the back office; two comments
// record how many requests the back office saw: the relay itself still hands such copies to
// it, and only its Idempotency-Key handling keeps them to one submission).
import { randomUUID } from 'node:crypto';
import t from 'tap';
import { createSasToken } from '../../relay/src/protocol/sas';
import { TENANT_CHANNELS } from '../../simulator/src/cloud/tenant';
import { kase } from '../lib/case';
import { isEvent, waitForNth, type RelayChild } from '../lib/relay-child';
import {
  intakeXml,
  namespaceWithRequests,
  receiptField,
  recordEvents,
  SB,
  about,
} from '../delivery/lib/delivery-kit';
import { farEnd } from '../route/lib/route-world';
import { startTappedWorld, type CapturedMessage, type CapturedRequest } from './lib/tapped-world';
import { evidencePdf } from './lib/samples';

const ENVELOPE = 'RELAY_E_WORK_ENVELOPE';

void (async () => {
  const events = recordEvents(t, [TENANT_CHANNELS.deadLetter, TENANT_CHANNELS.work, SB.enqueued]);
  const tw = await startTappedWorld(t, {
    world: {
      serviceBus: namespaceWithRequests((requests) => {
        delete requests.duplicateDetectionWindowMs;
      }),
    },
  });
  const relay = await tw.startRelay();
  const tenant = tw.tenant();
  const { backOffice } = tw;
  const hybrid = tw.rw.world.hybrid;
  const hcRule = tw.rw.world.config.hybrid?.authorizationRules.find(
    (r) => r.keyName === 'cloud-tenant',
  );
  if (hybrid === undefined || hcRule === undefined) throw new Error('no Hybrid Connections');
  const ref = backOffice.data.councilTax.references[0];
  if (ref === undefined) throw new Error('no council tax account');

  /** The relay's dead-lettering of `messageId` and the reason and description the tenant read. */
  const deadLettered = async (
    messageId: string,
  ): Promise<{ reason: string; description: string }> => {
    await relay.waitFor(
      isEvent('relay:work', { via: 'servicebus', messageId, outcome: 'dead-lettered' }),
      `the relay dead-lettering ${messageId}`,
    );
    await events.until(
      TENANT_CHANNELS.deadLetter,
      (es) => es.some((e) => e.messageId === messageId),
      `the tenant reading the dead letter of ${messageId}`,
    );
    const e = events.of(TENANT_CHANNELS.deadLetter).find((x) => x.messageId === messageId);
    return { reason: String(e?.reason), description: String(e?.description) };
  };

  /** A Send token for one Hybrid Connection, as the tenant signs it. */
  const sendToken = (connection: string): string =>
    createSasToken({
      resource: `http://${hybrid.host}/${connection}`,
      keyName: hcRule.keyName,
      key: hcRule.key,
      ttlSeconds: 600,
    });

  /** The tenant's last captured message on requests with this id. */
  const captured = (messageId: string): CapturedMessage => {
    const found = tw.sent.filter(
      (s) => s.entity === 'requests' && s.message.messageId === messageId,
    );
    const last = found.at(-1);
    if (last === undefined) throw new Error(`the tenant sent no ${messageId}`);
    return last;
  };

  /** The tenant's last captured Hybrid Connections call with this rc-message-id. */
  const capturedCall = (messageId: string): CapturedRequest => {
    const last = tw.calls.filter((c) => c.headers['rc-message-id'] === messageId).at(-1);
    if (last === undefined) throw new Error(`the tenant made no call ${messageId}`);
    return last;
  };

  /** `message` resent on requests with its fields changed (a property of null is removed). */
  const resend = (
    message: CapturedMessage['message'],
    change: Partial<CapturedMessage['message']> = {},
    props: Record<string, string | null> = {},
  ): Promise<void> => {
    const applicationProperties: Record<string, string | number | boolean> = {};
    const given = (message.applicationProperties ?? {}) as Record<
      string,
      string | number | boolean
    >;
    for (const [k, v] of Object.entries({ ...given, ...props })) {
      if (v !== null) applicationProperties[k] = v;
    }
    return tw.send('requests', { ...message, ...change, applicationProperties });
  };

  const refusalOf = (body: Buffer): Record<string, unknown> =>
    JSON.parse(body.toString('utf8')) as Record<string, unknown>;

  try {
    await kase('SEC-001', async (t) => {
      const before = await farEnd(backOffice);
      // Over Service Bus: an intake document and an evidence PDF with no envelope at all, each
      // addressed the way the tenant addresses its work.
      const plain: { route: string; body: Buffer; properties: Record<string, string> }[] = [
        {
          route: 'ctb-intake',
          body: intakeXml('ChangeOfCircumstances', 'sec1-plain'),
          properties: {},
        },
        {
          route: 'form-evidence',
          body: await evidencePdf('sec1-plain'),
          properties: { formType: 'housing-benefit-claim' },
        },
      ];
      for (const p of plain) {
        const messageId = `sec1-plain-${p.route}-${randomUUID()}`;
        await tw.send('requests', {
          body: p.body,
          messageId,
          subject: p.route,
          replyTo: 'replies',
          replyToSessionId: tenant.replySessionId,
          applicationProperties: { ...p.properties, 'rc-route': p.route },
        });
        const dead = await deadLettered(messageId);
        t.equal(dead.reason, ENVELOPE, `${p.route} over Service Bus: dead-lettered ${ENVELOPE}`);
        t.match(dead.description, /^ENV_E_PLAIN: /, 'and the description says the body is plain');
        t.same(backOffice.journal.byIdempotencyKey(messageId), [], 'no back office saw it');
      }

      // Over the Hybrid Connection: a plain retrieval and a plain post, with a valid Send token.
      const calls: CapturedRequest[] = [
        {
          method: 'GET',
          target: `/council-tax/accounts/${ref}`,
          headers: { 'rc-route': 'council-tax' },
          body: Buffer.alloc(0),
        },
        {
          method: 'POST',
          target: '/documents/changes',
          headers: { 'rc-route': 'ctb-intake', 'content-type': 'application/xml' },
          body: intakeXml('ChangeOfCircumstances', 'sec1-plain-hc'),
        },
      ];
      for (const c of calls) {
        const messageId = `sec1-plain-hc-${randomUUID()}`;
        const connection = c.target.split('/')[1] ?? '';
        const answer = await tw.sendRequest({
          ...c,
          headers: {
            ...c.headers,
            'rc-message-id': messageId,
            servicebusauthorization: sendToken(connection),
          },
        });
        const route = c.headers['rc-route'] ?? '';
        t.equal(answer.status, 403, `a plain ${c.method} for ${route} is answered 403`);
        t.notOk('rc-env' in answer.headers, 'a plain refusal, not a sealed answer');
        t.match(
          refusalOf(answer.body),
          { code: ENVELOPE, envCode: 'ENV_E_PLAIN' },
          `with ${ENVELOPE} and ENV_E_PLAIN`,
        );
        await relay.waitFor(
          isEvent('relay:work', { via: 'hybrid', messageId, code: ENVELOPE }),
          'the relay reporting the refusal',
        );
        t.same(backOffice.journal.byIdempotencyKey(messageId), [], 'no back office saw it');
      }
      t.same(await farEnd(backOffice), before, 'the back office recorded nothing at all');
    });

    await kase('SEC-002', async (t) => {
      // Two genuine messages, sent and executed, captured on their way to the namespace.
      const a = `sec2-a-${randomUUID()}`;
      const b = `sec2-b-${randomUUID()}`;
      const first = await tenant.sendWork('ctb-intake', intakeXml('ChangeOfCircumstances', a), {
        messageId: a,
      });
      const second = await tenant.sendWork('licensing', intakeXml('LicenceApplication', b), {
        messageId: b,
      });
      t.equal(first.status, 201, 'the genuine messages were executed');
      t.equal(second.status, 201);
      const ma = captured(a).message;
      const mb = captured(b).message;
      // Over the Hybrid Connection: a genuine sealed retrieval, captured, for the moves below.
      const hcId = `sec2-hc-${randomUUID()}`;
      const genuine = await tenant.call(`/council-tax/accounts/${ref}`, {
        method: 'GET',
        route: 'council-tax',
        messageId: hcId,
      });
      t.equal(genuine.status, 200, 'the genuine retrieval was answered');
      const before = await farEnd(backOffice);

      const moves: {
        what: string;
        messageId: string;
        change: Partial<CapturedMessage['message']>;
        props?: Record<string, string | null>;
      }[] = [
        { what: 'under another messageId', messageId: `sec2-moved-${randomUUID()}`, change: {} },
        {
          what: 'onto another route, same messageId',
          messageId: a,
          change: { subject: 'environmental-health' },
          props: { 'rc-route': 'environmental-health' },
        },
        {
          what: "onto another message (B's id and route)",
          messageId: b,
          change: { subject: 'licensing' },
          props: { 'rc-route': 'licensing' },
        },
      ];
      const refusals = (id: string): RelayChild['events'] =>
        relay.events.filter(
          (x) =>
            x.channel === 'relay:work' &&
            x.data.messageId === id &&
            x.data.outcome === 'dead-lettered',
        );
      for (const m of moves) {
        const n = refusals(m.messageId).length + 1;
        await resend(ma, { ...m.change, messageId: m.messageId }, m.props ?? {});
        await waitForNth(
          relay,
          isEvent('relay:work', { messageId: m.messageId, outcome: 'dead-lettered' }),
          n,
          `the relay refusing A's body ${m.what}`,
        );
        t.same(
          refusals(m.messageId).map((x) => x.data.code),
          Array(n).fill(ENVELOPE),
          `A's body ${m.what}: dead-lettered ${ENVELOPE}`,
        );
      }

      // B's envelope (its rc-* properties, id and route) with A's body on it.
      await resend(mb, { body: ma.body });
      await waitForNth(
        relay,
        isEvent('relay:work', { messageId: b, outcome: 'dead-lettered' }),
        2,
        "the relay refusing B's envelope on A's body",
      );

      const dead = events.of(TENANT_CHANNELS.deadLetter);
      const reasons = [a, b, moves[0]?.messageId ?? '']
        .flatMap((id) => dead.filter((e) => e.messageId === id))
        .map((e) => [e.reason, String(e.description).startsWith('ENV_E_AUTH: ')]);
      t.same(
        reasons,
        [
          [ENVELOPE, true],
          [ENVELOPE, true],
          [ENVELOPE, true],
          [ENVELOPE, true],
        ],
        'the tenant read four dead letters, each ENV_E_AUTH: the body does not open there',
      );

      // The captured sealed retrieval under another id and onto another route.
      const call = capturedCall(hcId);
      const journalBefore = backOffice.journal.stats().total;
      for (const [what, headers] of [
        ['under another rc-message-id', { 'rc-message-id': `sec2-hc-moved-${randomUUID()}` }],
        ['onto another route', { 'rc-route': 'business-rates' }],
      ] as const) {
        const answer = await tw.sendRequest({ ...call, headers: { ...call.headers, ...headers } });
        t.equal(answer.status, 403, `the sealed retrieval ${what} is answered 403`);
        t.match(refusalOf(answer.body), { code: ENVELOPE, envCode: 'ENV_E_AUTH' });
      }
      t.equal(backOffice.journal.stats().total, journalBefore, 'no back office saw them');
      t.same(await farEnd(backOffice), before, 'nothing was executed anywhere');
    });

    await kase('SEC-003', async (t) => {
      const completedOf = (id: string): RelayChild['events'] =>
        relay.events.filter(
          (e) =>
            e.channel === 'relay:work' && e.data.messageId === id && e.data.outcome === 'completed',
        );

      // Sent again after it completed: the same bytes, id and envelope.
      const c = `sec3-c-${randomUUID()}`;
      const reply = await tenant.sendWork('ctb-intake', intakeXml('ChangeOfCircumstances', c), {
        messageId: c,
      });
      t.equal(reply.status, 201, 'the original was executed');
      await resend(captured(c).message);
      await waitForNth(
        relay,
        isEvent('relay:work', { messageId: c, outcome: 'completed' }),
        2,
        'the replay',
      );
      t.same(
        completedOf(c).map((e) => e.data.replayed ?? false),
        [false, true],
        'the relay answered the replay from its record',
      );
      t.equal(
        backOffice.intake['ctb-intake'].byIdempotencyKey(c)?.reference,
        receiptField(reply.body, 'Reference'),
      );
      t.equal(backOffice.journal.byIdempotencyKey(c).length, 1, 'the back office saw one request');

      // Twice at once: two copies sent by the observer while the tenant's own send goes out.
      const d = `sec3-d-${randomUUID()}`;
      const e = `sec3-e-${randomUUID()}`;
      tw.onSend = async (m) => {
        if (m.entity !== 'requests' || (m.message.messageId !== d && m.message.messageId !== e)) {
          return;
        }
        await Promise.all([resend(m.message), resend(m.message)]);
      };
      const [xmlReply, pdfReply] = await Promise.all([
        tenant.sendWork('ctb-intake', intakeXml('CouncilTaxReductionClaim', d), { messageId: d }),
        tenant.sendWork('form-evidence', await evidencePdf(e), {
          messageId: e,
          properties: { formType: 'blue-badge-application' },
        }),
      ]);
      tw.onSend = undefined;
      for (const id of [d, e]) {
        await waitForNth(
          relay,
          isEvent('relay:work', { messageId: id }),
          3,
          `three deliveries of ${id}`,
        );
      }
      t.equal(xmlReply.status, 201, 'the tenant got its answer');
      t.equal(about(events.of(SB.enqueued), d).length, 3, 'the broker took three copies of each');
      t.equal(about(events.of(SB.enqueued), e).length, 3);
      t.same(
        relay.events
          .filter(
            (x) => x.channel === 'relay:work' && (x.data.messageId === d || x.data.messageId === e),
          )
          .map((x) => x.data.outcome),
        ['completed', 'completed', 'completed', 'completed', 'completed', 'completed'],
        'the relay completed every copy',
      );
      const submission = backOffice.intake['ctb-intake'].byIdempotencyKey(d);
      t.equal(
        submission?.reference,
        receiptField(xmlReply.body, 'Reference'),
        'one submission, the one the tenant was told of',
      );
      const files = (await backOffice.files.scan()).filter(
        (f) => f.formType === 'blue-badge-application',
      );
      const receipt = JSON.parse(pdfReply.body.toString('utf8')) as Record<string, unknown>;
      t.same(
        files.map((f) => f.name),
        [receipt.name],
        'one file in the share, the one the receipt names',
      );
      // HANDSHAKE.md: a repeated messageId is not executed again. Today the back office's own
      // Idempotency-Key handling is what keeps copies sent at once to one submission: the relay
      // has no in-flight guard per messageId (found, not fixed; recorded as evidence, not asserted).
      t.comment(
        `requests the back office saw for ${d} (copies at once): ${String(backOffice.journal.byIdempotencyKey(d).length)}`,
      );

      // Over the Hybrid Connection: a captured sealed post, replayed after it was answered and
      // then twice at once.
      const h = `sec3-hc-${randomUUID()}`;
      const posted = await tenant.call('/documents/changes', {
        method: 'POST',
        route: 'ctb-intake',
        messageId: h,
        headers: { 'content-type': 'application/xml' },
        body: intakeXml('ChangeOfCircumstances', h),
      });
      t.equal(posted.status, 201, 'the genuine post over the Hybrid Connection was executed');
      const call = capturedCall(h);
      const replays = [
        await tw.sendRequest(call),
        ...(await Promise.all([tw.sendRequest(call), tw.sendRequest(call)])),
      ];
      t.same(
        replays.map((r) => r.status < 500),
        [true, true, true],
        'each replay got an answer from the relay',
      );
      t.ok(
        backOffice.intake['ctb-intake'].byIdempotencyKey(h) !== undefined,
        'the post was submitted',
      );
      t.equal(
        backOffice.intake['ctb-intake'].byIdempotencyKey(h)?.reference,
        receiptField(posted.body, 'Reference'),
        'once: the submission the genuine post was told of',
      );
      // The Hybrid Connections path keeps no record of rc-message-id: a replay inside the
      // request-age window reaches the back office again, whose Idempotency-Key keeps it to one
      // submission (found, not fixed; recorded as evidence, not asserted).
      t.comment(
        `requests the back office saw for ${h} (a post and three replays): ${String(backOffice.journal.byIdempotencyKey(h).length)}`,
      );
    });
  } finally {
    // Before the world's own teardown: the simulator waits for its clients to go.
    await tw.close();
  }
})();

// DLV-005: a relay killed mid-delivery 20 times loses and repeats nothing. In: a world whose
// requests queue has a 5 s lock (work held by a killed relay comes back soon) and a max delivery
// count of 100 (no kill dead-letters anything); intake services that wait 20-100 ms before their
// work and trickle their answer back after it; the reference relay as a child process with a
// file idempotency store. 100 messages (60 intake posts over the three XML services, 40 PDF
// drops over four form types, distinct bodies) go out in waves of 5, one wave per relay once its
// session is live; each relay is SIGKILLed at a point drawn from a seeded schedule: inside a
// back-office call, between the back office's answer and the reply, between a file's
// publication and the reply, in a file write, after a completion. A last relay is then started
// (temporary files a kill left are aged past the relay's 60 s sweep threshold first: the
// restart is "later"). Out: every message answered; one submission per id in its intake store,
// one file per drop with the bytes sent, nothing stray; no temporary file left; nothing
// dead-lettered; a summary of the kills, the redeliveries and which mechanism (the relay's
// store, the back office's Idempotency-Key, the drop's fixed name) stopped each repeat.
import { existsSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Rng, type Journal } from '../../simulator/src/backoffice';
import { kase } from '../lib/case';
import { propertySeed } from '../lib/property';
import { isEvent, waitForNth, type RelayChild, type RelayEvent } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';
import { INTAKE_ROUTES, namespaceWithRequests } from './lib/delivery-kit';
import {
  badReplies,
  effectsOf,
  planTraffic,
  Sent,
  tempFiles,
  type Planned,
} from './lib/effects-ledger';
import {
  eventsFlushed,
  onChannel,
  openExchanges,
  tallyChannel,
  tallyTempFiles,
  untilBackOfficeIdle,
  untilRequestsDrained,
  within,
} from './lib/tallies';

// The case kills and restarts a relay 21 times: longer than the default file timeout.
t.setTimeout(420_000);

const KILLS = 20;
const WAVE = 5;
const FORM_TYPES = 4;

type Point = 'in-call' | 'after-answer' | 'after-drop' | 'in-write' | 'after-completion';
const POINTS: readonly Point[] = [
  'in-call',
  'after-answer',
  'after-drop',
  'in-write',
  'after-completion',
];
const WHERE: Readonly<Record<Point, string>> = {
  'in-call': 'inside a back-office call (the k-th intake request reached the back office)',
  'after-answer': 'between effect and reply (the k-th back-office answer reached the relay)',
  'after-drop': 'between a file published and its reply (the k-th relay:filedrop)',
  'in-write': 'in a file write (the k-th temporary file appeared)',
  'after-completion': 'after the k-th relay:work completed, the next work under way',
};

interface Kill {
  readonly n: number;
  readonly point: Point;
  readonly k: number;
  /** 'hit': the kill landed at its point; otherwise what ended the wait. */
  readonly landed: 'hit' | 'all-answered' | 'no-work';
  /** This relay's back-office exchanges still open at its kill (calls cut mid-way). */
  readonly openCalls: number;
  /** Temporary files in the share folders just after the kill (a write cut mid-way). */
  readonly temps: number;
}

/** 20 points, each kind four times, in a seeded order, with k drawn per kill. */
function schedule(rng: Rng): { point: Point; k: number }[] {
  const points = Array.from({ length: KILLS }, (_, i) => POINTS[i % POINTS.length] ?? 'in-call');
  for (let i = points.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const a = points[i] ?? 'in-call';
    points[i] = points[j] ?? 'in-call';
    points[j] = a;
  }
  return points.map((point) => ({
    point,
    k: point === 'after-drop' || point === 'in-write' ? rng.int(1, 2) : rng.int(1, 3),
  }));
}

void kase('DLV-005', async (t) => {
  const seed = propertySeed();
  t.comment(`kill schedule seed ${String(seed)} (FC_SEED replays it)`);
  const rw = await startRelayWorld(t, {
    world: {
      serviceBus: namespaceWithRequests((q) => {
        q.lockDurationMs = 5_000;
        q.maxDeliveryCount = 100;
      }),
    },
    relay: {
      limits: { maxConcurrent: 3 },
      delivery: { backoff: { baseMs: 20, maxMs: 200 } },
    },
  });
  const { world } = rw;
  const tenant = world.tenant;
  const bo = world.backOffice;
  if (tenant === undefined || bo === undefined)
    throw new Error('the world has no tenant or back office');
  const config = rw.writeRelayConfig('relay-dlv-005.json', (c) => {
    c.idempotency = { file: join(rw.dir, 'store.log') };
  });
  // Calls take a while, so kills land inside them: before the intake does its work (a wait of
  // 20-100 ms) or after it, while its answer trickles back (64 bytes every 10 ms).
  for (const { route } of INTAKE_ROUTES) {
    bo.faults.add(route, {
      action: { type: 'dribble', bytes: 64, intervalMs: 10 },
      delay: { type: 'uniform', minMs: 20, maxMs: 100 },
      label: 'DLV-005: a slow intake',
    });
  }
  const all = bo.files.formTypes();
  const shares = Array.from({ length: FORM_TYPES }, (_, i) => {
    const f = all[Math.floor((i * all.length) / FORM_TYPES)];
    if (f === undefined) throw new Error('too few form types');
    return f;
  });
  const folders = shares.map((f) => f.path);
  const plan = planTraffic({
    prefix: 'dlv5',
    xml: 60,
    files: 40,
    formTypes: shares.map((f) => f.formType),
    // 16 KiB to 176 KiB: a write and its fsync take a moment; within a Standard message.
    pdfBytes: (n) => 16_384 + ((n * 40_961) % 163_840),
  });

  // In-process observers: back-office arrivals (a call in flight), temporary files, dead
  // letters on the requests queue, and replies nobody waits for (a repeated answer).
  const intakeCalls = tallyChannel(t, 'sim:bo:request', (d) =>
    INTAKE_ROUTES.some((r) => r.route === d.service),
  );
  const temps = tallyTempFiles(t, folders);
  const deadLetters: Readonly<Record<string, unknown>>[] = [];
  onChannel(t, 'sim:sb:deadlettered', (d) => {
    if (d.entity === 'requests') deadLetters.push(d);
  });
  let orphans = 0;
  onChannel(t, 'sim:tenant:work', (d) => {
    if (d.outcome === 'orphan') orphans += 1;
  });

  // Exchanges open at the back office, and those a kill cut off (their client gone).
  const open = openExchanges(t);
  const cutOff = new Set<string>();
  const started = Date.now();

  const sent = new Sent(tenant, 900_000);
  const everyAnswer = (): Promise<'all-answered'> =>
    sent.settled().then(() => 'all-answered' as const);
  const rng = new Rng(seed, 'DLV-005');
  const kills: Kill[] = [];
  const events: RelayEvent[] = [];

  const trigger = (relay: RelayChild, point: Point, k: number): Promise<'hit'> => {
    const hit = (p: Promise<unknown>): Promise<'hit'> => p.then(() => 'hit' as const);
    switch (point) {
      case 'in-call':
        return hit(intakeCalls.until(intakeCalls.count + k));
      case 'in-write':
        return hit(temps.until(temps.count + k));
      case 'after-answer':
        return hit(
          waitForNth(
            relay,
            isEvent('relay:backoffice:attempt', { outcome: 'success' }),
            k,
            'an answer',
          ),
        );
      case 'after-drop':
        return hit(
          waitForNth(
            relay,
            (e) =>
              e.channel === 'relay:filedrop' &&
              (e.data.outcome === 'written' || e.data.outcome === 'replayed'),
            k,
            'a drop',
          ),
        );
      case 'after-completion':
        return hit(
          waitForNth(relay, isEvent('relay:work', { outcome: 'completed' }), k, 'a completion'),
        );
    }
  };

  for (const [i, { point, k }] of schedule(rng).entries()) {
    const relay = rw.startRelay(config);
    // The counts at this relay's start: its triggers count from here.
    const landing = trigger(relay, point, k);
    // A trigger that lost the race rejects when its relay is killed: nobody needs it then.
    landing.catch(() => undefined);
    await within(rw.live(relay), 60_000, `relay ${String(i + 1)} live`);
    sent.send(plan.slice(i * WAVE, (i + 1) * WAVE));
    const landed = await within(
      Promise.race([landing, everyAnswer()]),
      60_000,
      `kill point ${point} #${String(k)}`,
    ).catch(() => 'no-work' as const);
    if (relay.process.exitCode !== null || relay.process.signalCode !== null) {
      t.fail(`relay ${String(i + 1)} exited by itself before its kill`, {
        stderr: relay.stderr().slice(-2000),
      });
    }
    await relay.kill();
    const cut = [...open].filter((x) => !cutOff.has(x));
    for (const x of cut) cutOff.add(x);
    const kill: Kill = {
      n: i + 1,
      point,
      k,
      landed,
      openCalls: cut.length,
      temps: (await tempFiles(folders)).length,
    };
    kills.push(kill);
    await within(eventsFlushed(relay), 30_000, `relay ${String(i + 1)}'s events read`);
    events.push(...relay.events);
    t.comment(describe(kill, started));
  }

  // The last relay starts "later": temporary files the kills left are aged past the relay's
  // sweep threshold (60 s), which it must then remove at start.
  const left = await tempFiles(folders);
  const past = new Date(Date.now() - 120_000);
  for (const f of left) await utimes(f, past, past);
  const last = rw.startRelay(config);
  await within(last.healthUrl, 60_000, 'the last relay ready');
  if (left.length > 0) {
    const swept = await within(
      last.waitForOutput(/"swept":(\d+)/, 'the sweep of temporary files'),
      30_000,
      'the sweep log line',
    );
    t.equal(
      swept,
      `"swept":${String(left.length)}`,
      'the last relay removed every temporary file a kill left',
    );
  }
  t.same(
    left.filter((f) => existsSync(f)),
    [],
    'none of the temporary files the kills left is there once the last relay has started',
  );

  await within(everyAnswer(), 240_000, `every reply (waiting: ${sent.waiting().join(', ')})`);
  await within(untilRequestsDrained(t, world), 60_000, 'the requests queue drained');
  // Every call ended, those cut off by a kill included: no late effect can follow the count.
  await within(untilBackOfficeIdle(t, open), 60_000, 'the back office idle');

  t.same(
    [...sent.failures.keys()],
    [],
    'every message was answered (none failed or was dead-lettered)',
  );
  const effects = await effectsOf(world, plan);
  t.same(effects.lost, [], 'zero lost: every message id has its submission or its file');
  t.same(effects.duplicated, [], 'zero duplicated: no id has two submissions or two files');
  t.same(effects.altered, [], 'each effect holds the bytes that were sent');
  t.same(effects.stray, [], 'no submission or file that no message made');
  t.same(badReplies(plan, sent, effects.references), [], 'each reply names the one effect');
  t.same(await tempFiles(folders), [], 'still no temporary file once every drop is done');
  t.same(deadLetters, [], 'nothing was dead-lettered from the requests queue');
  const q = world.serviceBus?.engine.listEntities().find((e) => e.path === 'requests');
  t.equal(q?.deadLettered, 0, 'the dead-letter queue of requests is empty');
  t.equal(kills.length, KILLS, `the relay was SIGKILLed ${String(KILLS)} times`);
  t.ok(
    kills.filter((x) => x.landed === 'hit').length >= KILLS - 2,
    'the kills landed at their chosen points (work was under way at each)',
  );
  t.same(
    [...new Set(kills.filter((x) => x.landed === 'hit').map((x) => x.point))].sort(),
    [...POINTS].sort(),
    'every kind of kill point was hit',
  );
  const stop = await last.stop();
  t.equal(stop.code, 0, 'the last relay stops cleanly');
  await within(eventsFlushed(last), 30_000, "the last relay's events read");
  events.push(...last.events);

  // Evidence: where the kills landed, what came back, and what stopped each repeat.
  summarise(t, bo.journal, plan, events, orphans, left.length);
  t.comment(`back-office calls cut off by a kill: ${String(cutOff.size)}`);
});

function describe(x: Kill, started: number): string {
  return (
    `kill ${String(x.n)} at ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
    `${WHERE[x.point].replace('k-th', `#${String(x.k)}`)}: ${x.landed}; ` +
    `${String(x.openCalls)} back-office calls open, ${String(x.temps)} temporary files after it`
  );
}

/**
 * The redeliveries and, per message executed more than once somewhere, which mechanism made its
 * effect happen once: the relay's store (answered from its record, no call), the back office's
 * Idempotency-Key (a second POST reached the intake and got the original receipt: the journal
 * shows two handled POSTs for one submission), or the drop's fixed name (the same bytes found
 * already published).
 */
function summarise(
  t: tap.Test,
  journal: Journal,
  plan: readonly Planned[],
  events: readonly RelayEvent[],
  orphans: number,
  sweptTemps: number,
): void {
  const byName = new Map(plan.flatMap((p) => (p.kind === 'file' ? [[p.name, p.id] as const] : [])));
  const work = events.filter((e) => e.channel === 'relay:work');
  const redelivered = work.filter((e) => Number(e.data.deliveryCount) > 0);
  const fromStore = new Set(
    work.filter((e) => e.data.replayed === true).map((e) => String(e.data.messageId)),
  );
  const byDropName = new Set(
    events
      .filter((e) => e.channel === 'relay:filedrop' && e.data.outcome === 'replayed')
      .map((e) => byName.get(String(e.data.name)) ?? String(e.data.name)),
  );
  const byKey = new Map<string, number>();
  let posts = 0;
  for (const p of plan) {
    if (p.kind !== 'xml') continue;
    // POSTs the intake handled (a reference noted): the first made the submission.
    const handled = journal
      .byIdempotencyKey(p.id)
      .filter((e) => e.method === 'POST' && e.reference !== undefined).length;
    posts += journal.byIdempotencyKey(p.id).length;
    if (handled > 1) byKey.set(p.id, handled - 1);
  }
  const list = (ids: Iterable<string>): string => [...ids].sort().join(' ') || '(none)';
  t.comment(
    `redelivered requests handled by a relay: ${String(redelivered.length)} ` +
      `(of ${String(work.length)} relay:work events); intake POSTs the journal holds for the 60 posts: ${String(posts)}; ` +
      `repeated replies the tenant discarded: ${String(orphans)}; temporary files swept: ${String(sweptTemps)}`,
  );
  t.comment(`repeat stopped by the relay's store (answered from its record): ${list(fromStore)}`);
  t.comment(
    `repeat stopped by the back office's Idempotency-Key (original receipt replayed): ${list(
      [...byKey].map(([id, n]) => `${id}x${String(n)}`),
    )}`,
  );
  t.comment(
    `repeat stopped by the drop's fixed name (same bytes already published): ${list(byDropName)}`,
  );
}

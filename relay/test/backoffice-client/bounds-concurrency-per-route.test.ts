// Bounded concurrency per route: at most maxConcurrentPerRoute calls run on a route, at most
// maxQueuedPerRoute wait in FIFO order, and one more is refused at once with
// RELAY_E_BACKOFFICE_BUSY (back-pressure instead of a growing queue) — unless it holds a Service
// Bus message (renewLock): that one waits its turn (the receiver's credit bounds how many), so
// that a slow back office does not send it round the broker until its deliveries are used up. A
// success holds its slot until its body closes. In: replies held open by the test. Out: loads,
// the order requests reached the back office, typed refusals.
import fc from 'fast-check';
import t from 'tap';
import {
  isBackOfficeError,
  RouteLimiter,
  settlementOf,
  type BackOfficeResponse,
  type Release,
} from '../../src/work/backoffice';
import { checkAsyncProperty } from '../helpers/property';
import { drain, rejection, setup } from './helpers/setup';

type Answer = (err: null, result: [number, string]) => void;

/** Scripts `n` replies on /api/accounts/:id that wait for the test to answer them. */
function heldReplies(s: ReturnType<typeof setup>, n: number) {
  const reached: string[] = [];
  const answers = new Map<string, Answer>();
  const arrivals: (() => void)[] = [];
  s.councilTax
    .get(/^\/api\/accounts\/\d+$/)
    .times(n)
    .reply(function (uri, _body, cb) {
      reached.push(uri);
      answers.set(uri, cb);
      arrivals.shift()?.();
    });
  return {
    reached,
    answer: (uri: string, status: number, body: string) => answers.get(uri)?.(null, [status, body]),
    /** Resolves when `count` requests in all have reached the back office. */
    arrived: (count: number): Promise<void> =>
      reached.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => {
            const check = (): void => {
              if (reached.length >= count) resolve();
              else arrivals.push(check);
            };
            arrivals.push(check);
          }),
  };
}

void t.test('two run, one waits, the fourth is refused at once with BUSY', async (t) => {
  const s = setup(t, { maxConcurrentPerRoute: 2, maxQueuedPerRoute: 1 });
  const held = heldReplies(s, 3);
  const get = (id: number): Promise<BackOfficeResponse> =>
    s.client.call({
      service: 'council-tax',
      route: 'accounts',
      method: 'GET',
      path: `/accounts/${id}`,
      idempotencyKey: s.key(),
    });
  const one = get(1);
  const two = get(2);
  const three = get(3);
  await held.arrived(2);
  t.same(s.client.load('accounts'), { active: 2, queued: 1 });
  t.ok(s.client.saturated('accounts'));
  const busy = await rejection(get(4));
  t.ok(isBackOfficeError(busy, 'RELAY_E_BACKOFFICE_BUSY'));
  t.match(isBackOfficeError(busy) ? busy.details : {}, { route: 'accounts', active: 2, queued: 1 });
  t.equal(isBackOfficeError(busy) ? busy.http : 0, 503);
  t.same(settlementOf(busy), { action: 'abandon', code: 'RELAY_E_BACKOFFICE_BUSY' });
  t.same(held.reached, ['/api/accounts/1', '/api/accounts/2'], 'the third has not been sent');

  held.answer('/api/accounts/1', 200, 'one');
  const first = await one;
  t.same(s.client.load('accounts'), { active: 2, queued: 1 }, 'its body is still open: slot held');
  t.equal(await drain(first.body), 'one');
  await held.arrived(3);
  t.same(held.reached.at(-1), '/api/accounts/3', 'the waiting call went out when the body closed');
  t.same(s.client.load('accounts'), { active: 2, queued: 0 });

  held.answer('/api/accounts/2', 404, 'no');
  t.equal((await two).status, 404);
  held.answer('/api/accounts/3', 200, 'three');
  const third = await three;
  third.body.destroy();
  await new Promise((resolve) => third.body.once('close', resolve));
  t.same(
    s.client.load('accounts'),
    { active: 0, queued: 0 },
    'a destroyed body gives its slot back',
  );
});

void t.test('a call holding a Service Bus message waits past maxQueued', async (t) => {
  const s = setup(t, { maxConcurrentPerRoute: 1, maxQueuedPerRoute: 1 });
  const held = heldReplies(s, 3);
  const get = (id: number, holds: boolean): Promise<BackOfficeResponse> =>
    s.client.call({
      service: 'council-tax',
      route: 'accounts',
      method: 'GET',
      path: `/accounts/${id}`,
      idempotencyKey: s.key(),
      ...(holds ? { renewLock: () => Promise.resolve() } : {}),
    });
  const one = get(1, false);
  const two = get(2, false);
  await held.arrived(1);
  const three = get(3, true);
  await Promise.resolve();
  t.same(s.client.load('accounts'), { active: 1, queued: 2 }, 'it waits beyond the bound');
  t.ok(isBackOfficeError(await rejection(get(4, false)), 'RELAY_E_BACKOFFICE_BUSY'), 'others not');
  for (const [n, call] of [one, two, three].entries()) {
    const uri = `/api/accounts/${String(n + 1)}`;
    await held.arrived(n + 1);
    held.answer(uri, 200, String(n + 1));
    t.equal(await drain((await call).body), String(n + 1), `call ${String(n + 1)} in its turn`);
  }
  t.same(held.reached, ['/api/accounts/1', '/api/accounts/2', '/api/accounts/3']);
});

void t.test('routes do not share slots', async (t) => {
  const s = setup(t, { maxConcurrentPerRoute: 1, maxQueuedPerRoute: 0 });
  const held = heldReplies(s, 1);
  const blocked = s.client.call({
    service: 'council-tax',
    route: 'accounts',
    method: 'GET',
    path: '/accounts/1',
    idempotencyKey: s.key(),
  });
  await held.arrived(1);
  s.councilTax.get('/api/bills/1').reply(200, 'bill');
  const other = await s.client.call({
    service: 'council-tax',
    route: 'bills',
    method: 'GET',
    path: '/bills/1',
    idempotencyKey: s.key(),
  });
  t.equal(await drain(other.body), 'bill');
  const busy = await rejection(
    s.client.call({
      service: 'council-tax',
      route: 'accounts',
      method: 'GET',
      path: '/accounts/2',
      idempotencyKey: s.key(),
    }),
  );
  t.ok(isBackOfficeError(busy, 'RELAY_E_BACKOFFICE_BUSY'), 'no queue at all with maxQueued 0');
  held.answer('/api/accounts/1', 204, '');
  t.equal((await blocked).status, 204);
  t.same(
    s.client.load('accounts'),
    { active: 0, queued: 0 },
    'an empty body frees the slot at once',
  );
});

void t.test('a call aborted while it waits for a slot leaves the queue', async (t) => {
  const s = setup(t, { maxConcurrentPerRoute: 1, maxQueuedPerRoute: 2 });
  const held = heldReplies(s, 2);
  const running = s.client.call({
    service: 'council-tax',
    route: 'accounts',
    method: 'GET',
    path: '/accounts/1',
    idempotencyKey: s.key(),
  });
  await held.arrived(1);
  const controller = new AbortController();
  const waiting = s.client.call({
    service: 'council-tax',
    route: 'accounts',
    method: 'GET',
    path: '/accounts/2',
    idempotencyKey: s.key(),
    signal: controller.signal,
  });
  t.same(s.client.load('accounts'), { active: 1, queued: 1 });
  controller.abort();
  const e = await rejection(waiting);
  t.ok(isBackOfficeError(e, 'RELAY_E_BACKOFFICE_ABORTED'));
  t.same(s.client.load('accounts'), { active: 1, queued: 0 });
  held.answer('/api/accounts/1', 200, 'x');
  t.equal(await drain((await running).body), 'x');
  t.same(held.reached, ['/api/accounts/1'], 'the aborted call never went out');
  t.same(s.client.load('accounts'), { active: 0, queued: 0 });
});

void t.test(
  'the limiter grants, queues and refuses exactly as a FIFO model with the two bounds does',
  async (t) => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('acquire' as const), route: fc.constantFrom('a', 'b') }),
      fc.record({ kind: fc.constant('release' as const), index: fc.nat(40) }),
    );
    await checkAsyncProperty(
      t,
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(op, { maxLength: 40 }),
        async (maxConcurrent, maxQueued, ops) => {
          const limiter = new RouteLimiter({ maxConcurrent, maxQueued });
          const held: { id: number; route: string; release: Release }[] = [];
          const granted: number[] = [];
          const busy: number[] = [];
          // The model: per route, the running ids and the waiting ids in order.
          const model = new Map<string, { running: Set<number>; waiting: number[] }>();
          const modelGranted: number[] = [];
          const modelBusy: number[] = [];
          const of = (route: string) => {
            let m = model.get(route);
            if (m === undefined) {
              m = { running: new Set(), waiting: [] };
              model.set(route, m);
            }
            return m;
          };
          let n = 0;
          for (const o of ops) {
            if (o.kind === 'acquire') {
              const id = n++;
              const m = of(o.route);
              if (m.running.size < maxConcurrent) {
                m.running.add(id);
                modelGranted.push(id);
              } else if (m.waiting.length < maxQueued) m.waiting.push(id);
              else modelBusy.push(id);
              limiter.acquire(o.route).then(
                (release) => {
                  granted.push(id);
                  held.push({ id, route: o.route, release });
                },
                (e: unknown) => {
                  if (isBackOfficeError(e, 'RELAY_E_BACKOFFICE_BUSY')) busy.push(id);
                },
              );
            } else if (held.length > 0) {
              const [h] = held.splice(o.index % held.length, 1);
              if (h === undefined) continue;
              h.release();
              h.release(); // a second call does nothing
              const m = of(h.route);
              m.running.delete(h.id);
              const next = m.waiting.shift();
              if (next !== undefined) {
                m.running.add(next);
                modelGranted.push(next);
              }
            }
            await Promise.resolve();
            await Promise.resolve();
            for (const route of ['a', 'b']) {
              const m = of(route);
              const load = limiter.load(route);
              if (load.active !== m.running.size || load.queued !== m.waiting.length) return false;
              if (load.active > maxConcurrent || load.queued > maxQueued) return false;
            }
          }
          return (
            JSON.stringify(granted) === JSON.stringify(modelGranted) &&
            JSON.stringify(busy) === JSON.stringify(modelBusy)
          );
        },
      ),
      300,
    );
  },
);

// Reconnects: delays 0, 1, 2, 5, 10, 30 s (the last repeating), each stretched by up to the
// jitter fraction from an injected random source; the schedule restarts after a connection
// that stayed open for healthyAfterMs. Driven by a fake scheduler: no test waits in real time.
import fc from 'fast-check';
import t from 'tap';
import { delayBounds, reconnectDelay } from '../../src/transports/hc-backoff';
import { DEFAULT_RECONNECT_DELAYS_MS, parseHcListenerConfig } from '../../src/transports/hc-config';
import { isHcError } from '../../src/transports/errors';
import { checkProperty } from '../helpers/property';
import { setup } from './helpers/setup';

void t.test(
  'jittered delays stay within their bounds and never decrease along the schedule',
  (t) => {
    const randomValue = fc.oneof(
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      fc.constantFrom(Number.NaN, -1, 1, 2, Number.POSITIVE_INFINITY),
    );
    checkProperty(
      t,
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(randomValue, { minLength: 1, maxLength: 12 }),
        (jitter, draws) => {
          // The largest delay drawn for a smaller base must not exceed any delay of a larger one.
          let ceilingOfSmallerBases = -1;
          let currentBase = -1;
          let ceilingOfCurrent = -1;
          for (let attempt = 0; attempt < draws.length; attempt++) {
            const d = reconnectDelay(
              attempt,
              DEFAULT_RECONNECT_DELAYS_MS,
              jitter,
              () => draws[attempt] ?? 0,
            );
            const [lo, hi] = delayBounds(attempt, DEFAULT_RECONNECT_DELAYS_MS, jitter);
            if (!Number.isInteger(d) || d < lo || d > hi) return false;
            if (lo !== currentBase) {
              ceilingOfSmallerBases = Math.max(ceilingOfSmallerBases, ceilingOfCurrent);
              currentBase = lo;
              ceilingOfCurrent = -1;
            }
            if (d < ceilingOfSmallerBases) return false;
            ceilingOfCurrent = Math.max(ceilingOfCurrent, d);
          }
          return true;
        },
      ),
    );
    t.end();
  },
);

void t.test('a schedule whose jitter could make delays decrease is refused by the config', (t) => {
  let error: unknown;
  try {
    parseHcListenerConfig({
      endpoint: 'wss://council-1.servicebus.windows.net',
      path: 'p',
      keyName: 'k',
      key: 'secret',
      reconnectDelaysMs: [0, 1000, 1100],
      reconnectJitter: 0.2,
    });
  } catch (e) {
    error = e;
  }
  t.ok(isHcError(error, 'RELAY_E_HC_CONFIG'));
  t.equal(isHcError(error) ? error.details.path : undefined, 'reconnectDelaysMs[2]');
  t.end();
});

void t.test(
  'an unreachable service is retried after 0, 1, 2, 5, 10, 30, 30 s plus jitter',
  async (t) => {
    const s = setup(t);
    s.control.stop();
    s.listener.start();
    const expected = [0, 1100, 2200, 5500, 11_000, 33_000, 33_000];
    for (let i = 0; i < expected.length; i++) {
      const e = await s.events.nth('relay:hc:reconnect-scheduled', i + 1);
      t.match(e, { attempt: i, delayMs: expected[i], reason: 'RELAY_E_HC_HANDSHAKE' });
      t.equal(s.listener.state, 'waiting');
      t.equal(s.scheduler.runNext(), expected[i], 'no connect before the delay is over');
    }
    t.equal(s.events.list('relay:hc:connecting').length, expected.length + 1);
    t.match(s.events.list('relay:hc:refused')[0], {
      code: 'RELAY_E_HC_HANDSHAKE',
      retryable: true,
    });
  },
);

void t.test('a healthy connection resets the schedule; a short-lived one does not', async (t) => {
  const s = setup(t, { config: { healthyAfterMs: 30_000 } });
  const first = await s.connect();
  s.scheduler.advance(30_000);
  first.close(1011, 'service error');
  t.match(await s.events.nth('relay:hc:reconnect-scheduled', 1), { attempt: 0, delayMs: 0 });
  s.scheduler.runNext();
  const second = await s.control.nextPeer();
  await s.events.nth('relay:hc:connected', 2);
  s.scheduler.advance(29_999);
  second.close(1011, 'service error');
  t.match(await s.events.nth('relay:hc:reconnect-scheduled', 2), { attempt: 1, delayMs: 1100 });
  s.scheduler.runNext();
  const third = await s.control.nextPeer();
  await s.events.nth('relay:hc:connected', 3);
  s.scheduler.advance(45_000);
  third.close(1001, 'entity disabled');
  t.match(await s.events.nth('relay:hc:reconnect-scheduled', 3), { attempt: 0, delayMs: 0 });
  t.match(await s.events.nth('relay:hc:closed', 3), { code: 1001, by: 'service' });
});

// The sweeper of the file drops while the relay runs (manual clock). In: a sweep function that
// records its age bound and answers a count (or fails, or hangs until told). Out: a sweep every
// `everyMs` after the previous one ended, with the age bound given; removals and failures
// reported, a failure not ending the sweeps; never two sweeps at once; none after stop().
import t from 'tap';
import { startSweeper } from '../../src/work/sweeper';
import { ManualClock } from '../helpers/manual-clock';

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

void t.test('sweeps every everyMs with the age bound, reporting what it removed', async (t) => {
  const clock = new ManualClock(1_700_000_000_000);
  const bounds: number[] = [];
  const answers: (number | Error)[] = [0, 3, new Error('EIO'), 1];
  const swept: number[] = [];
  const errors: unknown[] = [];
  const sweeper = startSweeper({
    sweep: (ms) => {
      bounds.push(ms);
      const a = answers.shift() ?? 0;
      return typeof a === 'number' ? Promise.resolve(a) : Promise.reject(a);
    },
    olderThanMs: 60_000,
    everyMs: 60_000,
    scheduler: clock,
    onSwept: (n) => swept.push(n),
    onError: (e) => errors.push(e),
  });
  clock.advance(59_999);
  await flush();
  t.same(bounds, [], 'nothing before the first period');
  for (let i = 0; i < 4; i++) {
    clock.advance(i === 0 ? 1 : 60_000);
    await flush();
  }
  t.same(bounds, [60_000, 60_000, 60_000, 60_000], 'four sweeps, each with the age bound');
  t.same(swept, [3, 1], 'removals reported (an empty sweep is not)');
  t.equal(errors.length, 1, 'a failed sweep reported, and the next one still ran');
  sweeper.stop();
  clock.advance(600_000);
  await flush();
  t.equal(bounds.length, 4, 'no sweep after stop()');
});

void t.test(
  'never two sweeps at once: the next period starts when a slow sweep ends',
  async (t) => {
    const clock = new ManualClock(1_700_000_000_000);
    let running = 0;
    let most = 0;
    let calls = 0;
    let finish: (() => void) | undefined;
    const sweeper = startSweeper({
      sweep: () => {
        calls += 1;
        running += 1;
        most = Math.max(most, running);
        return new Promise<number>((resolve) => {
          finish = () => {
            running -= 1;
            resolve(0);
          };
        });
      },
      olderThanMs: 1_000,
      everyMs: 1_000,
      scheduler: clock,
    });
    t.teardown(() => {
      sweeper.stop();
    });
    clock.advance(1_000);
    await flush();
    clock.advance(10_000);
    await flush();
    t.equal(calls, 1, 'one sweep while the first is under way');
    finish?.();
    await flush();
    clock.advance(1_000);
    await flush();
    t.equal(calls, 2, 'the next one a period after it ended');
    t.equal(most, 1, 'never two at once');
    finish?.();
  },
);

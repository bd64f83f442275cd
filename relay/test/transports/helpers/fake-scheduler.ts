// The listener tests' manual clock: the shared ManualClock (relay/test/helpers/manual-clock.ts)
// starting at 2025-01-01 and running up to 100,000 timers per advance(). In: advance(ms) /
// runNext() calls from the test. Out: a Scheduler whose time moves only when told.
import { ManualClock } from '../../helpers/manual-clock';

export class FakeScheduler extends ManualClock {
  constructor(start = Date.UTC(2025, 0, 1)) {
    super(start, 100_000);
  }
}

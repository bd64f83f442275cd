// Settles the messages of one Service Bus receiver one disposition at a time. In: a received
// message and the SDK call that settles it (complete, abandon, dead-letter). Out: that call's own
// promise; the next call of the lane starts only when this one's disposition has been written
// (the SDK set the delivery's outcome and rhea has had its turn to write it) or the call has
// finished, or after `maxWaitMs`.
//
// Why: rhea 3.0.5 (the AMQP library under @azure/service-bus 7.9.5) writes the dispositions
// settled in one turn of the event loop as ranges, and in lib/session.js write_dispositions the
// outcome check is skipped while a range holds one delivery (`first !== last && …`): the next
// delivery joins the range whatever its outcome. A complete and an abandon settled together go
// out as one `accepted` range (`disposition first=0 last=1 state=accepted`): the abandoned
// message is completed and lost; two dead-letters go out with the first one's reason. Serialising
// on the written disposition (not on the broker's answer) costs one event-loop turn per
// settlement, not a round trip.
// suites/messaging-internals/settlements-keep-their-own-outcomes.test.ts shows both.
import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import type { Scheduler } from '../transports/scheduler';

export interface SettlementLane {
  /** Runs `settle` once the settlements before it have been written; resolves as it does. */
  run(message: ServiceBusReceivedMessage, settle: () => Promise<void>): Promise<void>;
}

/** Turns (setImmediate) to wait for the SDK to hand the outcome to rhea before waiting on it. */
const TURNS = 8;

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

/** The outcome the SDK gave the message's rhea delivery, if any (SDK internals, read only). */
function outcomeOf(message: ServiceBusReceivedMessage): unknown {
  return (message as { delivery?: { state?: unknown } | null }).delivery?.state;
}

export function settlementLane(scheduler: Scheduler, maxWaitMs: number): SettlementLane {
  let tail: Promise<void> = Promise.resolve();

  /** Resolves once the disposition of `message` is written, `settlement` ends, or maxWaitMs. */
  const written = async (
    message: ServiceBusReceivedMessage,
    settlement: Promise<void>,
  ): Promise<void> => {
    const progress = { finished: false };
    const ended = settlement.then(
      () => {
        progress.finished = true;
      },
      () => {
        progress.finished = true;
      },
    );
    // rhea writes an outcome on the process.nextTick after it is set, before any setImmediate:
    // once a turn sees the outcome, its frame has been written.
    for (let turn = 0; turn < TURNS && !progress.finished; turn += 1) {
      await nextTurn();
      if (outcomeOf(message) !== undefined) return;
    }
    if (progress.finished) return;
    // Not settled on its link (e.g. through the management link): wait for the answer, bounded.
    let timer: ReturnType<Scheduler['setTimer']> | undefined;
    await Promise.race([
      ended,
      new Promise<void>((resolve) => {
        timer = scheduler.setTimer(resolve, maxWaitMs);
      }),
    ]);
    if (timer !== undefined) scheduler.clearTimer(timer);
  };

  return {
    run(message, settle) {
      const turn = tail.then(() => {
        const settlement = settle();
        return { settlement, done: written(message, settlement) };
      });
      tail = turn.then(
        (t) => t.done,
        () => undefined,
      );
      return turn.then((t) => t.settlement);
    },
  };
}

// The scenario expectations about messages that end in the dead-letter queue (docs/scenarios.md):
// deadLettered's sentFrom/sentTo window and effects' unlessDeadLettered. In: synthetic
// observations of six drops (two before a window, two in it, two after). Out: the window asks
// exactly the drops sent in it to be dead-lettered (with the description pattern) and no other;
// unlessDeadLettered does not count a dead-lettered drop as lost but fails one that left a file
// (a partial file under its final name included). Pure: no world.
import t from 'tap';
import { check, type Observed } from '../fault/lib/expect';
import type { Expectation } from '../fault/lib/schema';
import type { PlannedSend } from '../fault/lib/workload';

const sends: PlannedSend[] = [0, 10, 60, 70, 200, 210].map((s, n) => ({
  type: 'send',
  t: s * 1000,
  kind: 'drops',
  stream: 0,
  n,
  id: `drops-${String(n)}`,
}));

function observed(o: Partial<Observed>): Observed {
  return {
    events: [],
    sends,
    answers: new Map(),
    effects: { lost: [], duplicated: [], altered: [], stray: [], references: new Map() },
    deadLetters: [],
    tempFiles: [],
    stepTimes: new Map(),
    relayLog: '',
    ...o,
  };
}

const dead = (id: string, description: string) => ({
  messageId: id,
  reason: 'RELAY_E_FILEDROP_IO',
  description,
});

const window: Expectation = {
  kind: 'deadLettered',
  args: {
    kinds: ['drops'],
    reason: '^RELAY_E_FILEDROP_IO$',
    description: 'ENOSPC|EROFS',
    sentFrom: 30_000,
    sentTo: 120_000,
  },
};
const effects: Expectation = {
  kind: 'effects',
  args: { exactlyOnce: true, except: [], unlessDeadLettered: true },
};

void t.test('the drops sent in the window, and only they, must be dead-lettered', (t) => {
  const ok = observed({
    deadLetters: [
      dead('drops-2', 'could not write the file (ENOSPC)'),
      dead('drops-3', 'could not create a temporary file (EROFS)'),
    ],
    effects: {
      lost: ['drops-2', 'drops-3'],
      duplicated: [],
      altered: [],
      stray: [],
      references: new Map(),
    },
  });
  const [w, e] = check([window, effects], ok);
  t.equal(w?.pass, true, w?.observed ?? '');
  t.equal(e?.pass, true, `dead-lettered drops with no file are not lost: ${e?.observed ?? ''}`);

  const missing = check([window], observed({ deadLetters: [dead('drops-2', 'ENOSPC')] }))[0];
  t.equal(missing?.pass, false, 'one in the window was not dead-lettered');
  t.match(missing?.observed ?? '', /missing drops-3/);

  const outside = check(
    [window],
    observed({
      deadLetters: [dead('drops-2', 'ENOSPC'), dead('drops-3', 'EROFS'), dead('drops-4', 'EROFS')],
    }),
  )[0];
  t.equal(outside?.pass, false, 'one sent after the window was dead-lettered too');
  t.match(outside?.observed ?? '', /unexpected drops-4/);

  const why = check(
    [window],
    observed({
      deadLetters: [dead('drops-2', 'Message could not be consumed after 10 delivery attempts.')],
    }),
  )[0];
  t.equal(why?.pass, false, 'a description without the system error fails');
  t.end();
});

void t.test('unlessDeadLettered: a dead-lettered drop must have left no file at all', (t) => {
  const partial = check(
    [effects],
    observed({
      deadLetters: [dead('drops-2', 'ENOSPC')],
      effects: {
        lost: [],
        duplicated: [],
        altered: ['drops-2'],
        stray: [],
        references: new Map(),
      },
    }),
  )[0];
  t.equal(partial?.pass, false, 'a partial file under the final name of a dead-lettered drop');
  t.match(partial?.observed ?? '', /altered drops-2/);
  t.match(partial?.observed ?? '', /with an effect drops-2/);

  const lostAlive = check(
    [effects],
    observed({
      effects: { lost: ['drops-5'], duplicated: [], altered: [], stray: [], references: new Map() },
    }),
  )[0];
  t.equal(lostAlive?.pass, false, 'a drop neither written nor dead-lettered is lost');

  const without = check(
    [{ kind: 'effects', args: { exactlyOnce: true, except: [], unlessDeadLettered: false } }],
    observed({
      deadLetters: [dead('drops-2', 'ENOSPC')],
      effects: { lost: ['drops-2'], duplicated: [], altered: [], stray: [], references: new Map() },
    }),
  )[0];
  t.equal(without?.pass, false, 'without the option a dead-lettered drop is lost');
  t.end();
});

// The dial chart's points: connections the network model saw (its firewall verdict) and the
// relay's probes that failed before reaching it (a rejected port refuses in the kernel, so
// the model never sees those). In: report events. Out: the dials the chart draws.
import t from 'tap';
import { dialsOf } from '../../src/html/charts';
import type { ReportEvent } from '../../src/schema';

const ev = (atMs: number, channel: string, fields: ReportEvent['fields']): ReportEvent => ({
  atMs,
  source: channel.startsWith('relay') ? 'relay' : 'net',
  channel,
  text: channel,
  fields,
});

void t.test('refused and timed-out probes are dials; successful probes are not', (t) => {
  const dials = dialsOf([
    ev(1, 'relay:connectivity:probe', { port: 5671, outcome: 'refused', diagnosis: 'refused' }),
    ev(2, 'relay:connectivity:probe', { port: 443, outcome: 'ok', diagnosis: 'allowed' }),
    ev(3, 'sim:net:dial', { port: 443, verdict: 'accept' }),
    ev(4, 'relay:connectivity:probe', { port: 9352, outcome: 'timeout' }),
    ev(5, 'sim:net:endpoint', { port: 5671, state: 'refusing' }),
  ]);
  t.same(dials, [
    { atMs: 1, port: '5671', verdict: 'probe refused' },
    { atMs: 3, port: '443', verdict: 'accept' },
    { atMs: 4, port: '9352', verdict: 'probe timeout' },
  ]);
  t.end();
});

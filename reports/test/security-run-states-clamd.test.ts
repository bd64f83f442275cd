// The antivirus facts a conformance run gives its report. In: clamdFacts (reports/src/clamd.ts,
// which suites/runner/run.ts calls) pointed at missing, failing and answering programs, and at this
// machine's clamd. Out: checks an absent clamd is "not installed" with what installs it, one that
// fails says how, one that answers gives its first line as the version, and this machine's
// clamd (when installed) reads `ClamAV <version>`.
import { existsSync } from 'node:fs';
import t from 'tap';
import { clamdFacts } from '../src/clamd';

void t.test('the run says whether clamd is installed, and its version', (t) => {
  t.same(clamdFacts(['/nonexistent/relaycheck/clamd']), {
    clamdAvailable: false,
    clamdNote: 'clamd is not installed (.ci/run installs clamav-daemon)',
  });
  t.match(
    clamdFacts(['/nonexistent/clamd', process.execPath]),
    {
      clamdAvailable: true,
      clamdVersion: process.version,
    },
    'the first that answers gives its first line',
  );
  t.match(clamdFacts(['false']), {
    clamdAvailable: false,
    clamdNote: /^false --version failed \(exit 1\)$/,
  });
  t.end();
});

const CLAMD = ['/usr/sbin/clamd', '/usr/local/sbin/clamd'].find((f) => existsSync(f));

void t.test(
  "this machine's clamd",
  {
    skip:
      CLAMD === undefined ? 'clamd is not installed here (.ci/run installs clamav-daemon)' : false,
  },
  (t) => {
    t.match(clamdFacts(), { clamdAvailable: true, clamdVersion: /^ClamAV \d+\.\d+/ });
    t.end();
  },
);

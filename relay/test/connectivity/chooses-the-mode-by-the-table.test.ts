// The mode table as a property. In: every combination of the four deciding probe outcomes
// (AMQP 5671 and 443, Hybrid Connections 9352 and 443; six diagnoses each), with and without
// a hybrid host, for each configured mode; and random outcomes of the extra ports. Out:
// chooseMode agrees with a reference table written separately, the extra ports never
// change the mode, and the per-transport best path prefers tcp. Seeds print on failure.
import fc from 'fast-check';
import t from 'tap';
import {
  chooseMode,
  outcomeOf,
  probeTargets,
  type ConnectivityMode,
  type Diagnosis,
  type Mode,
  type ProbeResult,
} from '../../src/connectivity';
import { testSettings } from './helpers/fakes';

const DIAGNOSES: readonly Diagnosis[] = [
  'allowed',
  'refused',
  'timed-out',
  'tls-failed',
  'egress-refused',
  'failed',
];
const CONFIGURED: readonly ConnectivityMode[] = ['auto', 'tcp', 'https'];
const withHc = probeTargets(testSettings());
const withoutHc = probeTargets(testSettings({ hybrid: undefined }));

function results(
  targets: typeof withHc,
  pick: (target: string, port: number) => Diagnosis,
): ProbeResult[] {
  return targets.map((tg) => {
    const diagnosis = pick(tg.target, tg.port);
    return {
      ...tg,
      diagnosis,
      outcome: outcomeOf(diagnosis),
      code: undefined,
      reason: undefined,
      tlsVersion: undefined,
      ms: 1,
      at: 0,
    };
  });
}

/** The table as the documentation states it. */
function reference(
  amqpTcp: boolean,
  amqpHttps: boolean,
  hcTcp: boolean | undefined,
  hcHttps: boolean | undefined,
  configured: ConnectivityMode,
): Mode {
  const tcp = amqpTcp && hcTcp !== false;
  const https = amqpHttps && hcHttps !== false;
  if (configured === 'tcp') return tcp ? 'tcp' : 'none';
  if (configured === 'https') return https ? 'https' : 'none';
  if (tcp) return 'tcp';
  if (https) return 'https';
  return 'none';
}

void t.test('the mode agrees with the table for every combination of deciding outcomes', (t) => {
  let checked = 0;
  const wrong: string[] = [];
  for (const configured of CONFIGURED) {
    for (const a5671 of DIAGNOSES) {
      for (const a443 of DIAGNOSES) {
        for (const h9352 of DIAGNOSES) {
          for (const h443 of DIAGNOSES) {
            const r = results(withHc, (target, port) =>
              target === 'amqp'
                ? port === 5671
                  ? a5671
                  : a443
                : port === 9352
                  ? h9352
                  : port === 443
                    ? h443
                    : 'refused',
            );
            const got = chooseMode(r, configured);
            const want = reference(
              a5671 === 'allowed',
              a443 === 'allowed',
              h9352 === 'allowed',
              h443 === 'allowed',
              configured,
            );
            checked += 1;
            if (got.mode !== want) {
              wrong.push(`${configured} ${a5671}/${a443}/${h9352}/${h443}: ${got.mode} != ${want}`);
            }
          }
        }
      }
    }
  }
  t.equal(checked, 3 * 6 ** 4, 'every combination was checked');
  t.same(wrong.slice(0, 10), [], `${wrong.length} combinations disagree`);
  t.end();
});

void t.test('without a hybrid host only the AMQP outcomes decide', (t) => {
  for (const configured of CONFIGURED) {
    for (const a5671 of DIAGNOSES) {
      for (const a443 of DIAGNOSES) {
        const r = results(withoutHc, (_target, port) => (port === 5671 ? a5671 : a443));
        const want = reference(
          a5671 === 'allowed',
          a443 === 'allowed',
          undefined,
          undefined,
          configured,
        );
        t.equal(chooseMode(r, configured).mode, want, `${configured} ${a5671}/${a443}`);
      }
    }
  }
  t.end();
});

void t.test(
  'the extra ports never change the mode; the best path per transport prefers tcp',
  (t) => {
    const diagnosis = fc.constantFrom(...DIAGNOSES);
    const seed = Number(process.env.FC_SEED ?? 0x5eed);
    const details = fc.check(
      fc.property(
        fc.constantFrom(...CONFIGURED),
        fc.dictionary(
          fc.constantFrom(
            'amqp:5671',
            'amqp:443',
            'hc:9352',
            'hc:443',
            'hc:9350',
            'hc:9351',
            'hc:9353',
            'hc:9354',
          ),
          diagnosis,
        ),
        fc.array(diagnosis, { minLength: 4, maxLength: 4 }),
        (configured, chosen, extras) => {
          const pick = (target: string, port: number): Diagnosis =>
            chosen[`${target}:${port}`] ?? 'refused';
          const base = chooseMode(results(withHc, pick), configured);
          const other = chooseMode(
            results(withHc, (target, port) => {
              const i = [9350, 9351, 9353, 9354].indexOf(port);
              return i >= 0 ? (extras[i] ?? 'refused') : pick(target, port);
            }),
            configured,
          );
          if (base.mode !== other.mode || base.amqp !== other.amqp || base.hc !== other.hc) {
            return false;
          }
          const paths = configured === 'auto' ? ['tcp', 'https'] : [configured];
          const bestOf = (target: string, tcpPort: number): Mode => {
            for (const p of paths) {
              const port = p === 'tcp' ? tcpPort : 443;
              if (pick(target, port) === 'allowed') return p as Mode;
            }
            return 'none';
          };
          return base.amqp === bestOf('amqp', 5671) && base.hc === bestOf('hc', 9352);
        },
      ),
      { numRuns: 1000, seed },
    );
    t.notOk(
      details.failed,
      details.failed
        ? `property failed (seed ${seed}): ${fc.defaultReportMessage(details) ?? ''}`
        : `held for ${details.numRuns} runs (seed ${seed})`,
    );
    t.end();
  },
);

void t.test('the reason names the failing ports of a path that was skipped', (t) => {
  const r = results(withHc, (target, port) =>
    target === 'amqp' && port === 5671 ? 'timed-out' : 'allowed',
  );
  const choice = chooseMode(r, 'auto');
  t.equal(choice.mode, 'https');
  t.match(choice.reason, /https path works; tcp path: amqp:5671 timed-out/);
  const none = chooseMode(
    results(withHc, () => 'refused'),
    'auto',
  );
  t.match(none.reason, /^no path works \(tcp path: amqp:5671 refused, hc:9352 refused; https path/);
  t.end();
});

// Whatever the input (random text as YAML or JSON, random values dropped anywhere into a valid
// config), parseRelayConfig either returns a config or throws a RelayConfigError: never a
// TypeError, a RangeError or a hang. fast-check, fixed seed printed on failure (FC_SEED).
import fc from 'fast-check';
import t from 'tap';
import { isRelayConfigError, parseRelayConfig } from '../../src/config';
import { checkProperty } from '../helpers/property';
import { sample, setPath } from './helpers/sample';

function outcome(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (e) {
    return isRelayConfigError(e);
  }
}

const PATHS: readonly (readonly (string | number)[])[] = [
  [],
  ['version'],
  ['profile'],
  ['instanceId'],
  ['tenant'],
  ['tenant', 'id'],
  ['tenant', 'keys'],
  ['tenant', 'keys', 0],
  ['tenant', 'keys', 0, 'secret'],
  ['tenant', 'keys', 1],
  ['serviceBus', 'host'],
  ['serviceBus', 'key'],
  ['serviceBus', 'entities'],
  ['hybrid', 'paths'],
  ['hybrid', 'paths', 0],
  ['connectivity'],
  ['connectivity', 'reconnectDelaysMs'],
  ['egress', 'ports'],
  ['egress', 'ranges'],
  ['egress', 'ranges', 'prefixes', 0],
  ['egress', 'networkMapFile'],
  ['tls'],
  ['backOffice'],
  ['backOffice', 'council-tax'],
  ['routes', 0],
  ['health'],
  ['health', 'host'],
  ['log', 'level'],
  ['limits'],
  ['__proto__'],
  ['constructor'],
];

void t.test('random values anywhere in a config give a config or a RelayConfigError', (t) => {
  checkProperty(
    t,
    fc.property(
      fc.constantFrom(...PATHS),
      fc.oneof(
        fc.jsonValue(),
        fc.constantFrom(
          'env:RC_SB_KEY',
          'env:MISSING',
          'env:',
          '0.0.0.0',
          '::1',
          'localhost',
          5672,
          -1,
          Number.POSITIVE_INFINITY,
        ),
      ),
      (path, value) => {
        const s = sample();
        if (path.length === 0)
          return outcome(() => parseRelayConfig(value, { file: 'r.json', env: s.env }));
        setPath(s.config, path, value);
        return outcome(() => parseRelayConfig(s.config, { file: 'r.json', env: s.env }));
      },
    ),
    500,
  );
  t.end();
});

void t.test('random text gives a config or a RelayConfigError, as YAML and as JSON', (t) => {
  const text = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.constantFrom(
      'a: &x [1]\nb: *x\n',
      '? [1]\n: 2\n',
      '%YAML 1.1\n---\na: yes\n',
      '!!binary x',
      '"\\ud800"',
      '{"a":1e999}',
    ),
  );
  checkProperty(
    t,
    fc.property(text, fc.constantFrom('r.yaml', 'r.json'), (input, file) =>
      outcome(() => parseRelayConfig(input, { file, env: {} })),
    ),
    500,
  );
  t.end();
});

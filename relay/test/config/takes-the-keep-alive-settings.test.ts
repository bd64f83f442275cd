// The keep-alive settings of the two transports (FAULT-002, FAULT-012). In: the sample config
// with and without serviceBus.idleTimeoutMs, hybrid.pingIntervalMs and hybrid.pongTimeoutMs.
// Out: the defaults (the SDK's 60 s AMQP idle timeout; Microsoft's 3.5 min ping and a 30 s pong
// wait) when absent, the values given when present, and RELAY_E_CONFIG naming the path for a
// value out of range.
import t from 'tap';
import { parseRelayConfig } from '../../src/config';
import { sample, setPath } from './helpers/sample';

void t.test('absent, the defaults', (t) => {
  const s = sample();
  const c = parseRelayConfig(s.config, { file: 'relay.json', env: s.env });
  t.equal(c.serviceBus.idleTimeoutMs, 60_000);
  t.equal(c.hybrid.pingIntervalMs, 210_000);
  t.equal(c.hybrid.pongTimeoutMs, 30_000);
  t.end();
});

void t.test('given, taken as they are', (t) => {
  const s = sample();
  setPath(s.config, ['serviceBus', 'idleTimeoutMs'], 15_000);
  setPath(s.config, ['hybrid', 'pingIntervalMs'], 20_000);
  setPath(s.config, ['hybrid', 'pongTimeoutMs'], 5_000);
  const c = parseRelayConfig(s.config, { file: 'relay.json', env: s.env });
  t.equal(c.serviceBus.idleTimeoutMs, 15_000);
  t.equal(c.hybrid.pingIntervalMs, 20_000);
  t.equal(c.hybrid.pongTimeoutMs, 5_000);
  t.end();
});

void t.test('out of range, refused naming the path', (t) => {
  const cases: readonly [readonly string[], unknown][] = [
    [['serviceBus', 'idleTimeoutMs'], 50],
    [['serviceBus', 'idleTimeoutMs'], 600_001],
    [['serviceBus', 'idleTimeoutMs'], 'soon'],
    [['hybrid', 'pingIntervalMs'], 0],
    [['hybrid', 'pongTimeoutMs'], 600_001],
  ];
  for (const [path, value] of cases) {
    const s = sample();
    setPath(s.config, path, value);
    t.throws(
      () => parseRelayConfig(s.config, { file: 'relay.json', env: s.env }),
      {
        code: 'RELAY_E_CONFIG',
        message: new RegExp(`relay\\.json: ${path.join('\\.')}: expected`),
      },
      `${path.join('.')} = ${JSON.stringify(value)}`,
    );
  }
  t.end();
});

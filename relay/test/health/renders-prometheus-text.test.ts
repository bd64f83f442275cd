// The metrics registry renders the Prometheus text exposition format 0.0.4: HELP and TYPE
// lines, one sample per label set, label values and help text escaped, special values as
// +Inf/-Inf/NaN. Misuse is a RelayHealthError RELAY_E_METRICS.
import t from 'tap';
import {
  createMetrics,
  escapeLabelValue,
  isRelayHealthError,
  MAX_SERIES_PER_METRIC,
  METRICS_CONTENT_TYPE,
} from '../../src/health';

void t.test('counters and gauges render with HELP and TYPE lines in registration order', (t) => {
  const m = createMetrics();
  const dials = m.counter('relay_egress_dials_total', 'Dial attempts by verdict.', [
    'verdict',
    'port',
  ]);
  const up = m.gauge('relay_up', 'Whether the relay runs.');
  const idle = m.counter('relay_idle_total', 'Never incremented.');
  dials.inc({ verdict: 'allowed', port: 443 });
  dials.inc({ verdict: 'allowed', port: 443 }, 2);
  dials.inc({ verdict: 'refused', port: '80' });
  up.set(1);
  t.equal(
    m.render(),
    [
      '# HELP relay_egress_dials_total Dial attempts by verdict.',
      '# TYPE relay_egress_dials_total counter',
      'relay_egress_dials_total{verdict="allowed",port="443"} 3',
      'relay_egress_dials_total{verdict="refused",port="80"} 1',
      '# HELP relay_up Whether the relay runs.',
      '# TYPE relay_up gauge',
      'relay_up 1',
      '# HELP relay_idle_total Never incremented.',
      '# TYPE relay_idle_total counter',
      'relay_idle_total 0',
      '',
    ].join('\n'),
  );
  t.equal(idle.get(), 0);
  t.equal(dials.get({ verdict: 'allowed', port: 443 }), 3);
  t.equal(m.contentType, METRICS_CONTENT_TYPE);
  t.equal(METRICS_CONTENT_TYPE, 'text/plain; version=0.0.4; charset=utf-8');
  t.end();
});

void t.test('label values and help text are escaped', (t) => {
  const m = createMetrics();
  const g = m.gauge('relay_port_state', 'Line one\\two\nline "three"', ['detail']);
  g.set({ detail: 'a\\b "quoted"\nnext' }, 2);
  const text = m.render();
  t.match(text, /^# HELP relay_port_state Line one\\\\two\\nline "three"$/m);
  t.match(text, /^relay_port_state\{detail="a\\\\b \\"quoted\\"\\nnext"\} 2$/m);
  t.equal(text.split('\n').length, 4, 'no raw line feed splits a sample');
  t.equal(escapeLabelValue('\\"\n'), '\\\\\\"\\n');
  t.end();
});

void t.test('gauges go up and down; special values render as Prometheus spells them', (t) => {
  const m = createMetrics();
  const g = m.gauge('relay_inflight', 'In flight.', ['via']);
  g.inc({ via: 'hybrid' });
  g.inc({ via: 'hybrid' }, 4);
  g.dec({ via: 'hybrid' }, 2);
  g.set({ via: 'servicebus' }, Infinity);
  const h = m.gauge('relay_x', 'X.');
  h.set(-Infinity);
  t.equal(g.get({ via: 'hybrid' }), 3);
  const text = m.render();
  t.match(text, /^relay_inflight\{via="hybrid"\} 3$/m);
  t.match(text, /^relay_inflight\{via="servicebus"\} \+Inf$/m);
  t.match(text, /^relay_x -Inf$/m);
  g.reset();
  t.notMatch(m.render(), /relay_inflight\{/);
  t.end();
});

void t.test('collectors refresh gauges before each render, and a failing one is contained', (t) => {
  const m = createMetrics();
  const g = m.gauge('relay_session_live', 'Live sessions.');
  let live = 0;
  m.onCollect(() => {
    g.set(live);
  });
  m.onCollect(() => {
    throw new Error('collector broke');
  });
  t.match(m.render(), /^relay_session_live 0$/m);
  live = 1;
  t.match(m.render(), /^relay_session_live 1$/m);
  t.end();
});

void t.test('registering the same metric twice returns it; differently is refused', (t) => {
  const m = createMetrics();
  const a = m.counter('relay_work_total', 'Work.', ['via']);
  t.equal(m.counter('relay_work_total', 'Work.', ['via']), a);
  t.throws(() => m.gauge('relay_work_total', 'Work.', ['via']), { code: 'RELAY_E_METRICS' });
  t.throws(() => m.counter('relay_work_total', 'Other help.', ['via']), {
    code: 'RELAY_E_METRICS',
  });
  t.throws(() => m.counter('relay_work_total', 'Work.', ['route']), { code: 'RELAY_E_METRICS' });
  t.end();
});

void t.test('misuse is refused with RELAY_E_METRICS', (t) => {
  const m = createMetrics();
  const c = m.counter('relay_c_total', 'C.', ['via']);
  const g = m.gauge('relay_g', 'G.');
  const misuse: readonly [string, () => void][] = [
    ['a name with a dash', () => m.counter('relay-c', 'x')],
    ['an empty name', () => m.gauge('', 'x')],
    ['a reserved label name', () => m.counter('relay_d', 'x', ['__name'])],
    ['a label name twice', () => m.counter('relay_e', 'x', ['a', 'a'])],
    ['a label name with a dot', () => m.counter('relay_f', 'x', ['a.b'])],
    [
      'a missing label',
      () => {
        c.inc();
      },
    ],
    [
      'an unknown label',
      () => {
        c.inc({ via: 'x', route: 'y' });
      },
    ],
    [
      'a negative increment',
      () => {
        c.inc({ via: 'x' }, -1);
      },
    ],
    [
      'a NaN increment',
      () => {
        c.inc({ via: 'x' }, NaN);
      },
    ],
    [
      'a label on an unlabelled gauge',
      () => {
        g.set({ via: 'x' }, 1);
      },
    ],
    [
      'a gauge value that is not a number',
      () => {
        g.set(Number('x'));
      },
    ],
  ];
  for (const [what, run] of misuse) {
    let error: unknown;
    try {
      run();
    } catch (e) {
      error = e;
    }
    t.ok(isRelayHealthError(error, 'RELAY_E_METRICS'), what);
  }
  t.equal(c.get({ via: 'x' }), 0, 'refused updates change nothing');
  t.end();
});

void t.test('the number of label sets per metric is bounded', (t) => {
  const m = createMetrics();
  const c = m.counter('relay_routes_total', 'Per route.', ['route']);
  for (let i = 0; i < MAX_SERIES_PER_METRIC; i++) c.inc({ route: `r${i}` });
  t.throws(
    () => {
      c.inc({ route: 'one-more' });
    },
    { code: 'RELAY_E_METRICS' },
  );
  c.inc({ route: 'r0' });
  t.equal(c.get({ route: 'r0' }), 2, 'existing series still count');
  t.end();
});

// The back office's configuration and start-up. In: valid and invalid configurations, a
// taken port. Out: defaults filled and the result deep-frozen; every invalid field refused
// with SIM_E_BO_CONFIG naming its path; loopback only; each form type a folder of its own;
// a start that fails closes what it had started and says why (SIM_E_BO_BIND).
import t from 'tap';
import {
  SimBackOfficeError,
  enabledServices,
  parseBackOfficeConfig,
  startBackOffice,
} from '../src/backoffice';

function refusal(t: tap.Test, input: unknown, path: RegExp): void {
  try {
    parseBackOfficeConfig(input);
    t.fail(`accepted ${JSON.stringify(input)}`);
  } catch (e) {
    t.ok(e instanceof SimBackOfficeError && e.code === 'SIM_E_BO_CONFIG', JSON.stringify(input));
    t.match((e as SimBackOfficeError).details.path, path);
  }
}

void t.test('an empty config gets every default and is deep-frozen', (t) => {
  const c = parseBackOfficeConfig({});
  t.match(c, {
    seed: 'relaycheck',
    asOf: '2025-10-15',
    host: '127.0.0.1',
    tls: { enabled: false },
    data: { councilTaxAccounts: 200, businessRatesProperties: 120, benefitsClaims: 150 },
    intake: { maxBodyBytes: 1_048_576, roots: { licensing: ['LicenceApplication'] } },
    journal: {
      capacity: 10_000,
      idempotencyHeaders: ['idempotency-key', 'x-ms-client-request-id'],
    },
    control: { enabled: true, port: 0 },
  });
  t.equal(enabledServices(c).length, 8);
  t.ok(
    Object.isFrozen(c) &&
      Object.isFrozen(c.services['council-tax']) &&
      Object.isFrozen(c.journal.headers),
  );
  t.same(parseBackOfficeConfig(c), c, 'a parsed config parses to itself');
  t.end();
});

void t.test('every invalid field is refused with its path', (t) => {
  refusal(t, { seed: '' }, /^seed$/);
  refusal(t, { asOf: '2025-02-30' }, /^asOf$/);
  refusal(t, { host: '0.0.0.0' }, /^host$/);
  refusal(t, { host: '192.0.2.1' }, /^host$/);
  refusal(t, { services: { 'council-tax': { port: 70000 } } }, /^services\.council-tax\.port$/);
  refusal(t, { services: { mainframe: {} } }, /^services$/);
  refusal(t, { data: { councilTaxAccounts: 0 } }, /^data\.councilTaxAccounts$/);
  refusal(
    t,
    { intake: { roots: { licensing: ['not an element'] } } },
    /^intake\.roots\.licensing\[0\]$/,
  );
  refusal(t, { files: { formTypes: { 'Bad Name': 'x' } } }, /^files\.formTypes/);
  refusal(
    t,
    { files: { formTypes: { 'new-form': '../outside' } } },
    /^files\.formTypes\.new-form$/,
  );
  refusal(t, { files: { formTypes: { 'new-form': '/etc' } } }, /^files\.formTypes\.new-form$/);
  refusal(
    t,
    { faults: { 'council-tax': [{ action: { type: 'status', status: 99 } }] } },
    /^faults\.council-tax\[0\]\.action\.status$/,
  );
  refusal(t, { journal: { capacity: 0 } }, /^journal\.capacity$/);
  refusal(t, { surprise: true }, /^\(top level\)$/);
  t.end();
});

void t.test('each form type keeps a folder of its own, also after overrides', (t) => {
  refusal(
    t,
    { files: { formTypes: { 'new-form': 'waste/missed-bin-collection' } } },
    /^files\.formTypes\.(new-form|missed-bin-collection)$/,
  );
  refusal(
    t,
    { files: { formTypes: { 'new-form': 'Waste/Missed-Bin-Collection' } } },
    /files\.formTypes/,
  );
  refusal(t, { files: { formTypes: { 'new-form': 'waste' } } }, /files\.formTypes/);
  refusal(
    t,
    { files: { formTypes: { a: 'x', b: 'x/y' }, onlyConfigured: true } },
    /files\.formTypes\.b/,
  );
  t.doesNotThrow(() =>
    parseBackOfficeConfig({ files: { formTypes: { a: 'x', b: 'y' }, onlyConfigured: true } }),
  );
  t.end();
});

void t.test(
  'disabled services do not start; a taken port fails the start with SIM_E_BO_BIND',
  async (t) => {
    const bo = await startBackOffice({
      seed: 'config',
      control: { enabled: false },
      services: { documents: { enabled: false }, licensing: { enabled: false } },
    });
    t.teardown(() => bo.close());
    t.same(Object.keys(bo.services).sort(), [
      'benefits',
      'business-rates',
      'council-tax',
      'ctb-intake',
      'environmental-health',
      'file-shares',
    ]);
    t.throws(() => bo.url('documents'), { code: 'SIM_E_BO_SERVICE' });
    const taken = bo.services['council-tax']?.port ?? 0;
    await t.rejects(
      startBackOffice({
        seed: 'config',
        control: { enabled: false },
        services: { benefits: { port: taken } },
      }),
      { code: 'SIM_E_BO_BIND', message: /EADDRINUSE/ },
    );
    await t.rejects(startBackOffice({ host: '0.0.0.0' }), { code: 'SIM_E_BO_CONFIG' });
  },
);

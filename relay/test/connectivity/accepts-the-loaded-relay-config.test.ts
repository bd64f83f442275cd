// The seam with relay/src/config. In: the example production config, loaded by the relay's
// own loader with secrets made at run time. Out: createEgress and createConnectivity take
// the loaded config as it is (the production profile, no network map, the service-tag
// ranges selected from the file it names, auto mode) and the SAS key in the settings is the
// resolved one.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { loadRelayConfig } from '../../src/config';
import { createConnectivity, createEgress } from '../../src/connectivity';
import { FakeSockets } from './helpers/fakes';

void t.test('the example production config drives the egress layer unchanged', async (t) => {
  const key = (): string => randomBytes(32).toString('base64');
  const sbKey = key();
  const config = await loadRelayConfig(
    join(__dirname, '..', '..', '..', 'fixtures', 'relay', 'production.yaml'),
    { RELAYCHECK_TENANT_KEY: key(), RELAYCHECK_SB_KEY: sbKey, RELAYCHECK_HC_KEY: key() },
  );
  const egress = await createEgress(config, { sockets: new FakeSockets() });
  t.equal(egress.settings.profile, 'production');
  t.equal(egress.networkMap, undefined, 'production: no network map');
  t.equal(egress.settings.serviceBus.key, sbKey, 'the resolved key');
  t.ok(egress.policy.ranges.entries.length > 0, 'ranges selected from the named file');
  t.same(
    [...egress.policy.ports].sort((a, b) => a - b),
    [443, 5671, 9350, 9351, 9352, 9353, 9354],
  );
  const conn = createConnectivity(config, { egress });
  t.equal(conn.snapshot().configured, 'auto');
  t.equal(conn.hybridEndpointFor('tcp'), 'wss://council-42-relay.servicebus.windows.net:9352');
});

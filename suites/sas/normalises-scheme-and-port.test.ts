// SAS-003: one resource whatever its scheme, default port, trailing slash or case. In:
// tokens signed for one spelling of a resource (as the SDK and hyco-https spell it). Out:
// they verify against every other spelling; a non-default port still matters.
import fc from 'fast-check';
import {
  DEFAULT_PORTS,
  RESOURCE_SCHEMES,
  createSasToken,
  verifySasToken,
  type SasRule,
} from '../../relay/src/protocol/sas';
import { SAS_NAMESPACE, fixtureToken, sasClock, sasOptions, sasRule } from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const spelling = fc.record({
  scheme: fc.constantFrom(...RESOURCE_SCHEMES, 'SB', 'AMQPS', 'Https', ''),
  port: fc.constantFrom('', ...DEFAULT_PORTS.map((p) => `:${p}`)),
  slash: fc.constantFrom('', '/'),
  upper: fc.boolean(),
});
type Spelling = typeof spelling extends fc.Arbitrary<infer S> ? S : never;

function spell(s: Spelling, path: string): string {
  const uri = `${s.scheme === '' ? '' : `${s.scheme}://`}${SAS_NAMESPACE}${s.port}${path}${s.slash}`;
  return s.upper ? uri.toUpperCase() : uri;
}

void kase('SAS-003', async (t) => {
  await t.test('any spelling of the token resource verifies against any other', (t) =>
    checkProperty(
      t,
      fc.property(spelling, spelling, (signed, requested) => {
        const token = fixtureToken('send-only', spell(signed, '/queue1'));
        const options = sasOptions('Send', spell(requested, '/queue1'));
        return verifySasToken(token, options, { clock: sasClock }).keyName === 'send-only';
      }),
    ),
  );

  await t.test('an amqps :5671 token verifies for the sb:// resource', (t) => {
    const token = fixtureToken('send-only', `amqps://${SAS_NAMESPACE}:5671/queue1`);
    t.ok(verifySasToken(token, sasOptions('Send'), { clock: sasClock }));
    t.end();
  });

  await t.test('a hyco-https style token (http, :443, skn not encoded) verifies for wss', (t) => {
    const rule = sasRule('listen-only');
    // hyco-https createRelayToken: protocol forced to http, host (with :443) kept, $hc/ removed.
    const token = createSasToken({
      resource: `http://${SAS_NAMESPACE}:443/queue1`,
      keyName: rule.keyName,
      key: rule.key,
      expiresAt: sasClock.now() / 1000 + 3600,
    });
    const options = sasOptions('Listen', `wss://${SAS_NAMESPACE}/queue1`);
    t.equal(verifySasToken(token, options, { clock: sasClock }).keyName, 'listen-only');
    t.end();
  });

  await t.test('a non-default port is part of the resource, as the SDK signs it', (t) => {
    const rules: SasRule[] = [
      { keyName: 'dev', key: 'dev-key', rights: new Set(['Send']), scope: 'sb://localhost:5673' },
    ];
    const token = createSasToken({
      resource: 'sb://localhost:5673/q1',
      keyName: 'dev',
      key: 'dev-key',
      expiresAt: sasClock.now() / 1000 + 60,
    });
    const verify = (resource: string) =>
      verifySasToken(
        token,
        { resource, right: 'Send', rules, maxLifetimeSeconds: 3600 },
        {
          clock: sasClock,
        },
      );
    t.ok(verify('amqp://LOCALHOST:5673/q1'));
    t.throws(() => verify('amqp://localhost/q1'), { name: 'SasError', code: 'SAS_E_RESOURCE' });
    t.throws(() => verify('amqp://localhost:5674/q1'), {
      name: 'SasError',
      code: 'SAS_E_RESOURCE',
    });
    t.end();
  });
});

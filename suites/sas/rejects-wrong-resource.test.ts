// SAS-006: the token resource must cover the requested one on a path-segment boundary. In:
// tokens for one entity and requests for others. Out: SAS_E_RESOURCE (HTTP 403).
import fc from 'fast-check';
import { SasError, verifySasToken } from '../../relay/src/protocol/sas';
import { SAS_NAMESPACE, fixtureToken, sasClock, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const RESOURCE = { name: 'SasError', code: 'SAS_E_RESOURCE', http: 403 };
const ns = `sb://${SAS_NAMESPACE}`;

void kase('SAS-006', async (t) => {
  const token = fixtureToken('RootManageSharedAccessKey', `${ns}/queue1`);
  const verify = (resource: string) =>
    verifySasToken(token, sasOptions('Send', resource), { clock: sasClock });

  await t.test('sr sb://ns/queue1 does not grant sb://ns/queue10', (t) => {
    t.throws(() => verify(`${ns}/queue10`), RESOURCE);
    t.end();
  });

  await t.test('sr sb://ns/queue1 grants its children, such as queue1/$management', (t) => {
    t.ok(verify(`${ns}/queue1/$management`));
    t.ok(verify(`${ns}/QUEUE1/$DeadLetterQueue`));
    t.end();
  });

  const refusals: [string, string][] = [
    ['a sibling queue', `${ns}/queue2`],
    ['the namespace itself', `${ns}/`],
    ['a name that merely starts with the entity', `${ns}/queue1-dlq`],
    ['another namespace', 'sb://council-43.servicebus.windows.net/queue1'],
    ['a host that extends the namespace', `sb://${SAS_NAMESPACE}.evil.example/queue1`],
    ['the namespace on a non-default port', `sb://${SAS_NAMESPACE}:9352/queue1`],
  ];
  for (const [what, resource] of refusals) {
    await t.test(`a token for queue1 is refused for ${what}`, (t) => {
      t.throws(() => verify(resource), RESOURCE);
      t.end();
    });
  }

  const name = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,12}$/);
  await t.test('a token for sb://ns/a never grants sb://ns/b, even when b starts with a', (t) =>
    checkProperty(
      t,
      fc.property(name, name, (a, suffix) => {
        const b = a + suffix;
        fc.pre(b !== a);
        const tokenA = fixtureToken('send-only', `${ns}/${a}`);
        try {
          verifySasToken(tokenA, sasOptions('Send', `${ns}/${b}`), { clock: sasClock });
          return false;
        } catch (e) {
          return e instanceof SasError && e.code === 'SAS_E_RESOURCE';
        }
      }),
    ),
  );
});

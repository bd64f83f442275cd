// SAS-017: rule scope. In: tokens signed with the key of a rule scoped to queue1, for queue1,
// its children, a sibling and the whole namespace. Out: granted inside queue1 only;
// SAS_E_RESOURCE (HTTP 403) outside, even when the request lies inside the token's sr.
import { verifySasToken } from '../../relay/src/protocol/sas';
import { SAS_NAMESPACE, fixtureToken, sasClock, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';

const ns = `sb://${SAS_NAMESPACE}`;
const RESOURCE = { name: 'SasError', code: 'SAS_E_RESOURCE', http: 403 };

void kase('SAS-017', async (t) => {
  await t.test('the queue1 key signs for queue1 and its children', (t) => {
    t.ok(verifySasToken(fixtureToken('queue1-send'), sasOptions('Send'), { clock: sasClock }));
    const child = fixtureToken('queue1-send', `${ns}/queue1/$management`);
    t.ok(
      verifySasToken(child, sasOptions('Send', `${ns}/queue1/$management`), { clock: sasClock }),
    );
    t.end();
  });

  await t.test('the queue1 key cannot sign a namespace-wide token, even for queue1', (t) => {
    const token = fixtureToken('queue1-send', `${ns}/`);
    t.throws(() => verifySasToken(token, sasOptions('Send'), { clock: sasClock }), RESOURCE);
    t.end();
  });

  await t.test('the queue1 key cannot sign for a sibling queue', (t) => {
    const token = fixtureToken('queue1-send', `${ns}/queue2`);
    t.throws(
      () => verifySasToken(token, sasOptions('Send', `${ns}/queue2`), { clock: sasClock }),
      RESOURCE,
    );
    t.end();
  });

  await t.test('the queue1 key cannot sign for queue10', (t) => {
    const token = fixtureToken('queue1-send', `${ns}/queue10`);
    t.throws(
      () => verifySasToken(token, sasOptions('Send', `${ns}/queue10`), { clock: sasClock }),
      RESOURCE,
    );
    t.end();
  });
});

// SAS-009: a Listen-only key used to Send. In: a valid token signed with the Listen-only
// rule. Out: Listen is granted; Send and Manage are refused with SAS_E_RIGHTS (HTTP 403).
import { verifySasToken } from '../../relay/src/protocol/sas';
import { fixtureToken, sasClock, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';

void kase('SAS-009', async (t) => {
  const token = fixtureToken('listen-only');
  await t.test('the Listen-only key may Listen', (t) => {
    t.ok(verifySasToken(token, sasOptions('Listen'), { clock: sasClock }));
    t.end();
  });
  for (const right of ['Send', 'Manage'] as const) {
    await t.test(`the Listen-only key may not ${right}`, (t) => {
      t.throws(() => verifySasToken(token, sasOptions(right), { clock: sasClock }), {
        name: 'SasError',
        code: 'SAS_E_RIGHTS',
        http: 403,
        amqp: 'amqp:unauthorized-access',
      });
      t.end();
    });
  }
});

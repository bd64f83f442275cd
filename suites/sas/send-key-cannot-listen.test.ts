// SAS-010: a Send-only key used to Listen. In: valid tokens signed with the Send-only rules
// (namespace- and entity-level). Out: Send is granted; Listen and Manage are refused with
// SAS_E_RIGHTS (HTTP 403, as Hybrid Connections answer a listener without Listen).
import { verifySasToken } from '../../relay/src/protocol/sas';
import { fixtureToken, sasClock, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';

void kase('SAS-010', async (t) => {
  for (const keyName of ['send-only', 'queue1-send']) {
    const token = fixtureToken(keyName);
    await t.test(`the ${keyName} key may Send`, (t) => {
      t.ok(verifySasToken(token, sasOptions('Send'), { clock: sasClock }));
      t.end();
    });
    for (const right of ['Listen', 'Manage'] as const) {
      await t.test(`the ${keyName} key may not ${right}`, (t) => {
        t.throws(() => verifySasToken(token, sasOptions(right), { clock: sasClock }), {
          name: 'SasError',
          code: 'SAS_E_RIGHTS',
          http: 403,
        });
        t.end();
      });
    }
  }
});

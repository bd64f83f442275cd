// SAS-011: Manage implies Listen and Send. In: tokens signed with a rule whose only right is
// Manage. Out: Listen, Send and Manage are all granted.
import { createSasToken, verifySasToken, type SasRule } from '../../relay/src/protocol/sas';
import { SAS_NAMESPACE, SAS_NOW_S, SAS_QUEUE, sasClock } from '../fuzz/targets/sas';
import { kase } from '../lib/case';

void kase('SAS-011', async (t) => {
  const rules: SasRule[] = [
    {
      keyName: 'manage-only',
      key: 'manage-only-key',
      rights: new Set(['Manage']),
      scope: `sb://${SAS_NAMESPACE}`,
    },
  ];
  const token = createSasToken({
    resource: SAS_QUEUE,
    keyName: 'manage-only',
    key: 'manage-only-key',
    expiresAt: SAS_NOW_S + 60,
  });
  for (const right of ['Listen', 'Send', 'Manage'] as const) {
    await t.test(`a key with only Manage may ${right}`, (t) => {
      const grant = verifySasToken(
        token,
        { resource: SAS_QUEUE, right, rules, maxLifetimeSeconds: 3600 },
        { clock: sasClock },
      );
      t.equal(grant.keyName, 'manage-only');
      t.end();
    });
  }
});

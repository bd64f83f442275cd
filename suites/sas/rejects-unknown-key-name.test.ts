// SAS-008: unknown key names. In: tokens whose skn names no configured rule. Out:
// SAS_E_KEYNAME (HTTP 401), whatever key signed them.
import { createSasToken, verifySasToken } from '../../relay/src/protocol/sas';
import { SAS_NOW_S, SAS_QUEUE, sasClock, sasOptions, sasRule } from '../fuzz/targets/sas';
import { kase } from '../lib/case';

const KEYNAME = { name: 'SasError', code: 'SAS_E_KEYNAME', http: 401 };

function token(keyName: string, key: string): string {
  return createSasToken({ resource: SAS_QUEUE, keyName, key, expiresAt: SAS_NOW_S + 60 });
}

void kase('SAS-008', async (t) => {
  await t.test('a token for a key name nobody configured is refused', (t) => {
    const verify = () =>
      verifySasToken(token('nobody', 'any-key'), sasOptions('Send'), { clock: sasClock });
    t.throws(verify, KEYNAME);
    t.end();
  });

  await t.test('a real key under an unknown name is still refused', (t) => {
    const key = sasRule('RootManageSharedAccessKey').key;
    const verify = () =>
      verifySasToken(token('RootManageSharedAccessKey2', key), sasOptions('Send'), {
        clock: sasClock,
      });
    t.throws(verify, KEYNAME);
    t.end();
  });

  await t.test('key names match exactly, case included', (t) => {
    const key = sasRule('RootManageSharedAccessKey').key;
    const verify = () =>
      verifySasToken(token('rootmanagesharedaccesskey', key), sasOptions('Send'), {
        clock: sasClock,
      });
    t.throws(verify, KEYNAME);
    t.end();
  });
});

// SAS-007: no token. In: undefined, empty and blank strings. Out: SAS_E_MISSING, rendered as
// HTTP 401 and amqp:unauthorized-access.
import { verifySasToken } from '../../relay/src/protocol/sas';
import { sasClock, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';

void kase('SAS-007', async (t) => {
  const missing = {
    name: 'SasError',
    code: 'SAS_E_MISSING',
    http: 401,
    amqp: 'amqp:unauthorized-access',
  };
  for (const [what, token] of [
    ['no token at all', undefined],
    ['an empty token', ''],
    ['a blank token', ' \t\r\n '],
  ] as const) {
    await t.test(`${what} is refused as missing`, (t) => {
      t.throws(() => verifySasToken(token, sasOptions('Send'), { clock: sasClock }), missing);
      t.end();
    });
  }
});

// SAS-015: strict structure. In: valid tokens with a field repeated, unknown, empty or
// removed, or with a broken prefix. Out: SAS_E_FORMAT (HTTP 401).
import fc from 'fast-check';
import { SasError, TOKEN_PREFIX, verifySasToken } from '../../relay/src/protocol/sas';
import { fixtureToken, sasClock, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

const FORMAT = { name: 'SasError', code: 'SAS_E_FORMAT', http: 401 };

void kase('SAS-015', async (t) => {
  const token = fixtureToken('send-only');
  const fields = token.slice(TOKEN_PREFIX.length).split('&');
  const body = fields.join('&');
  const without = (name: string) => fields.filter((f) => !f.startsWith(`${name}=`)).join('&');
  const verify = (text: string) => () =>
    verifySasToken(text, sasOptions('Send'), { clock: sasClock });

  const table: [string, string][] = [
    ['sr repeated with the same value', `${TOKEN_PREFIX}${body}&${fields[0] ?? ''}`],
    ['se repeated with another value', `${TOKEN_PREFIX}${body}&se=1`],
    ['an unknown field (skv)', `${TOKEN_PREFIX}${body}&skv=1`],
    ['an unknown field that differs only in case (SR)', `${TOKEN_PREFIX}${body}&SR=x`],
    ['an empty skn', `${TOKEN_PREFIX}${without('skn')}&skn=`],
    ['a field without "="', `${TOKEN_PREFIX}${body}&skn`],
    ['a trailing "&"', `${TOKEN_PREFIX}${body}&`],
    ['a missing se', `${TOKEN_PREFIX}${without('se')}`],
    ['a missing sig', `${TOKEN_PREFIX}${without('sig')}`],
    ['a missing skn', `${TOKEN_PREFIX}${without('skn')}`],
    ['no prefix', body],
    ['a lower-case prefix', `sharedaccesssignature ${body}`],
    ['the prefix without its space', `SharedAccessSignature${body}`],
    ['a Bearer prefix', `Bearer ${body}`],
    ['a negative se', `${TOKEN_PREFIX}${without('se')}&se=-5`],
    ['a fractional se', `${TOKEN_PREFIX}${without('se')}&se=1.5`],
    ['a sig that is not 32 bytes of base64', `${TOKEN_PREFIX}${without('sig')}&sig=AAAA`],
    ['a badly percent-encoded sr', `${TOKEN_PREFIX}${without('sr')}&sr=sb%3A%2F%2`],
    ['an sr with a query', `${TOKEN_PREFIX}${without('sr')}&sr=sb%3A%2F%2Fns%2Fq%3Fa%3D1`],
  ];
  for (const [what, text] of table) {
    await t.test(`a token with ${what} is refused as malformed`, (t) => {
      t.throws(verify(text), FORMAT);
      t.end();
    });
  }

  const extra = fc.oneof(
    fc.constantFrom(...fields),
    fc.tuple(fc.constantFrom('sr', 'sig', 'se', 'skn'), fc.string()).map(([n, v]) => `${n}=${v}`),
    fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), fc.string()).map(([n, v]) => `${n}=${v}`),
  );
  await t.test('a valid token with any extra or repeated field is refused as malformed', (t) =>
    checkProperty(
      t,
      fc.property(extra, fc.nat(fields.length), (field, at) => {
        const parts = [...fields];
        parts.splice(at, 0, field);
        try {
          verifySasToken(TOKEN_PREFIX + parts.join('&'), sasOptions('Send'), { clock: sasClock });
          return false;
        } catch (e) {
          return e instanceof SasError && e.code === 'SAS_E_FORMAT';
        }
      }),
    ),
  );
});

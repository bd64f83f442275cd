// SAS-014: field order. In: a valid token with its four fields in every order. Out: the same
// grant each time.
import fc from 'fast-check';
import { TOKEN_PREFIX, verifySasToken } from '../../relay/src/protocol/sas';
import { fixtureToken, sasClock, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

void kase('SAS-014', async (t) => {
  const token = fixtureToken('send-only');
  const fields = token.slice(TOKEN_PREFIX.length).split('&');
  const expected = verifySasToken(token, sasOptions('Send'), { clock: sasClock });

  await t.test('skn first and sr last verifies', (t) => {
    const reordered = TOKEN_PREFIX + [...fields].reverse().join('&');
    t.same(verifySasToken(reordered, sasOptions('Send'), { clock: sasClock }), expected);
    t.end();
  });

  await t.test('every order of sr, sig, se and skn gives the same grant', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.shuffledSubarray(fields, { minLength: fields.length, maxLength: fields.length }),
        (order) => {
          const grant = verifySasToken(TOKEN_PREFIX + order.join('&'), sasOptions('Send'), {
            clock: sasClock,
          });
          return grant.keyName === expected.keyName && grant.expiresAt === expected.expiresAt;
        },
      ),
    ),
  );
});

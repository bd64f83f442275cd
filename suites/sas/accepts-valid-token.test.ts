// SAS-001: a valid token verifies. In: fixture rules, tokens for resources under the
// namespace. Out: the grant (key name, expiry, rights, normalised resource).
import fc from 'fast-check';
import { verifySasToken, type SasRight } from '../../relay/src/protocol/sas';
import {
  fixtureToken,
  SAS_MAX_LIFETIME,
  SAS_NAMESPACE,
  SAS_NOW_S,
  sasClock,
  sasOptions,
  sasRule,
} from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

void kase('SAS-001', async (t) => {
  await t.test('a Send token for queue1 grants Send on queue1', (t) => {
    const grant = verifySasToken(fixtureToken('send-only'), sasOptions('Send'), {
      clock: sasClock,
    });
    t.equal(grant.keyName, 'send-only');
    t.equal(grant.expiresAt, SAS_NOW_S + 3600);
    t.same([...grant.rights], ['Send']);
    t.equal(grant.resource, `${SAS_NAMESPACE}/queue1`);
    t.end();
  });

  await t.test('an entity-level rule grants its own entity', (t) => {
    const grant = verifySasToken(fixtureToken('queue1-send'), sasOptions('Send'), {
      clock: sasClock,
    });
    t.equal(grant.keyName, 'queue1-send');
    t.end();
  });

  const segment = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,15}$/);
  const cases = fc.record({
    rule: fc.constantFrom(
      ['RootManageSharedAccessKey', 'Send'],
      ['RootManageSharedAccessKey', 'Listen'],
      ['RootManageSharedAccessKey', 'Manage'],
      ['listen-only', 'Listen'],
      ['send-only', 'Send'],
    ),
    tokenPath: fc.array(segment, { maxLength: 3 }),
    below: fc.array(segment, { maxLength: 2 }),
    ttl: fc.integer({ min: 1, max: SAS_MAX_LIFETIME }),
  });
  await t.test('any namespace-level key verifies for any resource at or under its sr', (t) =>
    checkProperty(
      t,
      fc.property(cases, ({ rule, tokenPath, below, ttl }) => {
        const [keyName, right] = rule as [string, SasRight];
        const sr = ['sb:/', SAS_NAMESPACE, ...tokenPath].join('/');
        const requested = [sr, ...below].join('/');
        const token = fixtureToken(keyName, sr, ttl);
        const grant = verifySasToken(token, sasOptions(right, requested), { clock: sasClock });
        return grant.keyName === keyName && sasRule(keyName).rights.size === grant.rights.size;
      }),
    ),
  );
});

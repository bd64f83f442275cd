// HS-022 and HS-023: version, tenant and kid. In: an otherwise well-formed HELLO with another v,
// an unconfigured tenant, an unknown or retired kid; a WELCOME with another v. Out: HS_E_VERSION,
// HS_E_TENANT, HS_E_KID (and HS_E_FORMAT when v is not a number).
import fc from 'fast-check';
import { openWelcome } from '../../relay/src/protocol/handshake';
import {
  clockAt,
  fieldsOf,
  fixtureHello,
  fixtureVerifier,
  HS_NOW_MS,
  KEY_A,
  KID_A,
  messageOf,
  outcome,
  TENANT_A,
  verdict,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

void kase('HS-022', async (t) => {
  await t.test('any numeric v other than 1 fails HS_E_VERSION', (t) =>
    checkProperty(
      t,
      fc.property(
        fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
        (v) => {
          fc.pre(v !== 1);
          const edited = messageOf({ ...fieldsOf(fixtureHello().message), v });
          return verdict(fixtureVerifier().verify(edited)) === 'HS_E_VERSION';
        },
      ),
    ),
  );

  await t.test('a v that is not a number fails HS_E_FORMAT', (t) => {
    const f = fieldsOf(fixtureHello().message);
    for (const v of ['1', null, true, [1], { v: 1 }]) {
      t.equal(
        verdict(fixtureVerifier().verify(messageOf({ ...f, v }))),
        'HS_E_FORMAT',
        JSON.stringify(v),
      );
    }
    t.end();
  });

  await t.test('v 2 with any fields at all fails HS_E_VERSION', (t) => {
    t.equal(verdict(fixtureVerifier().verify('{"v":2,"t":"hello2","x":[]}')), 'HS_E_VERSION');
    t.end();
  });

  await t.test('the relay refuses a WELCOME of version 2 with HS_E_VERSION', (t) => {
    const { message, pending } = fixtureHello();
    const result = fixtureVerifier().verify(message);
    if (!result.ok) throw new Error(result.error.code);
    const edited = messageOf({ ...fieldsOf(result.welcome), v: 2 });
    t.equal(
      outcome(() => openWelcome(pending, edited, { clock: clockAt(HS_NOW_MS) })),
      'HS_E_VERSION',
    );
    t.end();
  });
});

void kase('HS-023', async (t) => {
  await t.test('a HELLO for an unconfigured tenant fails HS_E_TENANT', (t) => {
    const { message } = fixtureHello({ tenant: 'council-99' });
    t.equal(verdict(fixtureVerifier().verify(message)), 'HS_E_TENANT');
    t.end();
  });

  await t.test('a HELLO under an unknown kid fails HS_E_KID', (t) => {
    const { message } = fixtureHello({ kid: 'k2' });
    t.equal(verdict(fixtureVerifier().verify(message)), 'HS_E_KID');
    t.end();
  });

  await t.test('a HELLO under a retired kid fails HS_E_KID', (t) => {
    const verifier = fixtureVerifier({
      tenants: { [TENANT_A]: [{ kid: KID_A, key: KEY_A, state: 'retired' }] },
    });
    t.equal(verdict(verifier.verify(fixtureHello().message)), 'HS_E_KID');
    t.end();
  });

  await t.test('a tenant or kid outside its alphabet fails HS_E_FORMAT before any look-up', (t) => {
    const f = fieldsOf(fixtureHello().message);
    for (const edit of [
      { tenant: 'Council-42' },
      { tenant: 'ab' },
      { tenant: '__proto__' },
      { kid: 'k|1' },
      { kid: '' },
    ]) {
      const edited = messageOf({ ...f, ...edit });
      t.equal(verdict(fixtureVerifier().verify(edited)), 'HS_E_FORMAT', JSON.stringify(edit));
    }
    t.end();
  });
});

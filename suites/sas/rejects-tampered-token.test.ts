// SAS-005: tampering. In: valid tokens with one field (sig, sr, se or skn) changed to any
// other value, or one bit of the signature flipped. Out: never a grant; always a SasError.
import fc from 'fast-check';
import { SasError, TOKEN_PREFIX, verifySasToken } from '../../relay/src/protocol/sas';
import {
  SAS_NAMESPACE,
  SAS_RULES,
  anyText,
  fixtureToken,
  sasClock,
  sasOptions,
} from '../fuzz/targets/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

type Fields = Record<'sr' | 'sig' | 'se' | 'skn', string>;

/** The raw (still encoded) fields of a token made by createSasToken. */
function rawFields(token: string): Fields {
  const entries = token
    .slice(TOKEN_PREFIX.length)
    .split('&')
    .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]);
  return Object.fromEntries(entries) as Fields;
}

function build(f: Fields): string {
  return `${TOKEN_PREFIX}sr=${f.sr}&sig=${f.sig}&se=${f.se}&skn=${f.skn}`;
}

/** True when verification refuses `token` with a typed error. */
function refused(token: string, resource: string): boolean {
  try {
    verifySasToken(token, sasOptions('Listen', resource), { clock: sasClock });
    return false;
  } catch (e) {
    return e instanceof SasError;
  }
}

const original = fc.record({
  keyName: fc.constantFrom('RootManageSharedAccessKey', 'listen-only'),
  path: fc.constantFrom('/queue1', '/queue1/', '/topic/Subscriptions/sub', ''),
  ttl: fc.integer({ min: 1, max: 3600 }),
});

const replacement = fc.oneof(
  anyText.map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, ''))),
  anyText,
  fc.integer({ min: 0, max: 2 ** 40 }).map(String),
  fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .map((b) => encodeURIComponent(Buffer.from(b).toString('base64'))),
  fc.constantFrom(...SAS_RULES.map((r) => r.keyName)),
  fc.constantFrom(encodeURIComponent(`sb://${SAS_NAMESPACE}/`), `sb://${SAS_NAMESPACE}/queue1`),
);

void kase('SAS-005', async (t) => {
  await t.test('a token with any one field changed to any other value never verifies', (t) =>
    checkProperty(
      t,
      fc.property(
        original,
        fc.constantFrom<keyof Fields>('sr', 'sig', 'se', 'skn'),
        replacement,
        ({ keyName, path, ttl }, field, value) => {
          const resource = `sb://${SAS_NAMESPACE}${path}`;
          const fields = rawFields(fixtureToken(keyName, resource, ttl));
          fc.pre(fields[field] !== value);
          return refused(build({ ...fields, [field]: value }), `sb://${SAS_NAMESPACE}/queue1/x`);
        },
      ),
    ),
  );

  await t.test('flipping any one bit of the signature fails with SAS_E_SIGNATURE', (t) =>
    checkProperty(
      t,
      fc.property(original, fc.nat(255), ({ keyName, path, ttl }, bit) => {
        const resource = `sb://${SAS_NAMESPACE}${path}`;
        const fields = rawFields(fixtureToken(keyName, resource, ttl));
        const sig = Buffer.from(decodeURIComponent(fields.sig), 'base64');
        sig[bit >> 3] = (sig[bit >> 3] ?? 0) ^ (1 << (bit & 7));
        const token = build({ ...fields, sig: encodeURIComponent(sig.toString('base64')) });
        try {
          verifySasToken(token, sasOptions('Listen', resource), { clock: sasClock });
          return false;
        } catch (e) {
          return e instanceof SasError && e.code === 'SAS_E_SIGNATURE';
        }
      }),
    ),
  );

  await t.test('an equivalent but different spelling of sr still breaks the signature', (t) => {
    const fields = rawFields(fixtureToken('listen-only', `sb://${SAS_NAMESPACE}/queue1`));
    const token = build({ ...fields, sr: `${fields.sr}%2F` });
    t.throws(() => verifySasToken(token, sasOptions('Listen'), { clock: sasClock }), {
      name: 'SasError',
      code: 'SAS_E_SIGNATURE',
      http: 401,
    });
    t.end();
  });

  await t.test('a token re-signed under another key name is refused', (t) => {
    const fields = rawFields(fixtureToken('listen-only'));
    const token = build({ ...fields, skn: 'RootManageSharedAccessKey' });
    t.throws(() => verifySasToken(token, sasOptions('Listen'), { clock: sasClock }), {
      code: 'SAS_E_SIGNATURE',
    });
    t.end();
  });
});

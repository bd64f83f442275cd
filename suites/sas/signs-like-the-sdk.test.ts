// SAS-002: createSasToken builds byte for byte the token @azure/core-amqp builds. In:
// resources, key names, keys and expiries. Out: equal strings. The reference below restates
// core-amqp's createToken (auth/tokenProvider.ts with util/hmacSha256.ts's signString).
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { createSasToken } from '../../relay/src/protocol/sas';
import { kase } from '../lib/case';
import { checkProperty } from '../lib/property';

/** The SDK's algorithm: sr and skn encodeURIComponent-ed; sig over `sr + "\n" + se`. */
function sdkToken(keyName: string, key: string, expiry: number, audience: string): string {
  const sr = encodeURIComponent(audience);
  const skn = encodeURIComponent(keyName);
  const hmac = createHmac('sha256', key)
    .update(sr + '\n' + String(expiry))
    .digest('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent(hmac)}&se=${expiry}&skn=${skn}`;
}

/** Well-formed Unicode text (no lone surrogates: encodeURIComponent refuses those). */
const text = (minLength: number) =>
  fc.oneof(fc.string({ minLength }), fc.string({ minLength, unit: 'grapheme' }));

void kase('SAS-002', async (t) => {
  await t.test('a pinned vector, computed independently with openssl, is reproduced', (t) => {
    // printf 'sb%3A%2F%2Fns.servicebus.windows.net%3A5671%2Fqueue1\n1700003600' |
    //   openssl dgst -sha256 -hmac 'k3y' -binary | base64
    const token = createSasToken({
      resource: 'sb://ns.servicebus.windows.net:5671/queue1',
      keyName: 'send',
      key: 'k3y',
      expiresAt: 1700003600,
    });
    t.equal(
      token,
      'SharedAccessSignature sr=sb%3A%2F%2Fns.servicebus.windows.net%3A5671%2Fqueue1' +
        '&sig=2c%2FD6vIUH4gXDJJnDXcWio58WjgsXavhQxJTDYn6rWY%3D&se=1700003600&skn=send',
    );
    t.end();
  });

  const inputs = fc.record({
    resource: fc.oneof(fc.webUrl({ withQueryParameters: true }), text(1)),
    keyName: fc.oneof(fc.constantFrom('RootManageSharedAccessKey', 'send', 'a b&c=d'), text(1)),
    key: fc.oneof(fc.base64String({ minLength: 4 }), text(1)),
    expiry: fc.integer({ min: 0, max: 999_999_999_999 }),
  });
  await t.test('for any resource, key name, key and expiry the token equals the SDK one', (t) =>
    checkProperty(
      t,
      fc.property(inputs, ({ resource, keyName, key, expiry }) => {
        const ours = createSasToken({ resource, keyName, key, expiresAt: expiry });
        return ours === sdkToken(keyName, key, expiry, resource);
      }),
    ),
  );

  await t.test('the resource is signed as given: no lower-casing, the port kept', (t) => {
    const token = createSasToken({
      resource: 'sb://LocalHost:5673/Q1',
      keyName: 'k',
      key: 'x',
      expiresAt: 1,
    });
    t.match(token, /^SharedAccessSignature sr=sb%3A%2F%2FLocalHost%3A5673%2FQ1&/);
    t.end();
  });
});

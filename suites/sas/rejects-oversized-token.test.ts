// SAS-016: the length bound. In: validly signed tokens of exactly 4096 bytes and just over,
// multi-byte padding, a 10 MB string. Out: SAS_E_TOO_LONG above 4096 bytes, before parsing.
import { MAX_TOKEN_LENGTH, verifySasToken } from '../../relay/src/protocol/sas';
import { SAS_NAMESPACE, fixtureToken, sasClock, sasOptions } from '../fuzz/targets/sas';
import { kase } from '../lib/case';

const TOO_LONG = { name: 'SasError', code: 'SAS_E_TOO_LONG', http: 401 };

/** A valid token for sb://ns/queue1/aaa… of exactly `bytes` bytes. */
function tokenOfLength(bytes: number): { token: string; resource: string } {
  // The encoded sig varies in length (%2B, %2F), so grow the path until the size is exact.
  for (let ttl = 60; ttl < 120; ttl++) {
    for (let pad = bytes - 400; pad < bytes; pad++) {
      const resource = `sb://${SAS_NAMESPACE}/queue1/${'a'.repeat(pad)}`;
      const token = fixtureToken('send-only', resource, ttl);
      if (token.length === bytes) return { token, resource };
    }
  }
  throw new Error(`no fixture token of exactly ${bytes} bytes`);
}

void kase('SAS-016', async (t) => {
  await t.test('a valid token of exactly 4096 bytes verifies', (t) => {
    const { token, resource } = tokenOfLength(MAX_TOKEN_LENGTH);
    t.equal(Buffer.byteLength(token), MAX_TOKEN_LENGTH);
    t.ok(verifySasToken(token, sasOptions('Send', resource), { clock: sasClock }));
    t.end();
  });

  await t.test('a validly signed token of 4097 bytes is refused as too long', (t) => {
    const { token, resource } = tokenOfLength(MAX_TOKEN_LENGTH + 1);
    t.equal(Buffer.byteLength(token), MAX_TOKEN_LENGTH + 1);
    t.throws(
      () => verifySasToken(token, sasOptions('Send', resource), { clock: sasClock }),
      TOO_LONG,
    );
    t.end();
  });

  await t.test('the bound counts UTF-8 bytes, not characters', (t) => {
    const text = 'é'.repeat(MAX_TOKEN_LENGTH / 2 + 1);
    t.ok(text.length < MAX_TOKEN_LENGTH);
    t.throws(() => verifySasToken(text, sasOptions('Send'), { clock: sasClock }), TOO_LONG);
    t.end();
  });

  await t.test('a 10 MB string is refused as too long, not parsed', (t) => {
    const huge = 'SharedAccessSignature ' + 'sr=x&'.repeat(2_000_000);
    t.throws(() => verifySasToken(huge, sasOptions('Send'), { clock: sasClock }), TOO_LONG);
    t.end();
  });
});

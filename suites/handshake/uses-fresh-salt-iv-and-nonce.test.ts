// HS-012: fresh randomness. In: 100,000 HELLOs straight from the builder, then 10,000 complete
// handshakes, all with the system's randomness (the default RandomBytes). Out: every HELLO salt
// and iv is distinct and of its stated length (16, 12 bytes); over the handshakes, every relay
// nonce, WELCOME salt and iv, cloud nonce and session id is distinct.
import {
  createHello,
  HandshakeVerifier,
  messageAad,
  messageInfo,
} from '../../relay/src/protocol/handshake';
import { aeadOpen, hkdf32 } from '../../relay/src/protocol/primitives';
import {
  clockAt,
  fieldsOf,
  HS_NOW_MS,
  KEY_A,
  KID_A,
  RELAY_ID,
  TENANT_A,
} from '../fuzz/targets/handshake';
import { kase } from '../lib/case';

const HELLOS = 100_000;
const WELCOMES = 10_000;
const params = { tenant: TENANT_A, kid: KID_A, key: KEY_A, relay: RELAY_ID };
const clock = clockAt(HS_NOW_MS);

/** Opens a message's plaintext directly, as an independent reader would. */
function plaintext(message: string, t: 'hello' | 'welcome'): Record<string, unknown> {
  const f = fieldsOf(message) as Record<string, string>;
  const b = (k: string) => Buffer.from(f[k] ?? '', 'base64url');
  const pt = aeadOpen(
    hkdf32(KEY_A, b('salt'), messageInfo(t, TENANT_A)),
    b('iv'),
    Buffer.from(messageAad(t, TENANT_A, KID_A, f.salt ?? ''), 'utf8'),
    b('ct'),
    b('tag'),
  );
  if (pt === undefined) throw new Error('the fixture message does not open');
  return JSON.parse(pt.toString('utf8')) as Record<string, unknown>;
}

void kase('HS-012', async (t) => {
  await t.test('100,000 HELLOs have distinct salts and ivs of 16 and 12 bytes', (t) => {
    const salts = new Set<string>();
    const ivs = new Set<string>();
    let badLength = 0;
    for (let i = 0; i < HELLOS; i++) {
      const f = fieldsOf(createHello(params, { clock }).message) as Record<string, string>;
      const salt = f.salt ?? '';
      const iv = f.iv ?? '';
      salts.add(salt);
      ivs.add(iv);
      const ok = Buffer.from(salt, 'base64url').length === 16;
      if (!ok || Buffer.from(iv, 'base64url').length !== 12) badLength++;
    }
    t.equal(salts.size, HELLOS, 'distinct salts');
    t.equal(ivs.size, HELLOS, 'distinct ivs');
    t.equal(badLength, 0, 'every salt is 16 bytes and every iv 12');
    t.end();
  });

  await t.test(
    '10,000 handshakes have distinct relay nonces, WELCOME salts and ivs, cloud nonces and sids',
    (t) => {
      const verifier = new HandshakeVerifier(
        {
          tenants: { [TENANT_A]: [{ kid: KID_A, key: KEY_A }] },
          replayCache: { maxEntries: 2 * WELCOMES, maxBytes: 1 << 24 },
          maxSessionsPerTenant: WELCOMES,
        },
        { clock },
      );
      const seen = {
        nr: new Set(),
        salt: new Set<string>(),
        iv: new Set<string>(),
        nc: new Set(),
        sid: new Set(),
      };
      for (let i = 0; i < WELCOMES; i++) {
        const result = verifier.verify(createHello(params, { clock }).message);
        if (!result.ok) throw new Error(`handshake ${i} refused: ${result.error.code}`);
        const f = fieldsOf(result.welcome) as Record<string, string>;
        const pt = plaintext(result.welcome, 'welcome');
        seen.salt.add(f.salt ?? '');
        seen.iv.add(f.iv ?? '');
        seen.nr.add(pt.nr);
        seen.nc.add(pt.nc);
        seen.sid.add(pt.sid);
      }
      for (const [name, set] of Object.entries(seen))
        t.equal(set.size, WELCOMES, `distinct ${name}`);
      t.end();
    },
  );
});

// HS-019: test vectors. In: fixtures/vectors/handshake-v1.json (fixed inputs and expected
// outputs). Out: from the recorded inputs alone, the relay side builds the exact HELLO, the cloud
// side the exact WELCOME, both derive the exact session key, every intermediate matches, each
// side accepts the other's recorded message, and the whole file re-renders byte for byte.
import { readFileSync } from 'node:fs';
import {
  createHello,
  deriveSessionKey,
  HandshakeVerifier,
  messageAad,
  messageInfo,
  openWelcome,
} from '../../relay/src/protocol/handshake';
import { b64url, hkdf32 } from '../../relay/src/protocol/primitives';
import {
  renderVectors,
  scripted,
  VECTOR_FILE,
  type VectorFile,
} from '../../fixtures/vectors/generate-handshake-v1';
import { kase } from '../lib/case';

const text = readFileSync(VECTOR_FILE, 'utf8');
const file = JSON.parse(text) as VectorFile;
const at = (ms: number) => ({ now: () => ms });
const hex = (h: string) => Buffer.from(h, 'hex');

void kase('HS-019', async (t) => {
  t.ok(file.vectors.length >= 2, 'the file holds at least two vectors');

  for (const { inputs: i, expected: e } of file.vectors) {
    await t.test(`vector "${i.name}" reproduces on both sides`, (t) => {
      const K = hex(i.K);
      const { message, pending } = createHello(
        { tenant: i.tenant, kid: i.kid, key: K, relay: i.relay, caps: i.caps },
        { clock: at(i.hello.ts), random: scripted([i.hello.nr, i.hello.salt, i.hello.iv]) },
      );
      t.equal(message, e.hello, 'relay side: HELLO byte for byte');

      const cloud = new HandshakeVerifier(
        { tenants: { [i.tenant]: [{ kid: i.kid, key: K }] }, ttlSeconds: i.welcome.ttl },
        {
          clock: at(i.welcome.ts),
          random: scripted([i.welcome.nc, i.welcome.sid, i.welcome.salt, i.welcome.iv]),
        },
      );
      const result = cloud.verify(e.hello);
      t.equal(result.ok && result.welcome, e.welcome, 'cloud side: WELCOME byte for byte');

      const session = openWelcome(pending, e.welcome, { clock: at(i.welcome.ts) });
      t.equal(session.key.toString('hex'), e.sessionKey, 'relay side: session key');
      t.equal(result.ok && result.session.key.toString('hex'), e.sessionKey, 'cloud: session key');
      t.equal(session.sid, b64url(hex(i.welcome.sid)), 'session id');
      t.equal(session.ttl, i.welcome.ttl, 'ttl');

      const nr = hex(i.hello.nr);
      const nc = hex(i.welcome.nc);
      const helloSalt = b64url(hex(i.hello.salt));
      const welcomeSalt = b64url(hex(i.welcome.salt));
      t.equal(messageInfo('hello', i.tenant), e.helloInfo);
      t.equal(messageInfo('welcome', i.tenant), e.welcomeInfo);
      t.equal(hkdf32(K, hex(i.hello.salt), e.helloInfo).toString('hex'), e.helloKey);
      t.equal(hkdf32(K, hex(i.welcome.salt), e.welcomeInfo).toString('hex'), e.welcomeKey);
      t.equal(messageAad('hello', i.tenant, i.kid, helloSalt), e.helloAad);
      t.equal(messageAad('welcome', i.tenant, i.kid, welcomeSalt), e.welcomeAad);
      t.equal(Buffer.concat([nr, nc]).toString('hex'), e.sessionSalt);
      t.equal(`relaycheck session v1 ${i.tenant} ${session.sid}`, e.sessionInfo);
      t.equal(deriveSessionKey(K, i.tenant, nr, nc, session.sid).toString('hex'), e.sessionKey);
      t.equal(
        JSON.stringify({ relay: i.relay, nr: b64url(nr), ts: i.hello.ts, caps: i.caps }),
        e.helloPlaintext,
      );
      const welcomePt = {
        nr: b64url(nr),
        nc: b64url(nc),
        sid: session.sid,
        ts: i.welcome.ts,
        ttl: i.welcome.ttl,
      };
      t.equal(JSON.stringify(welcomePt), e.welcomePlaintext);
      t.end();
    });
  }

  await t.test('the file is exactly the rendering of its own inputs', (t) => {
    t.equal(renderVectors(file.vectors.map((v) => v.inputs)), text);
    t.end();
  });
});

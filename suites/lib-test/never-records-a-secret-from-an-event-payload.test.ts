// Secrets never reach a case's evidence: values of secret-named fields (key, token, sig,
// password, authorization, sas...), SAS tokens, `sig=`, `SharedAccessKey=` and `...token=`
// inside any text, and bytes (shown as their length) are removed when the event is captured.
// In: a key made at run time (crypto.randomBytes), published in payloads under many names
// and disguises (a fast-check property over names and nesting). Out: the evidence as JSON,
// scanned for the key in every encoding a payload carried it in.
import { randomBytes } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import t from 'tap';
import {
  isSecretKey,
  openCaseEvidence,
  recordRelayEvent,
  renderValue,
  scrubText,
} from '../lib/evidence';
import { checkProperty } from '../lib/property';

const CHANNEL = 'sim:evidence-test:secrets';

/** The forms in which the payloads below carry `key`. */
function forms(key: string): string[] {
  return [key, encodeURIComponent(key), Buffer.from(key).toString('hex')];
}

function disguises(key: string): Record<string, unknown> {
  const url = encodeURIComponent(key);
  return {
    key,
    primaryKey: key,
    sharedAccessKey: key,
    token: key,
    sasToken: key,
    signature: key,
    sig: key,
    password: key,
    Authorization: `SharedAccessSignature sr=a&sig=${url}&se=1&skn=b`,
    secretHex: Buffer.from(key).toString('hex'),
    header: `SharedAccessSignature sr=a&sig=${url}&se=1&skn=b`,
    encoded: `SharedAccessSignature%20sr%3Da%26sig%3D${url}%26se%3D1`,
    connectionString: `Endpoint=sb://ns/;SharedAccessKeyName=root;SharedAccessKey=${key}`,
    query: `wss://ns/$hc/hyco?sb-hc-action=listen&sb-hc-token=${url}`,
    bearer: `Bearer ${key}`,
    body: Buffer.from(key),
    bytes: new Uint8Array(Buffer.from(key)),
    list: [`sig=${url}`, 'plain'],
    nested: { inner: { password: key }, apiKey: key },
  };
}

void t.test('a key published in every disguise is absent from the evidence', (t) => {
  const key = randomBytes(32).toString('base64');
  const recorder = openCaseEvidence('FAKE-001 a fake case', { channels: [CHANNEL] });
  // One disguise per event: a payload keeps at most 16 fields.
  for (const [name, value] of Object.entries(disguises(key))) {
    diagnostics.channel(CHANNEL).publish({ state: 'live', [name]: value });
    recordRelayEvent({ channel: 'relay:session', data: { state: 'live', [name]: value } });
  }
  const json = JSON.stringify(recorder.finish());
  for (const form of forms(key)) t.notOk(json.includes(form), 'the key is not in the evidence');
  t.match(json, /"state":"live"/, 'the rest of the payload is kept');
  t.match(json, /"body":"<44 bytes>"/, 'bytes are shown as their length');
  t.match(json, /SharedAccessKeyName=root;SharedAccessKey=\[redacted\]/);
  t.end();
});

void t.test('secret-looking text is scrubbed wherever it appears', (t) => {
  const key = randomBytes(24).toString('base64url');
  for (const text of [
    `SharedAccessSignature sr=x&sig=${key}&se=1`,
    `retry with sig=${key}`,
    `conn Endpoint=sb://x/;SharedAccessKey=${key};EntityPath=q`,
    `GET /x?sb-hc-token=${key}&y=1`,
    `Authorization: Bearer ${key}`,
  ]) {
    t.notOk(scrubText(text).includes(key), `scrubbed: ${scrubText(text)}`);
  }
  t.equal(scrubText('a plain reason, no secret'), 'a plain reason, no secret');
  t.notOk(renderValue({ key, ok: true }).includes(key), 'rendered values are redacted too');
  t.notOk(renderValue(Buffer.from(key)).includes(key), 'and bytes are not shown');
  for (const name of ['key', 'sharedAccessKey', 'lockToken', 'sig', 'sasRule', 'Authorization']) {
    t.ok(isSecretKey(name), `a field named ${name} is redacted`);
  }
  for (const name of ['keyName', 'signal', 'verdict', 'port', 'kid']) {
    t.notOk(isSecretKey(name), `a field named ${name} is kept (its text still scrubbed)`);
  }
  t.equal(
    scrubText(`SharedAccessKey=${key}`),
    'SharedAccessKey=[redacted]',
    'a kept field with a secret in its text loses the secret',
  );
  t.end();
});

void t.test(
  'for any secret-named field at any depth the key never reaches the evidence',
  async (t) => {
    const key = randomBytes(32).toString('base64');
    const names = fc.constantFrom(
      'key',
      'Key',
      'relayKey',
      'secret',
      'clientSecret',
      'token',
      'accessToken',
      'signature',
      'sig',
      'password',
      'authorization',
      'sasKey',
      'SAS',
    );
    const plain = fc.constantFrom('state', 'route', 'port', 'verdict', 'messageId');
    const payload: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.dictionary(names, fc.constant(key), { minKeys: 1, maxKeys: 3 }),
        fc.dictionary(plain, tie('node'), { minKeys: 1, maxKeys: 3 }),
        fc.dictionary(names, fc.constantFrom(Buffer.from(key), [key], { x: key }), { minKeys: 1 }),
      ),
    })).node;
    await checkProperty(
      t,
      fc.property(payload, (data) => {
        const recorder = openCaseEvidence('FAKE-003 a fake case', { channels: [CHANNEL] });
        diagnostics.channel(CHANNEL).publish(data);
        const json = JSON.stringify(recorder.finish());
        return forms(key).every((f) => !json.includes(f));
      }),
    );
  },
);

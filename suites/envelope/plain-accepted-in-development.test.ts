// ENV-018: under the development profile a plain body is accepted unchanged and reported as
// plain (sealed: false), by the single-shot and the streaming opener; sealed bodies are still
// fully verified. In: plain and sealed bodies. Out: tap results.
import { kase } from '../lib/case';
import {
  ENVELOPE_PROFILES,
  metadataToHeaders,
  openMessage,
  sealBody,
} from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import {
  chunked,
  openParams,
  outcomeOf,
  runStream,
  sampleBody,
  sealParams,
} from '../fuzz/targets/envelope';

void kase('ENV-018', async (t) => {
  const development = openParams({}, ENVELOPE_PROFILES.development);
  const plain = sampleBody(150_000);
  const opened = openMessage(development, { 'content-type': 'application/pdf' }, plain);
  t.equal(opened.sealed, false, 'the result says the body was plain');
  t.ok(opened.body.equals(plain), 'the plain body is passed through unchanged');

  const stream = createOpenStream(development, undefined);
  t.equal(stream.sealed, false, 'the opening stream says it passes a plain body through');
  const run = await runStream(stream, chunked(plain, [10_000, 70_001]));
  t.equal(run.error, undefined, 'the plain stream ends without error');
  t.ok(run.output.equals(plain), 'the plain stream passes the body through unchanged');

  const body = sampleBody(2000);
  const { metadata, sealed } = sealBody(sealParams(), body);
  const headers = metadataToHeaders(metadata);
  const openedSealed = openMessage(development, headers, sealed);
  t.equal(openedSealed.sealed, true, 'a sealed body is reported as sealed');
  t.ok(openedSealed.body.equals(body), 'a sealed body still opens');
  const tampered = Buffer.from(sealed);
  tampered[0] = (tampered[0] ?? 0) ^ 1;
  t.equal(
    outcomeOf(() => openMessage(development, headers, tampered)),
    'ENV_E_AUTH',
    'a tampered sealed body is still refused under development',
  );
});

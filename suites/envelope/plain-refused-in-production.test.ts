// ENV-017: under the production profile a body without rc-* metadata is refused with
// ENV_E_PLAIN, by every opener, and so is a sealed body whose metadata was stripped; partial
// metadata is malformed, not plain. In: plain and stripped bodies. Out: tap results.
import { kase } from '../lib/case';
import {
  ENVELOPE_PROFILES,
  metadataToHeaders,
  openBody,
  openMessage,
  sealBody,
} from '../../relay/src/protocol/envelope';
import { createOpenStream } from '../../relay/src/protocol/envelope-stream';
import { openParams, outcomeOf, sampleBody, sealParams } from '../fuzz/targets/envelope';

void kase('ENV-017', (t) => {
  const production = openParams({}, ENVELOPE_PROFILES.production);
  const plain = Buffer.from('<CouncilTaxRequest account="123"/>');
  t.equal(
    outcomeOf(() => openMessage(production, { 'content-type': 'application/xml' }, plain)),
    'ENV_E_PLAIN',
    'a plain body with ordinary headers is refused',
  );
  t.equal(
    outcomeOf(() => openBody(production, undefined, plain)),
    'ENV_E_PLAIN',
    'openBody refuses a body without metadata',
  );
  t.equal(
    outcomeOf(() => createOpenStream(production, undefined)),
    'ENV_E_PLAIN',
    'the streaming opener refuses it before reading the body',
  );
  const { metadata, sealed } = sealBody(sealParams(), sampleBody(500));
  t.equal(
    outcomeOf(() => openMessage(production, {}, sealed)),
    'ENV_E_PLAIN',
    'a sealed body whose metadata was stripped is refused',
  );
  const partial: Record<string, string> = metadataToHeaders(metadata);
  delete partial['rc-env'];
  t.equal(
    outcomeOf(() => openMessage(production, partial, sealed)),
    'ENV_E_FORMAT',
    'metadata with rc-env removed but the other fields kept is malformed, not plain',
  );
  t.end();
});

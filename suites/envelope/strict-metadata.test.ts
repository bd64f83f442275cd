// ENV-027: parseMetadata accepts exactly the spelling metadataToHeaders writes and refuses
// every near miss with its own code: missing or extra-padded fields, wrong lengths,
// non-canonical base64url or decimal, wrong types, another version. Unrelated keys are
// ignored and a record without any rc-* field is a plain body. In: a table of near misses.
// Out: tap results.
import { kase } from '../lib/case';
import { metadataToHeaders, parseMetadata, sealBody } from '../../relay/src/protocol/envelope';
import { outcomeOf, sampleBody, sealParams } from '../fuzz/targets/envelope';

void kase('ENV-027', (t) => {
  const { metadata } = sealBody(sealParams(), sampleBody(10));
  const good = metadataToHeaders(metadata);
  t.same(parseMetadata(good), metadata, 'the written headers read back to the same metadata');
  t.same(
    parseMetadata({ ...good, 'content-type': 'application/pdf', 'rc-other': 'x' }),
    metadata,
    'unrelated keys are ignored',
  );
  t.equal(parseMetadata({ 'content-type': 'text/xml' }), undefined, 'no rc-* field: a plain body');

  const salt = good['rc-salt'] ?? '';
  const iv = good['rc-iv'] ?? '';
  const lastSalt = salt.slice(-1);
  const nearMisses: [string, Record<string, unknown>, string][] = [
    ['rc-env v2', { 'rc-env': 'v2' }, 'ENV_E_VERSION'],
    ['rc-env V1', { 'rc-env': 'V1' }, 'ENV_E_VERSION'],
    ['rc-env "v1 "', { 'rc-env': 'v1 ' }, 'ENV_E_VERSION'],
    ['rc-env as a number', { 'rc-env': 1 }, 'ENV_E_FORMAT'],
    ['rc-env missing', { 'rc-env': undefined }, 'ENV_E_FORMAT'],
    ['rc-kid missing', { 'rc-kid': undefined }, 'ENV_E_FORMAT'],
    ['rc-kid empty', { 'rc-kid': '' }, 'ENV_E_FORMAT'],
    ['rc-kid with a space', { 'rc-kid': 'k 2025' }, 'ENV_E_FORMAT'],
    ['rc-salt padded', { 'rc-salt': salt + '==' }, 'ENV_E_FORMAT'],
    [
      'rc-salt in standard base64',
      { 'rc-salt': salt.replace(/-/g, '+').replace(/_/g, '/') + '+' },
      'ENV_E_FORMAT',
    ],
    ['rc-salt of 15 bytes', { 'rc-salt': Buffer.alloc(15).toString('base64url') }, 'ENV_E_FORMAT'],
    ['rc-salt of 17 bytes', { 'rc-salt': Buffer.alloc(17).toString('base64url') }, 'ENV_E_FORMAT'],
    [
      'rc-salt with non-zero unused bits',
      { 'rc-salt': salt.slice(0, -1) + (lastSalt === 'B' ? 'C' : 'B') },
      'ENV_E_FORMAT',
    ],
    ['rc-salt as bytes', { 'rc-salt': Buffer.from(salt) }, 'ENV_E_FORMAT'],
    ['rc-iv of 16 bytes', { 'rc-iv': Buffer.alloc(16).toString('base64url') }, 'ENV_E_FORMAT'],
    ['rc-iv with a trailing newline', { 'rc-iv': iv + '\n' }, 'ENV_E_FORMAT'],
    ['rc-ts with a leading zero', { 'rc-ts': '0' + String(metadata.ts) }, 'ENV_E_FORMAT'],
    ['rc-ts negative', { 'rc-ts': '-1' }, 'ENV_E_FORMAT'],
    ['rc-ts in exponent form', { 'rc-ts': '1.76e12' }, 'ENV_E_FORMAT'],
    ['rc-ts with a fraction', { 'rc-ts': String(metadata.ts) + '.0' }, 'ENV_E_FORMAT'],
    ['rc-ts beyond 2^53', { 'rc-ts': '9007199254740993' }, 'ENV_E_FORMAT'],
    ['rc-ts as a number', { 'rc-ts': metadata.ts }, 'ENV_E_FORMAT'],
    ['rc-ts in an array', { 'rc-ts': [String(metadata.ts)] }, 'ENV_E_FORMAT'],
  ];
  for (const [label, change, code] of nearMisses) {
    t.equal(
      outcomeOf(() => parseMetadata({ ...good, ...change })),
      code,
      `${label} gives ${code}`,
    );
  }
  t.equal(
    outcomeOf(() => parseMetadata(null)),
    'ENV_E_FORMAT',
    'null is not a record',
  );
  t.equal(
    outcomeOf(() => parseMetadata([good])),
    'ENV_E_FORMAT',
    'an array is not a record',
  );
  t.end();
});

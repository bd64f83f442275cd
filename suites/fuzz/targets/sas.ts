// Fuzz target for SAS token parsing and verification. In: hostile strings: random text
// (lone surrogates included), token-shaped strings built from real and broken fields, valid
// tokens with one edit, and strings around the 4 KiB bound. Out: a grant or a SasError.
// Also exports the fixture (namespace, rules, fixed clock) and the arbitraries that the SAS
// conformance cases in suites/sas/ share.
import fc from 'fast-check';
import type { Clock } from '../../../relay/src/protocol/primitives';
import {
  createSasToken,
  MAX_TOKEN_LENGTH,
  verifySasToken,
  type SasRight,
  type SasRule,
  type VerifySasOptions,
} from '../../../relay/src/protocol/sas';
import type { FuzzTarget } from '../types';

/** The fixed "now" of every SAS case: 2025-10-09T08:53:20Z, in milliseconds. */
export const SAS_NOW_MS = 1_760_000_000_000;
export const SAS_NOW_S = SAS_NOW_MS / 1000;
export const sasClock: Clock = Object.freeze({ now: () => SAS_NOW_MS });
/** A clock stopped at `seconds` (Unix seconds). */
export function clockAt(seconds: number): Clock {
  return Object.freeze({ now: () => seconds * 1000 });
}

export const SAS_NAMESPACE = 'council-42.servicebus.windows.net';
export const SAS_QUEUE = `sb://${SAS_NAMESPACE}/queue1`;
export const SAS_MAX_LIFETIME = 24 * 3600;

function rule(keyName: string, key: string, rights: SasRight[], scope: string): SasRule {
  return Object.freeze({ keyName, key, rights: new Set(rights), scope });
}

/** Namespace-level Manage, Listen-only and Send-only rules, and an entity-level rule. */
export const SAS_RULES: readonly SasRule[] = Object.freeze([
  rule(
    'RootManageSharedAccessKey',
    'manage-key-0123456789abcdefghij=',
    ['Manage', 'Listen', 'Send'],
    `sb://${SAS_NAMESPACE}/`,
  ),
  rule('listen-only', 'listen-key-ABCDEFGHIJ0123456789=', ['Listen'], `sb://${SAS_NAMESPACE}/`),
  rule('send-only', 'send-key-abcdefghij0123456789+/=', ['Send'], `sb://${SAS_NAMESPACE}/`),
  rule('queue1-send', 'queue1-key-ZYXWVUTSRQ9876543210=', ['Send'], SAS_QUEUE),
]);

/** The configured rule named `keyName` (the fixture has one per name). */
export function sasRule(keyName: string): SasRule {
  const found = SAS_RULES.find((r) => r.keyName === keyName);
  if (found === undefined) throw new Error(`no fixture rule ${keyName}`);
  return found;
}

/** A token for `resource` signed with fixture rule `keyName`, expiring `ttl` s after now. */
export function fixtureToken(keyName: string, resource = SAS_QUEUE, ttl = 3600): string {
  const r = sasRule(keyName);
  return createSasToken({ resource, keyName, key: r.key, expiresAt: SAS_NOW_S + ttl });
}

/** Verify options for `right` on `resource` with the fixture rules and policy. */
export function sasOptions(right: SasRight, resource = SAS_QUEUE): VerifySasOptions {
  return { resource, right, rules: SAS_RULES, maxLifetimeSeconds: SAS_MAX_LIFETIME };
}

// ---------------------------------------------------------------------------------------
// Arbitraries

/** Any UTF-16 text, lone surrogates and control characters included. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: fc.nat(0xffff).map((n) => String.fromCharCode(n)), maxLength: 200 }),
);

const validFixtureToken: fc.Arbitrary<string> = fc
  .record({
    keyName: fc.constantFrom(...SAS_RULES.map((r) => r.keyName)),
    path: fc.constantFrom('', '/', '/queue1', '/queue1/', '/queue1/$management', '/queue10'),
    scheme: fc.constantFrom('sb', 'amqps', 'https', 'wss', 'http', 'ws', 'amqp'),
    port: fc.constantFrom('', ':5671', ':443', ':5672', ':80', ':9352'),
    ttl: fc.integer({ min: -10, max: 2 * SAS_MAX_LIFETIME }),
  })
  .map(({ keyName, path, scheme, port, ttl }) =>
    fixtureToken(keyName, `${scheme}://${SAS_NAMESPACE}${port}${path}`, ttl),
  );

const fieldName = fc.constantFrom('sr', 'sig', 'se', 'skn', 'SR', 'sig ', '', 'x', 'se=');
const fieldValue = fc.oneof(
  fc.constantFrom(
    encodeURIComponent(SAS_QUEUE),
    SAS_QUEUE,
    encodeURIComponent(`amqps://${SAS_NAMESPACE}:5671/queue1`),
    '%',
    '%E0%A4%A',
    '%00',
    '%2F%2F..%2F',
    'sb%3A%2F%2F',
    encodeURIComponent('A'.repeat(43) + '='),
    'A'.repeat(43) + '=',
    '%3D',
    String(SAS_NOW_S + 60),
    '-1',
    '1e9',
    '0x10',
    '99999999999999999999',
    '',
    'RootManageSharedAccessKey',
    'listen-only',
  ),
  anyText,
);
const field = fc
  .tuple(fieldName, fc.constantFrom('=', '', '=='), fieldValue)
  .map((p) => p.join(''));

/** Strings shaped like tokens: the prefix (sometimes broken) and 0..8 real or broken fields. */
export const tokenShaped: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      'SharedAccessSignature ',
      'SharedAccessSignature',
      'sharedaccesssignature ',
      'SharedAccessSignature  ',
      ' SharedAccessSignature ',
      '',
    ),
    fc.array(field, { maxLength: 8 }),
    fc.constantFrom('&', '&&', ';'),
  )
  .map(([prefix, fields, sep]) => prefix + fields.join(sep));

/** A valid fixture token with one character replaced, deleted or inserted. */
export const editedToken: fc.Arbitrary<string> = fc
  .tuple(validFixtureToken, fc.nat(), fc.constantFrom('replace', 'delete', 'insert'), anyText)
  .map(([token, at, how, text]) => {
    const i = at % token.length;
    const c = text === '' ? '%' : text.slice(0, 1);
    if (how === 'delete') return token.slice(0, i) + token.slice(i + 1);
    if (how === 'insert') return token.slice(0, i) + c + token.slice(i);
    return token.slice(0, i) + c + token.slice(i + 1);
  });

/** Strings just under, at and over the length bound. */
const nearTheBound: fc.Arbitrary<string> = fc
  .tuple(validFixtureToken, fc.integer({ min: -2, max: 2 }), fc.constantFrom('a', 'é', '€'))
  .map(([token, delta, pad]) => {
    const target = MAX_TOKEN_LENGTH + delta;
    const padding = pad.repeat(Math.max(0, target - token.length));
    return `${token}&skn=${padding}`;
  });

/** Everything the SAS fuzz target feeds in. */
export const hostileSasText: fc.Arbitrary<string> = fc.oneof(
  anyText,
  tokenShaped,
  editedToken,
  validFixtureToken,
  nearTheBound,
);

export const sasTokenTarget: FuzzTarget<string> = Object.freeze({
  name: 'SAS token (parse + verify)',
  arbitrary: hostileSasText,
  run(input: string) {
    return verifySasToken(input, sasOptions('Send'), { clock: sasClock });
  },
});

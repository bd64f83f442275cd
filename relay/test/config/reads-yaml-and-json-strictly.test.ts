// The config text is read strictly: the size limit is checked on the bytes before parsing;
// the format comes from the extension; YAML duplicate keys, aliases, custom or unknown tags,
// several documents and syntax errors are refused with their line and column; JSON duplicate
// keys, trailing commas and deep nesting likewise. No message quotes the file's text.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { isRelayConfigError, MAX_CONFIG_BYTES, parseRelayConfig } from '../../src/config';
import { sample } from './helpers/sample';

const GOOD_YAML = (secret: string): string => `version: 1
tenant:
  id: council-42
  keys:
    - kid: k1
      secret: ${secret}
serviceBus: { host: sb.example, keyName: relay, key: sb-key }
hybrid: { host: hc.example, keyName: relay, key: hc-key, paths: [council-tax] }
egress:
  ranges: { prefixes: [51.140.0.0/15] }
`;

function refusal(
  t: tap.Test,
  input: string | Uint8Array,
  file: string,
): { message: string; details: Record<string, unknown> } {
  try {
    parseRelayConfig(input, { file, env: {} });
  } catch (e) {
    if (isRelayConfigError(e)) return { message: e.message, details: { ...e.details } };
    t.fail(`not a RelayConfigError: ${String(e)}`);
    return { message: '', details: {} };
  }
  t.fail('accepted');
  return { message: '', details: {} };
}

void t.test('a well-formed YAML file is accepted', (t) => {
  const c = parseRelayConfig(GOOD_YAML(randomBytes(32).toString('base64')), {
    file: 'r.yml',
    env: {},
  });
  t.equal(c.hybrid.paths[0], 'council-tax');
  t.equal(c.source.format, 'yaml');
  t.end();
});

void t.test('the format comes from the extension; others are refused', (t) => {
  const text = GOOD_YAML(randomBytes(32).toString('base64'));
  t.match(
    refusal(t, text, 'relay.toml').message,
    /^relay.toml: \(file name\): expected a file name ending in .yaml, .yml or .json, got the extension ".toml"$/,
  );
  t.match(refusal(t, text, 'relay').message, /got no extension/);
  t.match(
    refusal(t, text, 'relay.json').message,
    /^relay.json: \(syntax\): expected well-formed JSON/,
  );
  t.equal(parseRelayConfig(text, { file: 'relay', format: 'yaml', env: {} }).version, 1);
  t.end();
});

void t.test('a duplicate YAML key is refused with its line and column', (t) => {
  const secret = randomBytes(32).toString('base64');
  const text = GOOD_YAML(secret).replace(
    '  id: council-42\n',
    '  id: council-42\n  id: council-43\n',
  );
  const r = refusal(t, text, 'relay.yaml');
  t.equal(
    r.message,
    'relay.yaml: (syntax): expected well-formed YAML (one document, unique keys, no custom tags), got a key that appears twice in the same mapping (line 4, column 3)',
  );
  t.same([r.details.line, r.details.column, r.details.yamlCode], [4, 3, 'DUPLICATE_KEY']);
  t.end();
});

void t.test('aliases are refused (no expansion bombs)', (t) => {
  const text = GOOD_YAML(randomBytes(32).toString('base64'))
    .replace('paths: [council-tax]', 'paths: &p [council-tax]')
    .replace('egress:\n', 'x: *p\negress:\n');
  const r = refusal(t, text, 'relay.yaml');
  t.match(
    r.message,
    /expected plain values \(anchors and aliases are not allowed\), got an alias \(line 9, column 4\)/,
  );
  t.end();
});

void t.test('custom and unknown tags are refused', (t) => {
  for (const tag of ['!secret', '!!binary', '!!js/function', '!<tag:example.com:x>']) {
    const text = GOOD_YAML(randomBytes(32).toString('base64')).replace(
      'keyName: relay, key: sb-key',
      `keyName: relay, key: ${tag} sb-key`,
    );
    const r = refusal(t, text, 'relay.yaml');
    t.match(r.message, /got an unknown or custom tag \(line 7, column \d+\)/, tag);
  }
  t.end();
});

void t.test('several documents are refused', (t) => {
  const text = `${GOOD_YAML(randomBytes(32).toString('base64'))}---\nversion: 1\n`;
  t.match(
    refusal(t, text, 'relay.yaml').message,
    /got more than one document \(line 11, column 1\)/,
  );
  t.end();
});

void t.test('a YAML syntax error names its line and column and not the text', (t) => {
  const secret = randomBytes(32).toString('base64');
  const text = GOOD_YAML(secret).replace(
    'paths: [council-tax] }',
    `paths: [council-tax }\nbad: "${secret}\\q"`,
  );
  const r = refusal(t, text, 'relay.yaml');
  t.match(
    r.message,
    /^relay.yaml: \(syntax\): expected well-formed YAML .*, got .* \(line \d+, column \d+\)$/,
  );
  t.notOk(r.message.includes(secret));
  t.end();
});

void t.test('a merge key is an unknown field, not a merge', (t) => {
  const text = GOOD_YAML(randomBytes(32).toString('base64')).replace(
    'version: 1\n',
    'version: 1\n<<: { profile: development }\n',
  );
  t.match(
    refusal(t, text, 'relay.yaml').message,
    /^relay.yaml: \["<<"\]: expected one of the fields version, profile, /,
  );
  t.end();
});

void t.test('JSON duplicate keys, trailing commas and comments are refused with positions', (t) => {
  const s = sample();
  const text = JSON.stringify(s.config, null, 2);
  const dup = text.replace('"version": 1,', '"version": 1,\n  "version": 1,');
  t.equal(
    refusal(t, dup, 'relay.json').message,
    'relay.json: (syntax): expected well-formed JSON (unique keys), got a key that appears twice in the same object (line 3, column 3)',
  );
  const trailing = text.replace(/\n\}$/, ',\n}');
  t.match(
    refusal(t, trailing, 'relay.json').message,
    /expected well-formed JSON \(a double-quoted property name\), got the character "\}"/,
  );
  const comment = `// relay\n${text}`;
  t.match(
    refusal(t, comment, 'relay.json').message,
    /expected well-formed JSON \(a value\), got the character "\/" \(line 1, column 1\)/,
  );
  t.match(refusal(t, '{"version": 01}', 'relay.json').message, /\(line 1, column 14\)/);
  t.match(refusal(t, '{"a": "x\ny"}', 'relay.json').message, /no raw control characters/);
  t.match(refusal(t, '{"a": "\\x41"}', 'relay.json').message, /got an invalid escape sequence/);
  t.match(refusal(t, '{"a": 1} {}', 'relay.json').message, /nothing after the top-level value/);
  t.match(refusal(t, '{"a": ', 'relay.json').message, /got the end of the file/);
  t.end();
});

void t.test('deep nesting is refused without exhausting the stack', (t) => {
  t.match(
    refusal(t, `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 'relay.json').message,
    /at most 64 levels of nesting/,
  );
  const r = refusal(t, `a: ${'['.repeat(100_000)}`, 'relay.yaml');
  t.match(r.message, /^relay.yaml: \(syntax\): expected well-formed YAML .*, got nesting too deep/);
  t.end();
});

void t.test('the size limit is checked on the bytes before parsing', (t) => {
  const big = `#${' '.repeat(MAX_CONFIG_BYTES)}`;
  t.equal(
    refusal(t, big, 'relay.yaml').message,
    `relay.yaml: (file): expected at most ${MAX_CONFIG_BYTES} bytes, got ${MAX_CONFIG_BYTES + 1} bytes`,
  );
  // Multi-byte characters count as bytes, not as characters.
  const wide = `# ${'é'.repeat(MAX_CONFIG_BYTES / 2)}`;
  t.match(refusal(t, wide, 'relay.yaml').message, /expected at most \d+ bytes, got \d+ bytes/);
  t.end();
});

void t.test('encodings other than UTF-8 are refused; a UTF-8 BOM is dropped', (t) => {
  const text = GOOD_YAML(randomBytes(32).toString('base64'));
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  t.match(refusal(t, utf16, 'relay.yaml').message, /expected UTF-8 text, got UTF-16/);
  t.match(
    refusal(t, Buffer.from([0x76, 0xc3, 0x28]), 'relay.yaml').message,
    /got bytes that are not valid UTF-8/,
  );
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
  t.equal(parseRelayConfig(bom, { file: 'r.yaml', env: {} }).version, 1);
  t.end();
});

void t.test('an empty file or a non-mapping top level is refused', (t) => {
  t.match(
    refusal(t, '', 'relay.yaml').message,
    /relay.yaml: \(top level\): expected a config object, got an empty file/,
  );
  t.match(
    refusal(t, '# only a comment\n', 'relay.yaml').message,
    /expected a mapping \(object\), got null/,
  );
  t.match(
    refusal(t, '- 1\n', 'relay.yaml').message,
    /\(top level\): expected a mapping \(object\), got a list of 1 item/,
  );
  t.match(
    refusal(t, '"x"', 'relay.json').message,
    /\(top level\): expected a mapping \(object\), got "x"/,
  );
  t.end();
});

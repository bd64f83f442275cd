// The secrets scan can fail (suites/lib/secrets-scan.ts): a secret made at run time and planted
// in a temporary file is found in each of its forms, at its offset and line, also embedded at
// any byte alignment in a longer base64 text, across the scan's chunk boundary, and in a text
// held in memory; a file holding only a near miss (one bit flipped) or nothing is clean; an
// excluded file is not read; the findings name the secret and never hold it. In: random secrets
// and noise. Out: tap results.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  describeFinding,
  scanForSecrets,
  scanForSecretsReport,
  secretFormBytes,
  secretForms,
  SecretsScanError,
  type NamedSecret,
} from '../lib/secrets-scan';

/** Printable noise that cannot hold a base64, hex or percent form by accident. */
function noise(n: number): Buffer {
  return Buffer.from('~ !'.repeat(Math.ceil(n / 3)).slice(0, n), 'latin1');
}

const dir = mkdtempSync(join(tmpdir(), 'relaycheck-secrets-scan-'));
t.teardown(() => {
  rmSync(dir, { recursive: true, force: true });
});

const binary: NamedSecret = { name: 'a 32-byte key', value: randomBytes(32) };
// A SAS key as Azure shows it: base64 text, used as text.
const text: NamedSecret = { name: 'a SAS key', value: randomBytes(32).toString('base64') };

void t.test('each form of a secret planted in a file is found there', (t) => {
  for (const secret of [binary, text]) {
    const forms = secretFormBytes(secret.value);
    const names = new Set(forms.map((f) => f.form));
    for (const form of ['raw', 'base64', 'hex', 'HEX', 'percent'] as const) {
      t.ok(names.has(form), `${secret.name} has a ${form} form`);
    }
    // base64url is listed apart only where it differs from base64 (a + or / in it).
    const texts = new Set(forms.map((f) => f.bytes.toString('latin1')));
    for (const f of forms.filter((x) => x.form === 'base64')) {
      const url = f.bytes.toString('latin1').replace(/\+/g, '-').replace(/\//g, '_');
      t.ok(texts.has(url), `${secret.name} has the base64url form of each base64 one`);
    }
    t.equal(secretForms(secret.value).length, forms.length, 'secretForms lists the same forms');
    forms.forEach((f, i) => {
      const sub = join(dir, `planted-${secret.name.replace(/\W+/g, '-')}`);
      mkdirSync(sub, { recursive: true });
      const file = join(sub, `${String(i)}-${f.form}.log`);
      const head = Buffer.concat([noise(100), Buffer.from('\nline two\n'), noise(7)]);
      writeFileSync(file, Buffer.concat([head, f.bytes, noise(50)]));
      const found = scanForSecrets([file], [], [secret]);
      const mine = found.find((x) => x.form === f.form);
      t.ok(mine !== undefined, `${secret.name}: the ${f.form} form is found`);
      t.equal(mine?.secret, secret.name, 'under the secret’s name');
      t.equal(mine?.where, file, 'in that file');
      t.equal(mine?.offset, head.length, 'at its offset');
      t.equal(mine?.line, 3, 'on its line');
    });
  }
  t.end();
});

void t.test('base64 of a secret inside a longer value is found at every alignment', (t) => {
  for (const secret of [binary, text]) {
    const bytes = Buffer.isBuffer(secret.value) ? secret.value : Buffer.from(secret.value);
    for (let before = 0; before < 3; before++) {
      for (let after = 0; after < 3; after++) {
        const blob = Buffer.concat([randomBytes(before + 9), bytes, randomBytes(after + 5)]);
        for (const [label, encoded] of [
          ['base64', blob.toString('base64')],
          ['base64url', blob.toString('base64url')],
          ['percent-encoded base64', encodeURIComponent(blob.toString('base64'))],
        ] as const) {
          const found = scanForSecrets([], [{ name: 'blob', text: `value=${encoded};` }], [secret]);
          t.ok(
            found.length > 0,
            `${secret.name} in ${label} after ${String(before + 9)} and before ${String(after + 5)} other bytes`,
          );
        }
      }
    }
    const padded = Buffer.isBuffer(secret.value)
      ? secret.value.toString('base64')
      : Buffer.from(secret.value).toString('base64');
    t.ok(
      scanForSecrets([], [{ name: 'padded', text: `"${padded}"` }], [secret]).length > 0,
      `${secret.name} alone, padded`,
    );
  }
  t.end();
});

void t.test('a secret across the scan’s chunk boundary is found at its offset', (t) => {
  const file = join(dir, 'large.log');
  const at = 1024 * 1024 - 18;
  const hex = Buffer.from((binary.value as Buffer).toString('hex'));
  const lines = Buffer.from('x\n'.repeat(at / 2 - 1) + 'yy');
  writeFileSync(file, Buffer.concat([lines, hex, noise(4096)]));
  const [f] = scanForSecrets([dir], [], [binary]).filter((x) => x.where === file);
  t.equal(f?.form, 'hex');
  t.equal(f?.offset, at);
  t.equal(f?.line, at / 2, 'counted across chunks');
  t.end();
});

void t.test('a near miss and plain noise are clean; excluded files are not read', (t) => {
  const clean = join(dir, 'clean');
  mkdirSync(clean);
  const flipped = Buffer.from(binary.value as Buffer);
  flipped[20] = (flipped[20] ?? 0) ^ 1;
  writeFileSync(join(clean, 'near-miss.log'), flipped.toString('hex'));
  writeFileSync(join(clean, 'noise.log'), noise(10_000));
  const keys = join(clean, 'keys.json');
  writeFileSync(keys, JSON.stringify({ key: text.value }));
  const report = scanForSecretsReport([clean], [], [binary, text], { exclude: [keys] });
  t.same(report.findings, [], 'nothing found');
  t.same(
    report.files.map((f) => f.slice(clean.length + 1)),
    ['near-miss.log', 'noise.log'],
    'the two files were read',
  );
  t.same(report.excluded, [keys], 'the excluded one was left out');
  t.equal(scanForSecrets([clean], [], [text]).length, 1, 'and is found when not excluded');
  t.end();
});

void t.test('findings name the secret and never hold it', (t) => {
  const findings = scanForSecrets(
    [],
    [
      { name: 'stdout', text: `key=${text.value as string}\n` },
      { name: 'stderr', text: (binary.value as Buffer).toString('base64url') },
    ],
    [binary, text],
  );
  // base64url without - or _ is base64 too: either name is right for it.
  t.match(
    findings.map((f) => [f.secret, f.form, f.kind, f.where]),
    [
      [text.name, 'raw', 'text', 'stdout'],
      [binary.name, /^base64(url)?$/, 'text', 'stderr'],
    ],
  );
  t.equal(findings.length, 2, 'one finding each');
  const written = JSON.stringify(findings) + findings.map(describeFinding).join('\n');
  t.same(
    scanForSecrets([], [{ name: 'findings', text: written }], [binary, text]),
    [],
    'no form of either secret is in the findings or their descriptions',
  );
  t.end();
});

void t.test('an unusable secret or path is a typed error', (t) => {
  const typed = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return e instanceof SecretsScanError ? e.code : 'untyped';
    }
    return undefined;
  };
  t.equal(
    typed(() => secretForms('short')),
    'SUITE_E_SECRET',
    'a secret under 12 bytes',
  );
  t.equal(
    typed(() => secretForms(Buffer.alloc(0))),
    'SUITE_E_SECRET',
    'an empty secret',
  );
  t.equal(
    typed(() => scanForSecrets([], [], [{ name: ' ', value: randomBytes(16) }])),
    'SUITE_E_SECRET',
    'a secret without a name',
  );
  t.equal(
    typed(() => scanForSecrets([join(dir, 'no-such-file')], [], [binary])),
    'SUITE_E_SECRET',
    'a path that does not exist',
  );
  t.end();
});

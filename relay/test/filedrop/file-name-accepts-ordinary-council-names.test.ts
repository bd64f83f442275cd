// Ordinary names from councils' online forms are accepted as declared. In: names with spaces,
// parentheses, dates, Welsh and accented letters (composed and decomposed), an upper-case
// extension, an inner harmless extension, a percent-escaped space, a missing name, other
// allowed extensions by policy. Out: a verdict whose name is the NFC of what was declared,
// whose shown is that name (clipped) and whose flags say what is worth knowing.
import t from 'tap';
import { checkFileName, SHOWN_MAX } from '../../src/work/filedrop/filename';

const ORDINARY: readonly (readonly [string, readonly string[]])[] = [
  ['Council tax bill (2025).pdf', []],
  ['Ffurflen-gais.pdf', []],
  ['council_tax_reduction_claim.pdf', []],
  ['Blue badge application - J Smith.pdf', []],
  ['Missed bin collection 12-03-2025.pdf', []],
  ["Tenant's photo evidence #3.pdf", []],
  ['Cais am ostyngiad treth gyngor – Ŵyl Dewi.pdf', ['non-ascii']],
  ['Llythyr i’r cyngor (Môn).pdf', ['non-ascii']],
  ['Prawf o gyfeiriad – Llŷn.pdf', ['non-ascii']],
  ['Résumé – Zoë Brontë.pdf', ['non-ascii']],
  ['Straße & Café.pdf', ['non-ascii']],
  ['scan.PDF', ['extension-case']],
  ['bill.2025.pdf', ['inner-extension']],
  ['Payment schedule v1.2.pdf', ['inner-extension']],
  ['Invoice%202025.pdf', ['percent-encoded']],
  ['100% complete.pdf', []],
  [`${'b'.repeat(251)}.pdf`, []],
];

void t.test('ordinary council names are accepted with their flags', (t) => {
  for (const [raw, flags] of ORDINARY) {
    const v = checkFileName(raw);
    t.equal(v.name, raw, `${raw}: the name is kept as declared`);
    t.same(v.flags, flags, `${raw}: flags ${flags.join(', ') || '(none)'}`);
    t.ok(v.shown.length <= SHOWN_MAX + 1, `${raw}: shown is clipped`);
    t.ok(Object.isFrozen(v) && Object.isFrozen(v.flags), 'the verdict is frozen');
  }
  t.end();
});

void t.test('a decomposed name is accepted in NFC and flagged normalized', (t) => {
  const decomposed = 'Ffurflen Lly\u0302n.pdf';
  const v = checkFileName(decomposed);
  t.not(v.name, decomposed, 'the name changed');
  t.equal(v.name, decomposed.normalize('NFC'));
  t.same(v.flags, ['non-ascii', 'normalized']);
  t.end();
});

void t.test('a name of exactly 255 bytes is accepted, and shown clipped', (t) => {
  const raw = `${'ŵ'.repeat(125)}a.pdf`;
  t.equal(Buffer.byteLength(raw), 255);
  const v = checkFileName(raw);
  t.equal(v.name, raw);
  t.equal(v.shown, `${'ŵ'.repeat(SHOWN_MAX)}…`);
  t.end();
});

void t.test('a missing name is fine unless the policy requires one', (t) => {
  t.same(checkFileName(undefined), { name: '', shown: '', flags: ['missing'] });
  t.same(checkFileName(null), { name: '', shown: '', flags: ['missing'] });
  t.throws(() => checkFileName(undefined, { required: true }), { code: 'RELAY_E_CONTENT_NAME' });
  t.equal(checkFileName('bill.pdf', { required: true }).name, 'bill.pdf');
  t.end();
});

void t.test('the policy decides which extensions are allowed', (t) => {
  const policy = { allowedExtensions: ['pdf', 'JPG', 'png'] };
  t.equal(checkFileName('photo of the bins.jpg', policy).name, 'photo of the bins.jpg');
  t.equal(checkFileName('Photo.PNG', policy).name, 'Photo.PNG');
  t.throws(() => checkFileName('photo.gif', policy), {
    code: 'RELAY_E_CONTENT_NAME',
    details: { rule: 'extension' },
  });
  t.throws(() => checkFileName('photo.exe.jpg', policy), {
    code: 'RELAY_E_CONTENT_NAME',
    details: { rule: 'double-extension' },
  });
  t.end();
});

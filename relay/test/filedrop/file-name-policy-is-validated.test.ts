// The file-name policy is validated at the edge. In: policies with unknown fields, bad or empty
// extension lists, a non-boolean `required`, and none at all. Out: RELAY_E_CONTENT_CONFIG naming
// the field, for parseFileNamePolicy and for checkFileName given such a policy; the defaults
// (pdf only, a name not required); a parsed policy is frozen and passes through unchanged.
import t from 'tap';
import { checkFileName, parseFileNamePolicy } from '../../src/work/filedrop/filename';

void t.test('the defaults: pdf only, no name required', (t) => {
  const p = parseFileNamePolicy();
  t.same(p, { allowedExtensions: ['pdf'], required: false });
  t.ok(Object.isFrozen(p), 'frozen');
  t.equal(parseFileNamePolicy(p), p, 'a parsed policy passes through');
  t.end();
});

void t.test('bad policies are refused naming the field', (t) => {
  const bad: readonly (readonly [unknown, string])[] = [
    [{ allowedExtension: ['pdf'] }, ''],
    [{ allowedExtensions: [] }, 'allowedExtensions'],
    [{ allowedExtensions: ['.pdf'] }, 'allowedExtensions.0'],
    [{ allowedExtensions: ['pd f'] }, 'allowedExtensions.0'],
    [{ allowedExtensions: 'pdf' }, 'allowedExtensions'],
    [{ allowedExtensions: Array.from({ length: 65 }, () => 'pdf') }, 'allowedExtensions'],
    [{ required: 'yes' }, 'required'],
    ['pdf', ''],
  ];
  for (const [policy, path] of bad) {
    t.throws(
      () => parseFileNamePolicy(policy),
      { code: 'RELAY_E_CONTENT_CONFIG', details: { path } },
      `${JSON.stringify(policy)} names "${path}"`,
    );
    t.throws(() => checkFileName('bill.pdf', policy as never), { code: 'RELAY_E_CONTENT_CONFIG' });
  }
  t.end();
});

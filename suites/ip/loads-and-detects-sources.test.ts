// IP-021: the loader. In: the fixtures under any file name, a missing path, a directory,
// the download page saved as HTML, and a bare list of prefixes. Out: the format detected
// by content, or IP_E_SOURCE / IP_E_FORMAT with the path.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServiceTagSource, selectRangesFromFile } from '../../relay/src/egress';
import { kase } from '../lib/case';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'service-tags');

void kase('IP-021', async (t) => {
  await t.test('each fixture is read and its format detected from its content', async (t) => {
    const expected: [string, string][] = [
      ['ServiceTags_Public_excerpt_uk.json', 'json'],
      ['ServiceBus.UKSouth.json', 'json'],
      ['PublicIPs_uk_2019-09.xml', 'xml'],
      ['PublicIPs_uk_2019-09.copied-from-guide.xml', 'xml'],
    ];
    const dir = t.testdir({});
    for (const [name, format] of expected) {
      t.equal((await loadServiceTagSource(join(FIXTURES, name))).format, format, name);
      const renamed = join(dir, `${name}.download`);
      copyFileSync(join(FIXTURES, name), renamed);
      t.equal((await loadServiceTagSource(renamed)).format, format, `${name} renamed`);
    }
  });

  await t.test('a missing file is IP_E_SOURCE naming the path', async (t) => {
    const path = join(t.testdir({}), 'ServiceTags_Public_20990101.json');
    await t.rejects(loadServiceTagSource(path), {
      name: 'RangesError',
      code: 'IP_E_SOURCE',
      details: { path, errno: 'ENOENT' },
    });
    await t.rejects(loadServiceTagSource(FIXTURES), { code: 'IP_E_SOURCE', message: /directory/ });
  });

  await t.test(
    'the download page saved instead of the file, or a bare list, is IP_E_FORMAT',
    async (t) => {
      const dir = t.testdir({
        'confirmation.aspx.html':
          '<!DOCTYPE html>\n<html lang="en"><head><title>Download Azure IP Ranges</title></head></html>',
        'ranges.txt': '13.104.145.160/27\n13.104.146.64/26\n',
        'empty.json': '\n',
      });
      await t.rejects(loadServiceTagSource(join(dir, 'confirmation.aspx.html')), {
        code: 'IP_E_FORMAT',
        message: /HTML page/,
      });
      await t.rejects(loadServiceTagSource(join(dir, 'ranges.txt')), { code: 'IP_E_FORMAT' });
      await t.rejects(loadServiceTagSource(join(dir, 'empty.json')), {
        code: 'IP_E_FORMAT',
        message: /empty/,
      });
    },
  );

  await t.test('load and select in one call, as `relaycheck ranges --source` does', async (t) => {
    const sel = await selectRangesFromFile(join(FIXTURES, 'ServiceTags_Public_excerpt_uk.json'), {
      regions: ['uksouth', 'ukwest'],
      tags: ['ServiceBus'],
      aggregate: true,
    });
    t.equal(sel.format, 'json');
    t.equal(sel.prefixes.length, 20);
  });
});

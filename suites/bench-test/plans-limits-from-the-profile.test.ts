// The hardware profiles and the limits that model them on a machine. In: the profile files of
// fixtures/profiles and machines described by hand. Out: checks that min-spec on a 2-core
// 2.7 GHz machine is core 1 at 37% of it with 512 MiB, that a faster or unknown clock, fewer
// cores and the other profiles give the limits and notes they should, that /proc/cpuinfo's clock
// is read, and that an unknown profile names the known ones.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { clockGHz, describeLimits, loadProfile, planLimits, profileNames } from '../bench/profile';

void t.test('the three profiles of the issue are there, each valid', (t) => {
  t.same(profileNames(), ['min-spec', 'recommended', 'unconstrained']);
  t.match(loadProfile('min-spec'), { cpus: 1, cpuGHz: 1, memoryMiB: 512 });
  t.match(loadProfile('recommended'), { cpus: 2, cpuGHz: null, memoryMiB: 4096 });
  t.match(loadProfile('unconstrained'), { cpus: null, cpuGHz: null, memoryMiB: null });
  t.throws(
    () => loadProfile('tiny'),
    /no hardware profile "tiny" \(known: min-spec, recommended, unconstrained\)/,
  );
  t.end();
});

void t.test('a profile file that is wrong is refused with the field', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-profiles-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(
    join(dir, 'odd.json'),
    JSON.stringify({ name: 'odd', description: 'x', cpus: 0, cpuGHz: null, memoryMiB: null }),
  );
  t.throws(() => loadProfile('odd', dir), /odd.json: cpus: /);
  writeFileSync(
    join(dir, 'other.json'),
    JSON.stringify({ name: 'odd', description: 'x', cpus: 1, cpuGHz: null, memoryMiB: null }),
  );
  t.throws(() => loadProfile('other', dir), /names itself "odd"/);
  t.end();
});

void t.test('min-spec on a 2-core 2.7 GHz machine: core 1, 37% of it, 512 MiB', (t) => {
  const profile = loadProfile('min-spec');
  const machine = { cpus: 2, ghz: 2.7 };
  const limits = planLimits(profile, machine);
  t.same(limits, {
    profile: 'min-spec',
    cpuList: '1',
    periodUs: 100_000,
    quotaUs: 37_037,
    cpuShare: 0.37037,
    memoryBytes: 512 * 1024 * 1024,
    notes: [],
  });
  t.equal(
    describeLimits(limits, machine, profile),
    'core 1, 37% of a 2.70 GHz core (models 1 GHz), 512 MiB of memory',
  );
  t.end();
});

void t.test('where the machine cannot model the profile, the limits say so', (t) => {
  const minSpec = loadProfile('min-spec');
  const one = planLimits(minSpec, { cpus: 1, ghz: 2.0 });
  t.equal(one.cpuList, '0', 'a 1-core machine: core 0');
  t.equal(one.quotaUs, 50_000, 'half of a 2 GHz core');
  t.match(one.notes, [/every core of this machine/]);
  const slow = planLimits(minSpec, { cpus: 4, ghz: 0.9 });
  t.equal(slow.quotaUs, undefined, 'no quota on a machine slower than the profile');
  t.equal(slow.cpuList, '3');
  t.match(slow.notes, [/not below this machine's 0.90 GHz/]);
  const unknown = planLimits(minSpec, { cpus: 2, ghz: undefined });
  t.equal(unknown.quotaUs, undefined);
  t.match(unknown.notes, [/clock is unknown/]);
  const rec = planLimits(loadProfile('recommended'), { cpus: 2, ghz: 2.7 });
  t.match(rec, { cpuList: '0-1', quotaUs: undefined, memoryBytes: 4096 * 1024 * 1024 });
  const big = planLimits(loadProfile('recommended'), { cpus: 1, ghz: 2.7 });
  t.match(big.notes, [/the profile has 2 cores, this machine 1/]);
  const free = planLimits(loadProfile('unconstrained'), { cpus: 2, ghz: 2.7 });
  t.match(free, { cpuList: undefined, quotaUs: undefined, memoryBytes: undefined, notes: [] });
  t.end();
});

void t.test("the machine's clock is read from /proc/cpuinfo", (t) => {
  t.equal(
    clockGHz('processor\t: 0\ncpu MHz\t\t: 2700.000\nprocessor\t: 1\ncpu MHz\t\t: 2600.5\n'),
    2.7,
  );
  t.equal(clockGHz('model name\t: AMD EPYC 7B13 @ 2.45GHz\n'), 2.45, 'from the model name');
  t.equal(clockGHz('model name\t: Intel(R) Xeon(R) Processor\n'), undefined, 'not said');
  t.end();
});

// Hardware profiles of the benchmarks (fixtures/profiles/*.json): the server a relay is measured
// on — min-spec (the guide's 1 GHz processor and 512 MB), recommended, unconstrained. In: a
// profile name (or its file) and this machine's facts (cores, clock from /proc/cpuinfo). Out: the
// limits to apply to the relay process: which cores (the relay gets the last ones, so the
// simulator, back office and load generator keep core 0), the CFS quota that models the
// profile's clock on this machine's (e.g. 37% of a 2.7 GHz core for 1 GHz), the memory limit,
// and notes where this machine cannot model the profile exactly. Pure, but for reading files.
import { readFileSync } from 'node:fs';
import { jsonNames, loadNamedJson } from './named-json';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from '../lib/scan';

export const PROFILES_DIR = join(REPO_ROOT, 'fixtures', 'profiles');

const profileSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/),
  description: z.string().min(1),
  /** Cores the relay may use; null: every core. */
  cpus: z.int().min(1).max(256).nullable(),
  /** The clock the profile models; null: this machine's own. */
  cpuGHz: z.number().positive().max(10).nullable(),
  /** Memory limit; null: none. */
  memoryMiB: z.int().min(16).max(1_048_576).nullable(),
});

export type HardwareProfile = z.infer<typeof profileSchema>;

/** The profile names there are files for, sorted. */
export function profileNames(dir = PROFILES_DIR): string[] {
  return jsonNames(dir);
}

/** Reads and checks fixtures/profiles/<name>.json; an unknown name lists the known ones. */
export function loadProfile(name: string, dir = PROFILES_DIR): HardwareProfile {
  return loadNamedJson(dir, name, profileSchema, 'hardware profile');
}

/** What a profile is applied on. */
export interface Machine {
  readonly cpus: number;
  /** The cores' clock in GHz (the highest `cpu MHz` of /proc/cpuinfo, else the model name's). */
  readonly ghz: number | undefined;
}

/** The clock of this machine from the text of /proc/cpuinfo, in GHz; undefined if not said. */
export function clockGHz(cpuinfo: string): number | undefined {
  const mhz = [...cpuinfo.matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)]
    .map((m) => Number(m[1]))
    .filter((v) => Number.isFinite(v) && v > 0);
  if (mhz.length > 0) return Math.max(...mhz) / 1000;
  const named = /@\s*([\d.]+)\s*GHz/i.exec(cpuinfo);
  return named?.[1] === undefined ? undefined : Number(named[1]);
}

/** This machine: its core count and clock. */
export function thisMachine(): Machine {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: the clock is unknown
  }
  const fromOs = cpus()[0]?.speed;
  return {
    cpus: cpus().length,
    ghz: clockGHz(text) ?? (fromOs !== undefined && fromOs > 0 ? fromOs / 1000 : undefined),
  };
}

/** The limits that model a profile on a machine. */
export interface Limits {
  readonly profile: string;
  /** The cores the relay is pinned to (taskset -c), e.g. "1"; undefined: not pinned. */
  readonly cpuList: string | undefined;
  /** CFS period and quota in µs (quota/period = cores' worth of time); undefined: no quota. */
  readonly periodUs: number;
  readonly quotaUs: number | undefined;
  /** quota / period: how many of this machine's cores the relay gets (e.g. 0.37). */
  readonly cpuShare: number | undefined;
  readonly memoryBytes: number | undefined;
  /** Where the model differs from the profile on this machine. */
  readonly notes: readonly string[];
}

export const CFS_PERIOD_US = 100_000;

/**
 * The limits of `profile` on `machine`: cores from the last one down (core 0 stays for the
 * simulator, back office and load generator when the machine has more cores than the profile),
 * a quota of cpus × (profile GHz / machine GHz) cores when the profile names a clock below the
 * machine's, and the memory limit.
 */
export function planLimits(profile: HardwareProfile, machine: Machine): Limits {
  const notes: string[] = [];
  let cpuList: string | undefined;
  let cores = machine.cpus;
  if (profile.cpus !== null) {
    cores = Math.min(profile.cpus, machine.cpus);
    if (profile.cpus > machine.cpus) {
      notes.push(
        `the profile has ${String(profile.cpus)} cores, this machine ${String(machine.cpus)}: the relay gets all of them`,
      );
    } else if (profile.cpus === machine.cpus) {
      notes.push(
        'the relay has every core of this machine: the simulator and load generator share them',
      );
    }
    const first = machine.cpus - cores;
    cpuList = cores === 1 ? String(first) : `${String(first)}-${String(machine.cpus - 1)}`;
  }
  let quotaUs: number | undefined;
  let cpuShare: number | undefined;
  if (profile.cpuGHz !== null) {
    if (machine.ghz === undefined) {
      notes.push(
        `this machine's clock is unknown: ${String(profile.cpuGHz)} GHz is not modelled (whole cores)`,
      );
    } else if (profile.cpuGHz >= machine.ghz) {
      notes.push(
        `the profile's ${String(profile.cpuGHz)} GHz is not below this machine's ${machine.ghz.toFixed(2)} GHz: whole cores`,
      );
    } else {
      cpuShare = (cores * profile.cpuGHz) / machine.ghz;
      quotaUs = Math.round(CFS_PERIOD_US * cpuShare);
      cpuShare = quotaUs / CFS_PERIOD_US;
    }
  }
  return {
    profile: profile.name,
    cpuList,
    periodUs: CFS_PERIOD_US,
    quotaUs,
    cpuShare,
    memoryBytes: profile.memoryMiB === null ? undefined : profile.memoryMiB * 1024 * 1024,
    notes,
  };
}

/** The limits in words, e.g. "core 1, 37% of a 2.70 GHz core (1 GHz), 512 MiB". */
export function describeLimits(limits: Limits, machine: Machine, profile: HardwareProfile): string {
  const parts: string[] = [];
  parts.push(limits.cpuList === undefined ? 'every core' : `core ${limits.cpuList}`);
  if (limits.cpuShare !== undefined && machine.ghz !== undefined) {
    parts.push(
      `${(limits.cpuShare * 100).toFixed(0)}% of a ${machine.ghz.toFixed(2)} GHz core (models ${String(profile.cpuGHz)} GHz)`,
    );
  }
  parts.push(
    limits.memoryBytes === undefined
      ? 'no memory limit'
      : `${String(limits.memoryBytes / 1024 / 1024)} MiB of memory`,
  );
  return parts.join(', ');
}

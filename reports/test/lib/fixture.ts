// Run data for the report tests, with no IO. In: nothing. Out: catalogue-shaped cases, an
// environment, and builders of report input for a handful of typical runs.
import { randomBytes } from 'node:crypto';
import { createSasToken } from '../../../relay/src/protocol/sas';
import type { Area, Case, Level } from '../../../suites/catalogue';
import type { BuildReportInput, ReportCaseInput, ReportEnvironment } from '../../src';

export function mkCase(id: string, level: Level = 'must'): Case {
  const area = id.slice(0, id.indexOf('-')).toLowerCase() as Area;
  return {
    id,
    area,
    title: `case ${id}`,
    requirement: `the requirement of ${id}`,
    source: 'CASES.md',
    level,
    profiles: ['default', 'min-spec'],
  };
}

export const ENVIRONMENT: ReportEnvironment = {
  relaycheck: '0.1.0',
  node: 'v20.19.0',
  platform: 'linux',
  arch: 'x64',
  cpus: { count: 2, model: 'Test CPU' },
  memoryMiB: 4096,
};

export const STARTED = new Date('2026-11-22T10:00:00.000Z');
export const ENDED = new Date('2026-11-22T10:01:30.500Z');

export function pass(id: string, level: Level = 'must', ms = 12.34): ReportCaseInput {
  return { case: mkCase(id, level), outcome: 'pass', ms };
}

export function fail(
  id: string,
  level: Level,
  reason: string,
  failures?: string[],
): ReportCaseInput {
  return {
    case: mkCase(id, level),
    outcome: 'fail',
    ms: 40,
    reason,
    ...(failures !== undefined ? { failures } : {}),
  };
}

export function skip(id: string, reason: string, level: Level = 'must'): ReportCaseInput {
  return { case: mkCase(id, level), outcome: 'skip', ms: 0, reason };
}

export function input(
  outcomes: readonly ReportCaseInput[],
  extra: Partial<BuildReportInput> = {},
): BuildReportInput {
  return {
    id: '20261122T100000Z-abc123',
    startedAt: STARTED,
    endedAt: ENDED,
    environment: ENVIRONMENT,
    outcomes,
    ...extra,
  };
}

/** A run with every kind of outcome: passes, a must failure, a should failure, skips. */
export function mixedRun(extra: Partial<BuildReportInput> = {}): BuildReportInput {
  return input(
    [
      pass('HS-001'),
      pass('HS-002', 'should'),
      fail('PORT-003', 'must', 'relay never fell back to 443', ['falls back', 'diagnoses 5671']),
      pass('PORT-004'),
      fail('DLV-005', 'must', 'message executed twice'),
      fail('SB-010', 'should', 'drain left a credit'),
      skip('IP-004', 'needs root for network namespaces'),
      skip('SB-011', 'the simulator has no sessions yet', 'should'),
    ],
    extra,
  );
}

/** Secrets made at run time as test output carries them: a key, a base64url key, a SAS token. */
export function secrets(): { key: string; urlKey: string; token: string; sig: string } {
  const key = randomBytes(32).toString('base64');
  const urlKey = randomBytes(32).toString('base64url');
  const token = createSasToken({
    resource: 'sb://council-42.servicebus.windows.net/relay-inbound',
    keyName: 'RootManageSharedAccessKey',
    key,
    ttlSeconds: 3600,
  });
  const sig = decodeURIComponent(/sig=([^&]+)/.exec(token)?.[1] ?? '');
  if (sig === '') throw new Error('the token has no sig');
  return { key, urlKey, token, sig };
}

// Run data for the security section's tests, with no IO. In: nothing. Out: report case input
// for attacks of every security group and of the listed security cases of other areas, each
// with the evidence such a case records (typed error codes and rules, a dead-letter reason, an
// AV signature name, a TLS error, a canary count), passes, a failure, a non-strict, skips (the
// AV cases without clamd), hostile text and a secret; and a case that is no attack.
import type { Level } from '../../../suites/catalogue';
import type { BuildReportInput, ReportCaseInput, ReportEvent } from '../../src';
import { input, mkCase } from './fixture';

/** Why the AV cases of the run were skipped. */
export const NO_CLAMD = 'needs clamd (apt-get install clamav-daemon): not installed here';
/** A hostile title and evidence line: shown as text, never run. */
export const HOSTILE = '<script>alert("x")</script> | a cell | `code` *bold*';

function event(
  atMs: number,
  channel: string,
  fields: Record<string, string | number | boolean>,
  text?: string,
): ReportEvent {
  const source = channel.startsWith('relay:') ? 'relay' : (channel.split(':')[1] ?? 'sim');
  const said = Object.entries(fields)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return { atMs, source, channel, text: text ?? `${channel.replace(/^\w+:/, '')} ${said}`, fields };
}

function kase(
  id: string,
  outcome: ReportCaseInput['outcome'],
  extra: Partial<Omit<ReportCaseInput, 'case' | 'outcome'>> & {
    title?: string;
    level?: Level;
  } = {},
): ReportCaseInput {
  const { title, level, ...rest } = extra;
  const c = mkCase(id, level ?? 'must');
  return {
    case: title === undefined ? c : { ...c, title },
    outcome,
    ms: outcome === 'skip' ? 0 : 25,
    ...rest,
  };
}

/** One attack or more of each group, and one case that is not an attack (PORT-001). */
export function attacks(secret: string): ReportCaseInput[] {
  return [
    kase('XML-001', 'pass', {
      title: 'an external entity to a local file is refused',
      assertions: [
        { name: 'refused with RELAY_E_CONTENT_XML (rule doctype)', ok: true },
        { name: 'the back office saw nothing', ok: true },
      ],
      events: [
        event(1, 'relay:content', { kind: 'xml', outcome: 'refused', rule: 'doctype', bytes: 96 }),
        event(2, 'relay:work', {
          via: 'servicebus',
          route: 'licensing',
          messageId: 'm-1',
          outcome: 'dead-lettered',
          code: 'RELAY_E_CONTENT_XML',
        }),
      ],
      metrics: [{ name: 'canary back-office hits', unit: '', kind: 'samples', values: [0] }],
    }),
    kase('XML-002', 'fail', {
      title: 'an external entity to an internal URL is refused',
      reason: 'the canary back office records zero hits',
      failures: ['the canary back office records zero hits'],
      assertions: [
        { name: 'refused with RELAY_E_CONTENT_XML', ok: true },
        {
          name: 'the canary back office records zero hits',
          ok: false,
          expected: '0 hits',
          observed: '1 hit (GET /canary)',
          at: 'suites/xml/entity-to-internal-url.test.ts:40',
        },
      ],
      events: [event(3, 'sim:bo:request', { method: 'GET', path: '/canary', status: 200 })],
    }),
    kase('PDF-001', 'pass', {
      title: 'EICAR named .pdf is dead-lettered with its signature name',
      events: [
        event(1, 'relay:scan', { outcome: 'infected', virus: 'Relaycheck.EICAR.UNOFFICIAL' }),
        event(2, 'sim:sb:deadletter', {
          deadLetterReason: 'RELAY_E_AV_INFECTED',
          deadLetterErrorDescription: 'Relaycheck.EICAR.UNOFFICIAL FOUND',
        }),
      ],
    }),
    kase('FN-001', 'skip', {
      title: '../ traversal in a declared file name is refused',
      reason: 'the file drop does not read declared names in this build',
    }),
    kase('TLS-001', 'pass', {
      title: 'a back office offering only TLS 1.1 is refused',
      events: [
        event(1, 'relay:egress:tls', {
          host: 'bo.council.local',
          error: 'ERR_SSL_UNSUPPORTED_PROTOCOL',
          alert: 'protocol_version',
        }),
      ],
    }),
    kase('AV-001', 'skip', { title: 'infected evidence is dead-lettered', reason: NO_CLAMD }),
    kase('AV-002', 'skip', { title: 'clamd unavailable: fail-closed', reason: NO_CLAMD }),
    kase('SEC-001', 'pass', {
      title: 'no secret in any log line',
      events: [event(1, 'relay:session', { state: 'rejected', reason: `token ${secret}` })],
    }),
    kase('SEC-002', 'pass', {
      title: HOSTILE,
      events: [
        {
          atMs: 1,
          source: 'relay',
          channel: 'relay:work',
          text: `refused RELAY_E_ROUTE_PATH ${HOSTILE}`,
        },
      ],
    }),
    kase('ENV-004', 'pass', {
      events: Array.from({ length: 300 }, (_, i) =>
        event(i, 'relay:work', {
          via: 'servicebus',
          route: 'licensing',
          messageId: `m-${i}`,
          outcome: 'dead-lettered',
          code: 'RELAY_E_WORK_ENVELOPE',
        }),
      ),
    }),
    kase('HS-002', 'pass'),
    kase('SAS-004', 'fail', {
      level: 'should',
      reason: 'the token was accepted one second after its expiry',
      failures: ['refused at se'],
    }),
    kase('PORT-011', 'pass', {
      assertions: [
        { name: 'listening sockets on non-loopback addresses', ok: true },
        ...Array.from({ length: 12 }, (_, i) => ({
          name: `refuses connection ${i} with 403 Forbidden`,
          ok: true,
        })),
      ],
    }),
    kase('PORT-001', 'pass'),
  ];
}

/** A run of the attacks above, with antivirus facts when given. */
export function securityRun(secret: string, extra: Partial<BuildReportInput> = {}) {
  return input(attacks(secret), extra);
}

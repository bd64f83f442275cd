// The back office's control API: JSON over HTTP, loopback only (the shared json-http server).
// In: requests from suites and users. Out: the journal, the files written, the form types,
// the data set references and intake submissions as JSON; fault rules set and cleared per
// service; a reset. Routes:
//
//   GET    /services                      every running service: {name: {url, port, tls}}
//   GET    /journal?<filter>&limit=n      {entries, stats}; filter: service, kind, method, path,
//                                         pathPrefix, status, outcome, matched, idempotencyKey,
//                                         reference, header=<name>:<value>, after
//   GET    /journal/count?<filter>        {count}
//   GET    /journal/unmatched             {entries}: requests no route matched (404/405)
//   DELETE /journal                       {cleared: n}
//   GET    /files?formType=               {files}: written through the intake
//   GET    /files/scan                    {files}: everything now in the share folders
//   GET    /form-types                    {formTypes: [{formType, folder, path}]}
//   GET    /references?service=&limit=    {references} of council-tax, business-rates, benefits
//   GET    /intake/<service>              {submissions} (bodies left out)
//   GET    /faults                        {faults: {service: rules}}
//   GET    /faults/<service>              {rules}
//   POST   /faults/<service>              one rule (docs/backoffice.md) → {id}
//   PUT    /faults/<service>              {rules: [...]} replaces them → {ids}
//   DELETE /faults/<service>[?id=<id>]    clears the service's rules, or one → {cleared}
//   DELETE /faults                        clears every rule
//   POST   /reset                         journal, faults, intake stores and share folders
import { RelaycheckError } from '../../../relay/src/protocol/errors';
import { SimControlError, field, startControlServer, type ControlApi } from '../control/json-http';
import type { BackOffice } from './backoffice';
import { INTAKE_SERVICES, SERVICE_NAMES, type IntakeServiceName, type ServiceName } from './config';
import { SimBackOfficeError } from './errors';
import type { JournalFilter, Outcome } from './journal';

const OUTCOMES: readonly Outcome[] = [
  'answered',
  'reset',
  'empty',
  'hung',
  'malformed',
  'truncated',
  'client-closed',
  'shutdown',
  'bad-request',
  'written',
];

function bad(message: string): SimControlError {
  return new SimControlError('SIM_E_CTL_REQUEST', message);
}

function wholeNumber(text: string | null, name: string): number | undefined {
  if (text === null || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text)) throw bad(`"${name}" must be a whole number ≥ 0`);
  return Number(text);
}

/** The journal filter from query parameters. */
export function journalFilter(q: URLSearchParams): JournalFilter {
  const kind = q.get('kind');
  if (kind !== null && kind !== 'request' && kind !== 'file')
    throw bad('"kind" is request or file');
  const outcome = q.get('outcome');
  if (outcome !== null && !OUTCOMES.includes(outcome as Outcome)) {
    throw bad(`"outcome" is one of ${OUTCOMES.join(', ')}`);
  }
  const matched = q.get('matched');
  if (matched !== null && matched !== 'true' && matched !== 'false') {
    throw bad('"matched" is true or false');
  }
  const header = q.get('header');
  let headerFilter: JournalFilter['header'];
  if (header !== null) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw bad('"header" is <name>:<value>');
    headerFilter = { name: header.slice(0, colon).trim(), value: header.slice(colon + 1).trim() };
  }
  return {
    kind: kind ?? undefined,
    service: q.get('service') ?? undefined,
    method: q.get('method') ?? undefined,
    path: q.get('path') ?? undefined,
    pathPrefix: q.get('pathPrefix') ?? undefined,
    status: wholeNumber(q.get('status'), 'status'),
    outcome: (outcome as Outcome | null) ?? undefined,
    matched: matched === null ? undefined : matched === 'true',
    idempotencyKey: q.get('idempotencyKey') ?? undefined,
    reference: q.get('reference') ?? undefined,
    header: headerFilter,
    after: wholeNumber(q.get('after'), 'after'),
  };
}

function serviceName(text: string | undefined): ServiceName {
  if (text === undefined || !(SERVICE_NAMES as readonly string[]).includes(text)) {
    throw new SimBackOfficeError(
      'SIM_E_BO_SERVICE',
      `no back-office service is called "${(text ?? '').slice(0, 64)}"; services: ${SERVICE_NAMES.join(', ')}`,
    );
  }
  return text as ServiceName;
}

/** Routes one control request. */
export async function handleBackOfficeControl(
  bo: BackOffice,
  method: string,
  url: URL,
  body: () => Promise<unknown>,
): Promise<unknown> {
  let parts: string[];
  try {
    parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    throw bad('the path has a malformed percent-encoding');
  }
  const route = `${method} /${parts[0] ?? ''}`;
  const q = url.searchParams;
  const limit = wholeNumber(q.get('limit'), 'limit');
  const cut = <T>(list: T[]): T[] => (limit === undefined ? list : list.slice(-limit));
  switch (route) {
    case 'GET /services':
      if (parts.length !== 1) break;
      return { services: bo.services };
    case 'GET /journal':
      if (parts.length === 1) {
        return { entries: cut(bo.journal.entries(journalFilter(q))), stats: bo.journal.stats() };
      }
      if (parts.length === 2 && parts[1] === 'count')
        return { count: bo.journal.count(journalFilter(q)) };
      if (parts.length === 2 && parts[1] === 'unmatched')
        return { entries: cut(bo.journal.unmatched()) };
      break;
    case 'DELETE /journal': {
      if (parts.length !== 1) break;
      const n = bo.journal.stats().held;
      bo.journal.clear();
      return { cleared: n };
    }
    case 'GET /files':
      if (parts.length === 1) {
        const formType = q.get('formType') ?? undefined;
        return { files: cut(bo.files.written(formType === undefined ? {} : { formType })) };
      }
      if (parts.length === 2 && parts[1] === 'scan') return { files: cut(await bo.files.scan()) };
      break;
    case 'GET /form-types':
      if (parts.length !== 1) break;
      return { formTypes: bo.files.formTypes() };
    case 'GET /references': {
      if (parts.length !== 1) break;
      const s = q.get('service');
      const set =
        s === 'council-tax'
          ? bo.data.councilTax
          : s === 'business-rates'
            ? bo.data.businessRates
            : s === 'benefits'
              ? bo.data.benefits
              : undefined;
      if (set === undefined) throw bad('"service" is council-tax, business-rates or benefits');
      return { scheme: set.scheme.description, references: cut([...set.references]) };
    }
    case 'GET /intake': {
      const s = parts[1];
      if (parts.length !== 2 || !(INTAKE_SERVICES as readonly (string | undefined)[]).includes(s)) {
        throw bad(`GET /intake/<service>: one of ${INTAKE_SERVICES.join(', ')}`);
      }
      return {
        submissions: cut(
          bo.intake[s as IntakeServiceName].list().map(({ body: _body, ...rest }) => rest),
        ),
      };
    }
    case 'GET /faults':
      if (parts.length === 1) {
        return {
          faults: Object.fromEntries(Object.keys(bo.services).map((s) => [s, bo.faults.list(s)])),
        };
      }
      if (parts.length === 2) return { rules: bo.faults.list(serviceName(parts[1])) };
      break;
    case 'POST /faults': {
      if (parts.length !== 2) break;
      const s = serviceName(parts[1]);
      return { id: bo.faults.add(s, await body()) };
    }
    case 'PUT /faults': {
      if (parts.length !== 2) break;
      const s = serviceName(parts[1]);
      const rules = field(await body(), 'rules');
      if (!Array.isArray(rules)) throw bad('"rules" is a list of fault rules');
      return { ids: bo.faults.set(s, rules) };
    }
    case 'DELETE /faults': {
      if (parts.length === 1) {
        bo.faults.clear();
        return { cleared: 'all' };
      }
      if (parts.length !== 2) break;
      const s = serviceName(parts[1]);
      const id = q.get('id');
      if (id !== null) {
        if (!id.startsWith(`${s}#`) || !bo.faults.remove(id)) throw bad(`no rule ${id} on ${s}`);
        return { cleared: id };
      }
      bo.faults.clear(s);
      return { cleared: s };
    }
    case 'POST /reset':
      if (parts.length !== 1) break;
      await bo.reset();
      return { reset: true };
    default:
      break;
  }
  throw new SimControlError('SIM_E_CTL_ROUTE', `no route ${method} ${url.pathname}`);
}

/** A bad fault rule is the caller's mistake (400), not a server configuration error. */
function statusOf(e: RelaycheckError): number {
  if (e.code === 'SIM_E_BO_CONFIG') return 400;
  return e.http ?? 500;
}

export function startBackOfficeControl(
  bo: BackOffice,
  options: { readonly host?: string; readonly port?: number } = {},
): Promise<ControlApi> {
  return startControlServer((method, url, body) => handleBackOfficeControl(bo, method, url, body), {
    ...options,
    statusOf,
  });
}

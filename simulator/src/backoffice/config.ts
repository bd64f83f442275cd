// The back-office mocks' configuration. In: untrusted input (a parsed JSON file, an object
// from a test). Out: a validated, defaulted, deep-frozen BackOfficeConfig, or a
// SimBackOfficeError SIM_E_BO_CONFIG naming the offending path. Holds no secret: the journal
// may never be told to record a header that carries one (Authorization and the like).
import { z } from 'zod';
import { isLoopbackHost } from '../control/json-http';
import { SimBackOfficeError } from './errors';
import { faultRuleSchema } from './faults';
import { FORM_TYPE_PATTERN, formTypeFolders } from './form-types';
import { deepFreeze } from '../util/deep-freeze';

/** The services, in the order they start. Each is its own HTTP server. */
export const SERVICE_NAMES = [
  'council-tax',
  'business-rates',
  'benefits',
  'documents',
  'ctb-intake',
  'environmental-health',
  'licensing',
  'file-shares',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const INTAKE_SERVICES = ['ctb-intake', 'environmental-health', 'licensing'] as const;
export type IntakeServiceName = (typeof INTAKE_SERVICES)[number];

/** Default accepted root elements of each XML intake service. */
export const DEFAULT_INTAKE_ROOTS: Readonly<Record<IntakeServiceName, readonly string[]>> =
  Object.freeze({
    'ctb-intake': ['ChangeOfCircumstances', 'CouncilTaxReductionClaim'],
    'environmental-health': ['EnvironmentalHealthCase'],
    licensing: ['LicenceApplication'],
  });

/** Headers that can carry a secret: never recorded, whatever the configuration says. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'servicebusauthorization',
  'sb-hc-token',
  'x-api-key',
  'x-functions-key',
  'ocp-apim-subscription-key',
]);

export const DEFAULT_JOURNAL_HEADERS = [
  'content-type',
  'content-length',
  'transfer-encoding',
  'user-agent',
  'host',
  'idempotency-key',
  'x-ms-client-request-id',
  'x-correlation-id',
  'x-file-name',
] as const;

const MiB = 1_048_576;

const port = z.int().min(0).max(65_535);
const serviceSchema = z.strictObject({
  enabled: z.boolean().default(true),
  port: port.default(0),
  /** HTTPS for this service alone; absent: as tls.enabled says. */
  tls: z.boolean().optional(),
});
const headerName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'not an HTTP header name')
  .transform((h) => h.toLowerCase())
  .refine((h) => !SECRET_HEADERS.has(h), 'this header can carry a secret and is never recorded');
const xmlName = z.string().regex(/^[A-Za-z_][A-Za-z0-9._-]{0,99}$/, 'not an XML element name');
const folder = z
  .string()
  .max(240)
  .regex(
    /^[A-Za-z0-9_][A-Za-z0-9 ._-]*(?:\/[A-Za-z0-9_][A-Za-z0-9 ._-]*)*$/,
    'a folder is relative: segments of letters, digits, space . _ -, joined by /',
  )
  .refine(
    (f) => f.split('/').every((s) => s !== '..' && !s.endsWith('.') && !s.endsWith(' ')),
    'no segment may be "..", or end with a dot or a space',
  );

const servicesShape = Object.fromEntries(
  SERVICE_NAMES.map((n) => [n, serviceSchema.prefault({})]),
) as Record<ServiceName, z.ZodPrefault<typeof serviceSchema>>;
const rootsShape = Object.fromEntries(
  INTAKE_SERVICES.map((n) => [
    n,
    z
      .array(xmlName)
      .min(1)
      .max(50)
      .default([...DEFAULT_INTAKE_ROOTS[n]]),
  ]),
) as Record<IntakeServiceName, z.ZodDefault<z.ZodArray<typeof xmlName>>>;

function validDay(day: string): boolean {
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

const schema = z.strictObject({
  /** Every data set, document and fault PRNG derives from it. */
  seed: z.union([z.string().min(1).max(200), z.int()]).default('relaycheck'),
  /** The "as at" date of the data sets (YYYY-MM-DD); never the wall clock. */
  asOf: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
    .refine(validDay, 'not a calendar date')
    .default('2025-10-15'),
  host: z
    .string()
    .refine(isLoopbackHost, 'the back office listens on loopback only (127.0.0.0/8 or ::1)')
    .default('127.0.0.1'),
  services: z.strictObject(servicesShape).prefault({}),
  tls: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Extra names (logical hosts) the server certificate must carry. */
      hosts: z.array(z.string().min(1).max(253)).max(50).default([]),
      /** Where the simulator's CA certificate is written (PEM) when it is made here. */
      caPath: z.string().min(1).optional(),
    })
    .prefault({}),
  data: z
    .strictObject({
      councilTaxAccounts: z.int().min(1).max(100_000).default(200),
      businessRatesProperties: z.int().min(1).max(100_000).default(120),
      benefitsClaims: z.int().min(1).max(100_000).default(150),
    })
    .prefault({}),
  documents: z
    .strictObject({
      /** The largest `size` a document request may ask for. */
      maxBytes: z
        .int()
        .min(1)
        .max(1024 * MiB)
        .default(100 * MiB),
    })
    .prefault({}),
  intake: z
    .strictObject({
      maxBodyBytes: z
        .int()
        .min(1)
        .max(64 * MiB)
        .default(MiB),
      requireXmlContentType: z.boolean().default(true),
      /** How many submissions each intake service keeps (oldest forgotten first). */
      keep: z.int().min(0).max(1_000_000).default(1_000),
      roots: z.strictObject(rootsShape).prefault({}),
    })
    .prefault({}),
  files: z
    .strictObject({
      /** The run directory; shares/ is made under it. Absent: a temporary one, removed at close. */
      runDir: z.string().min(1).optional(),
      maxFileBytes: z
        .int()
        .min(1)
        .max(4096 * MiB)
        .default(100 * MiB),
      /** Form type → folder under shares/, on top of (or instead of) the defaults. */
      formTypes: z
        .record(z.string().max(64).regex(FORM_TYPE_PATTERN, 'not a form type name'), folder)
        .default({}),
      onlyConfigured: z.boolean().default(false),
      /** A different file of the same name: refuse (409) or replace it. */
      onExisting: z.enum(['conflict', 'replace']).default('conflict'),
    })
    .prefault({}),
  journal: z
    .strictObject({
      capacity: z.int().min(1).max(1_000_000).default(10_000),
      headers: z
        .array(headerName)
        .max(64)
        .default([...DEFAULT_JOURNAL_HEADERS]),
      /** The first of these present on a request is its idempotency key. */
      idempotencyHeaders: z
        .array(headerName)
        .min(1)
        .max(8)
        .default(['idempotency-key', 'x-ms-client-request-id']),
    })
    .prefault({}),
  /** Fault rules set at start-up, by service. */
  faults: z.partialRecord(z.enum(SERVICE_NAMES), z.array(faultRuleSchema).max(100)).default({}),
  control: z
    .strictObject({ enabled: z.boolean().default(true), port: port.default(0) })
    .prefault({}),
});

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type BackOfficeConfigInput = z.input<typeof schema>;
export type BackOfficeConfig = DeepReadonly<z.output<typeof schema>>;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path)
    out += typeof p === 'number' ? `[${String(p)}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(top level)' : out;
}

/** Validates `input`, fills defaults and freezes. Throws SIM_E_BO_CONFIG with the path. */
export function parseBackOfficeConfig(input: unknown = {}): BackOfficeConfig {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = formatPath(issue?.path ?? []);
    throw new SimBackOfficeError(
      'SIM_E_BO_CONFIG',
      `${where}: ${issue?.message ?? 'invalid configuration'}`,
      { path: where },
    );
  }
  const c = result.data;
  checkFolders(formTypeFolders(c.files.formTypes, c.files.onlyConfigured));
  return deepFreeze(c);
}

/**
 * Each form type has its own folder: no two share one, and none lies inside another's
 * (compared case-insensitively, as an SMB share does).
 */
function checkFolders(map: ReadonlyMap<string, string>): void {
  const byFolder = new Map<string, string>();
  for (const [type, f] of map) byFolder.set(f.toLowerCase(), type);
  for (const [type, f] of map) {
    const segments = f.toLowerCase().split('/');
    for (let i = 1; i <= segments.length; i++) {
      const prefix = segments.slice(0, i).join('/');
      const other = byFolder.get(prefix);
      if (other !== undefined && other !== type) {
        const where = `files.formTypes.${type}`;
        throw new SimBackOfficeError(
          'SIM_E_BO_CONFIG',
          `${where}: the folder "${f}" is, or lies inside, the folder of ${other}; each form type has its own`,
          { path: where },
        );
      }
    }
  }
}

/** True when `service` serves HTTPS: its own `tls` switch, else the global one. */
export function serviceUsesTls(config: BackOfficeConfig, service: ServiceName): boolean {
  return config.services[service].tls ?? config.tls.enabled;
}

/** The services the config enables, in start order. */
export function enabledServices(config: BackOfficeConfig): ServiceName[] {
  return SERVICE_NAMES.filter((n) => config.services[n].enabled);
}

// Starts the council's mock back office. In: a configuration (validated here: zod, frozen),
// and options a test injects (clock, timers, TLS material, a bad certificate per service).
// Out: one loopback HTTP(S) server per enabled service, the shared journal, the file shares,
// the fault switches, the generated data sets, the intake stores, an optional control API,
// reset() and close(). close() ends every exchange (hung ones too) and every timer.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../../../relay/src/protocol/primitives';
import type { ControlApi } from '../control/json-http';
import { createTlsMaterial } from '../cloud/tls/ca';
import {
  INTAKE_SERVICES,
  enabledServices,
  parseBackOfficeConfig,
  serviceUsesTls,
  type BackOfficeConfig,
  type IntakeServiceName,
  type ServiceName,
} from './config';
import { startBackOfficeControl } from './control';
import { generateDataSets, type DataSets } from './datasets';
import { documentsHandler } from './documents';
import { startServiceEdge, type ServiceEndpoint } from './edge';
import { SimBackOfficeError } from './errors';
import { BO_CHANNELS, publish } from './events';
import { FaultController } from './faults';
import { FileShares, fileSharesHandler, type WrittenFile } from './fileshare';
import { formTypeFolders } from './form-types';
import { IntakeStore, intakeHandler } from './intake';
import { Journal } from './journal';
import { benefitsXml, businessRatesXml, councilTaxXml, retrievalHandler } from './retrieval';
import type { ServiceHandler } from './service';
import { realTimers, type Timers } from './timers';

/** A key and certificate (PEM) for one HTTPS server. */
export interface ServerTls {
  readonly key: string;
  readonly cert: string;
}

export interface BackOfficeOptions {
  /** Wall-clock time for the journal, intake references and fault windows (default: real). */
  readonly clock?: Clock | undefined;
  /** Timers for fault delays and dribbles (default: real). */
  readonly timers?: Timers | undefined;
  /** TLS material for the services that serve HTTPS (default: a fresh simulator CA). */
  readonly tls?: (ServerTls & { readonly caPem?: string | undefined }) | undefined;
  /** A service served with this certificate instead (HTTPS even if tls is off): bad-certificate cases. */
  readonly tlsByService?: Partial<Record<ServiceName, ServerTls>> | undefined;
}

export interface ServiceInfo {
  readonly name: ServiceName;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface BackOffice {
  readonly config: BackOfficeConfig;
  readonly services: Readonly<Partial<Record<ServiceName, ServiceInfo>>>;
  readonly journal: Journal;
  readonly files: FileShares;
  readonly faults: FaultController;
  readonly data: DataSets;
  readonly intake: Readonly<Record<IntakeServiceName, IntakeStore>>;
  readonly control: ControlApi | undefined;
  /** The run directory (shares/ is under it). */
  readonly runDir: string;
  /** The CA certificate (PEM) clients must trust, when TLS is on with the simulator's CA. */
  readonly caPem: string | undefined;
  /** The URL of a running service; SIM_E_BO_SERVICE when it is not enabled. */
  url(service: ServiceName): string;
  /** Exchanges not yet ended, over every service. */
  inFlight(): number;
  /** Clears the journal, every fault rule, the intake stores and the share folders. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

function fileEntry(journal: Journal, f: WrittenFile, method: string): void {
  journal.record({
    kind: 'file',
    service: 'file-shares',
    method,
    path: `/${f.folder}/${f.name}`,
    query: '',
    headers: {},
    idempotencyKey: f.idempotencyKey,
    startedAt: f.writtenAt,
    endedAt: f.writtenAt,
    durationMs: 0,
    elapsedMs: 0,
    status: f.result === 'unchanged' ? 200 : 201,
    outcome: 'written',
    matched: true,
    requestBytes: f.size,
    responseBytes: 0,
    error: undefined,
    fault: undefined,
    reference: `${f.folder}/${f.name}`,
    file: {
      formType: f.formType,
      folder: f.folder,
      name: f.name,
      path: f.path,
      size: f.size,
      sha256: f.sha256,
      result: f.result,
    },
  });
}

/** Validates the configuration and starts every enabled service. */
export async function startBackOffice(
  input: unknown = {},
  options: BackOfficeOptions = {},
): Promise<BackOffice> {
  const config = parseBackOfficeConfig(input);
  const clock = options.clock ?? systemClock;
  const timers = options.timers ?? realTimers;
  const journal = new Journal(config.journal.capacity);
  const faults = new FaultController(config.seed, clock);
  for (const [service, rules] of Object.entries(config.faults)) faults.set(service, rules);
  const data = generateDataSets({
    seed: config.seed,
    asOf: config.asOf,
    councilTaxAccounts: config.data.councilTaxAccounts,
    businessRatesProperties: config.data.businessRatesProperties,
    benefitsClaims: config.data.benefitsClaims,
  });

  const ownRunDir = config.files.runDir === undefined;
  const runDir =
    config.files.runDir === undefined
      ? await mkdtemp(join(tmpdir(), 'relaycheck-backoffice-'))
      : resolve(config.files.runDir);
  const endpoints: ServiceEndpoint[] = [];
  let control: ControlApi | undefined;

  const cleanup = async (): Promise<void> => {
    await control?.close();
    await Promise.allSettled(endpoints.map((e) => e.close()));
    journal.close();
    if (ownRunDir) await rm(runDir, { recursive: true, force: true });
  };

  try {
    const files = await FileShares.create({
      root: join(runDir, 'shares'),
      folders: formTypeFolders(config.files.formTypes, config.files.onlyConfigured),
      maxFileBytes: config.files.maxFileBytes,
      onExisting: config.files.onExisting,
      clock,
      onWritten: (f) => {
        fileEntry(journal, f, 'WRITE');
        publish(BO_CHANNELS.fileWritten, {
          service: 'file-shares',
          formType: f.formType,
          folder: f.folder,
          name: f.name,
          size: f.size,
          sha256: f.sha256,
          result: f.result,
        });
      },
    });

    const intake = Object.fromEntries(
      INTAKE_SERVICES.map((s) => [s, new IntakeStore(s, config.intake.keep, clock)]),
    ) as Record<IntakeServiceName, IntakeStore>;

    const handlers: Record<ServiceName, () => ServiceHandler> = {
      'council-tax': () =>
        retrievalHandler('accounts', data.councilTax, (a) => councilTaxXml(a, config.asOf)),
      'business-rates': () =>
        retrievalHandler('properties', data.businessRates, (a) => businessRatesXml(a, config.asOf)),
      benefits: () => retrievalHandler('claims', data.benefits, (c) => benefitsXml(c, config.asOf)),
      documents: () =>
        documentsHandler({
          seed: config.seed,
          asOf: config.asOf,
          data,
          maxBytes: config.documents.maxBytes,
        }),
      'ctb-intake': () => intakeFor('ctb-intake'),
      'environmental-health': () => intakeFor('environmental-health'),
      licensing: () => intakeFor('licensing'),
      'file-shares': () => fileSharesHandler(files),
    };
    function intakeFor(service: IntakeServiceName): ServiceHandler {
      return intakeHandler({
        service,
        roots: config.intake.roots[service],
        maxBodyBytes: config.intake.maxBodyBytes,
        requireXmlContentType: config.intake.requireXmlContentType,
        store: intake[service],
      });
    }

    let shared: (ServerTls & { caPem?: string | undefined }) | undefined;
    if (enabledServices(config).some((n) => serviceUsesTls(config, n))) {
      shared =
        options.tls ??
        createTlsMaterial({
          hosts: ['localhost', '127.0.0.1', '::1', ...config.tls.hosts],
          ...(config.tls.caPath === undefined ? {} : { caPath: config.tls.caPath }),
          clock,
        });
    }

    for (const name of enabledServices(config)) {
      endpoints.push(
        await startServiceEdge({
          service: name,
          host: config.host,
          port: config.services[name].port,
          tls: options.tlsByService?.[name] ?? (serviceUsesTls(config, name) ? shared : undefined),
          handler: handlers[name](),
          journal,
          faults,
          clock,
          timers,
          journalHeaders: config.journal.headers,
          idempotencyHeaders: config.journal.idempotencyHeaders,
        }),
      );
    }
    const services: Partial<Record<ServiceName, ServiceInfo>> = {};
    for (const e of endpoints) {
      services[e.name] = Object.freeze({
        name: e.name,
        url: e.url,
        host: e.host,
        port: e.port,
        tls: e.tls,
      });
    }
    Object.freeze(services);

    let closed: Promise<void> | undefined;
    const backOffice: BackOffice = {
      config,
      services,
      journal,
      files,
      faults,
      data,
      intake,
      get control() {
        return control;
      },
      runDir,
      caPem: shared?.caPem,
      url(service: ServiceName): string {
        const s = services[service];
        if (s === undefined) {
          throw new SimBackOfficeError(
            'SIM_E_BO_SERVICE',
            `the service ${service} is not running`,
            {
              service,
            },
          );
        }
        return s.url;
      },
      inFlight: () => endpoints.reduce((n, e) => n + e.inFlight(), 0),
      async reset(): Promise<void> {
        journal.clear();
        faults.reset();
        for (const s of Object.values(intake)) s.reset();
        await files.reset();
      },
      close(): Promise<void> {
        closed ??= cleanup();
        return closed;
      },
    };
    if (config.control.enabled) {
      control = await startBackOfficeControl(backOffice, {
        host: config.host,
        port: config.control.port,
      });
    }
    return backOffice;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

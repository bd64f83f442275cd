// `relaycheck bench crypto`: the protocol core's cost, measured in one run. In: rounds and
// time per round. Out: HELLO verifications per second (cloud side, one thread), envelope
// seal+open throughput against raw AES-256-GCM seal+open over the same bytes (1 MiB and
// 50 MiB), and the peak extra memory while a 50 MiB body streams through. Each figure is
// measured in a fresh child process, so one figure's heap does not slow the next.
// A benchmark, never a test: nothing here passes or fails on time; targets are reported.
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openBody, sealBody } from '../../relay/src/protocol/envelope';
import { HandshakeVerifier, createHello } from '../../relay/src/protocol/handshake';
import { interleaved, median } from './measure';

export interface CryptoBenchOptions {
  readonly rounds: number;
  readonly msPerRound: number;
  readonly hellosPerRound: number;
}

export interface EnvelopeFigure {
  readonly bytes: number;
  readonly envelopeMiBs: number;
  readonly rawMiBs: number;
  readonly ratio: number;
}

export interface CryptoBenchResult {
  readonly machine: string;
  readonly node: string;
  readonly helloPerSecond: number;
  readonly envelope: readonly EnvelopeFigure[];
  readonly memory: {
    readonly bytes: number;
    readonly peakLiveBytes: number;
    readonly medianLiveBytes: number;
    readonly peakWithGarbageBytes: number;
    readonly peakRssBytes: number;
    readonly sealPeakBuffered: number;
    readonly openPeakBuffered: number;
  };
}

const MiB = 1024 * 1024;
const TENANT = 'council-42';
const KID = 'bench-1';

/** HELLO verifications per second: fresh HELLOs each round, one verifier per round. */
function benchHello(options: CryptoBenchOptions): number {
  const key = randomBytes(32);
  const rates: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const hellos = Array.from(
      { length: options.hellosPerRound },
      (_, i) =>
        createHello({ tenant: TENANT, kid: KID, key, relay: `relay-${i}`, caps: ['hc', 'sb'] })
          .message,
    );
    const verifier = new HandshakeVerifier({
      tenants: { [TENANT]: [{ kid: KID, key }] },
      replayCache: {
        maxEntries: options.hellosPerRound * 2,
        maxBytes: options.hellosPerRound * 1024,
      },
      maxSessionsPerTenant: options.hellosPerRound,
    });
    const start = performance.now();
    for (const hello of hellos) {
      const result = verifier.verify(hello);
      if (!result.ok) throw new Error(`bench HELLO refused: ${result.error.code}`);
    }
    rates.push((hellos.length * 1000) / (performance.now() - start));
  }
  return median(rates);
}

function rawSealOpen(key: Buffer, body: Buffer): void {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from('bench'));
  const ct = Buffer.concat([c.update(body), c.final()]);
  const tag = c.getAuthTag();
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAAD(Buffer.from('bench'));
  d.setAuthTag(tag);
  const pt = Buffer.concat([d.update(ct), d.final()]);
  if (pt.length !== body.length) throw new Error('raw round trip lost bytes');
}

function envelopeSealOpen(key: Buffer, body: Buffer): void {
  const binding = {
    key,
    kid: KID,
    tenant: TENANT,
    messageId: 'm-1',
    route: 'pdf.bill',
    direction: 'c2r' as const,
  };
  const { metadata, sealed } = sealBody(binding, body);
  const opened = openBody(
    { ...binding, policy: { requireSealed: true, ttlMs: Infinity } },
    metadata,
    sealed,
  );
  if (opened.length !== body.length) throw new Error('envelope round trip lost bytes');
}

function benchEnvelope(bytes: number, options: CryptoBenchOptions): EnvelopeFigure {
  const key = randomBytes(32);
  const body = randomBytes(bytes);
  const rates = interleaved(
    {
      raw: () => {
        rawSealOpen(key, body);
      },
      envelope: () => {
        envelopeSealOpen(key, body);
      },
    },
    options.rounds,
    options.msPerRound,
  );
  const rawMiBs = ((rates.raw ?? 0) * bytes) / MiB;
  const envelopeMiBs = ((rates.envelope ?? 0) * bytes) / MiB;
  return { bytes, rawMiBs, envelopeMiBs, ratio: envelopeMiBs / rawMiBs };
}

/** Runs a bench script in a fresh Node process and returns the JSON it prints last. */
function child(
  script: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): unknown {
  const out = execFileSync(
    process.execPath,
    [...nodeFlags, '-r', 'ts-node/register/transpile-only', join(__dirname, script), ...args],
    { cwd: join(__dirname, '..', '..'), encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

/** One figure, in this process: what `crypto-part.ts` calls in the child. */
export function runPart(part: string, options: CryptoBenchOptions): unknown {
  if (part === 'hello') return benchHello(options);
  if (part === 'envelope-1') return benchEnvelope(MiB, options);
  if (part === 'envelope-50') {
    return benchEnvelope(50 * MiB, { ...options, msPerRound: Math.max(options.msPerRound, 1500) });
  }
  throw new Error(`unknown bench part ${part}`);
}

export function runCryptoBench(options: CryptoBenchOptions): CryptoBenchResult {
  const cpu = cpus()[0];
  const args = [String(options.rounds), String(options.msPerRound), String(options.hellosPerRound)];
  return {
    machine: `${cpus().length} × ${cpu?.model ?? 'unknown CPU'}`,
    node: process.version,
    helloPerSecond: child('crypto-part.ts', ['hello', ...args]) as number,
    envelope: [
      child('crypto-part.ts', ['envelope-1', ...args]) as EnvelopeFigure,
      child('crypto-part.ts', ['envelope-50', ...args]) as EnvelopeFigure,
    ],
    memory: child(
      'envelope-memory.ts',
      [String(50 * MiB)],
      ['--expose-gc'],
    ) as CryptoBenchResult['memory'],
  };
}

const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;

/** The side-by-side report, with each target and whether it was met. */
export function renderCryptoBench(r: CryptoBenchResult): string {
  const lines = [
    `machine: ${r.machine}, node ${r.node}, one thread`,
    '',
    `HELLO verifications     ${r.helloPerSecond.toFixed(0).padStart(8)} /s     target >= 5000/s   ${r.helloPerSecond >= 5000 ? 'met' : 'MISSED'}`,
    '',
    'envelope seal+open      envelope      raw GCM     ratio   target >= 70%',
    ...r.envelope.map(
      (e) =>
        `  ${(e.bytes / MiB).toFixed(0).padStart(3)} MiB body        ${e.envelopeMiBs.toFixed(0).padStart(5)} MiB/s  ${e.rawMiBs.toFixed(0).padStart(5)} MiB/s  ${(e.ratio * 100).toFixed(0).padStart(4)}%   ${e.ratio >= 0.7 ? 'met' : 'MISSED'}`,
    ),
    '',
    `streaming ${(r.memory.bytes / MiB).toFixed(0)} MiB through seal and open streams:`,
    `  peak extra live memory (GC every 1 MiB)  ${kib(r.memory.peakLiveBytes).padStart(9)}   target < 4096 KiB   ${r.memory.peakLiveBytes < 4 * MiB ? 'met' : 'MISSED'}`,
    `  median extra live memory                 ${kib(r.memory.medianLiveBytes).padStart(9)}`,
    `  peak extra heap+buffers, garbage incl.   ${kib(r.memory.peakWithGarbageBytes).padStart(9)}`,
    `  peak extra RSS                           ${kib(r.memory.peakRssBytes).padStart(9)}`,
    `  bytes held inside the streams (peak)     seal ${kib(r.memory.sealPeakBuffered)}, open ${kib(r.memory.openPeakBuffered)}`,
  ];
  return lines.join('\n') + '\n';
}

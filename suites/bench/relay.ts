// `relaycheck bench relay`: the reference relay's memory while it relays a large PDF. In: the
// document size and the number of transfers. Out: the relay process's RSS before, its peak
// (VmHWM after a reset, and 10 ms samples) and growth while a PDF of that size is fetched
// through the Hybrid Connection (document service → relay → tenant), the transfer rate, and
// whether the bytes arrived whole (SHA-256 against the document service itself). A benchmark,
// never a test: nothing here passes or fails on time. Everything runs on loopback.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compiledIsFresh, startBenchWorld } from './bench-world';
import { median, resetPeak, statusKiB } from './measure';

const BIN = join(__dirname, '..', '..', 'bin', 'relaycheck.js');
const MIB = 1024 * 1024;

export interface RelayBenchOptions {
  /** Size of the PDF in MiB (default 50). */
  readonly sizeMiB: number;
  /** Transfers measured (the median is reported; default 3). */
  readonly transfers: number;
}

export interface RelayBenchResult {
  readonly sizeBytes: number;
  readonly transfers: number;
  readonly rssBaseMiB: number;
  readonly rssPeakMiB: number;
  readonly rssGrowthMiB: number;
  readonly mbPerSecond: number;
  readonly whole: boolean;
  readonly compiled: boolean;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function runRelayBench(options: RelayBenchOptions): Promise<RelayBenchResult> {
  const bench = await startBenchWorld('relaycheck-bench-relay-');
  const world = bench.world;
  let child: ChildProcess | undefined;
  try {
    const tenant = world.tenant;
    const bo = world.backOffice;
    const ref = bo?.data.councilTax.references[0];
    if (tenant === undefined || bo === undefined || ref === undefined) {
      throw new Error('the world has no tenant or back office');
    }
    const relay = spawn(process.execPath, [BIN, 'relay', '--config', bench.relayConfigPath], {
      env: bench.relayEnv,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child = relay;
    await bench.waitHealthy(() => relay.exitCode === null);
    const compiled = compiledIsFresh();
    // NODE_EXTRA_CA_CERTS is set, so the bin runs the relay in this very process (no re-exec).
    const pid = child.pid ?? 0;

    const size = options.sizeMiB * MIB;
    const target = `/documents/documents/council-tax/${ref}/bill.pdf?size=${String(size)}`;
    const direct = Buffer.from(
      await (
        await fetch(
          `${bo.url('documents')}/documents/council-tax/${ref}/bill.pdf?size=${String(size)}`,
        )
      ).arrayBuffer(),
    );
    const expected = sha256(direct);
    // Warm-up: code paths loaded, connections made.
    await tenant.call(`/documents/documents/council-tax/${ref}/letter.pdf`, { method: 'GET' });
    await tenant.call(`/council-tax/accounts/${ref}`, { method: 'GET' });

    const base = statusKiB(pid, 'VmRSS');
    const rates: number[] = [];
    let peak = base;
    let whole = true;
    for (let i = 0; i < options.transfers; i++) {
      const canReset = resetPeak(pid);
      const timer = setInterval(() => {
        peak = Math.max(peak, statusKiB(pid, 'VmRSS'));
      }, 10);
      const start = performance.now();
      try {
        const reply = await tenant.call(target, { method: 'GET' });
        rates.push(reply.body.length / 1e6 / ((performance.now() - start) / 1000));
        whole &&= reply.status === 200 && sha256(reply.body) === expected;
      } finally {
        clearInterval(timer);
      }
      peak = Math.max(peak, statusKiB(pid, 'VmRSS'));
      if (canReset) peak = Math.max(peak, statusKiB(pid, 'VmHWM'));
    }
    return {
      sizeBytes: size,
      transfers: options.transfers,
      rssBaseMiB: base / 1024,
      rssPeakMiB: peak / 1024,
      rssGrowthMiB: (peak - base) / 1024,
      mbPerSecond: median(rates),
      whole,
      compiled,
    };
  } finally {
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await bench.close();
  }
}

export function renderRelayBench(r: RelayBenchResult): string {
  const mib = (x: number): string => x.toFixed(1).padStart(7);
  return [
    `relay bench: ${String(r.transfers)} fetches of a ${(r.sizeBytes / MIB).toFixed(0)} MiB PDF through the Hybrid Connection (document service -> relay -> tenant)`,
    `  relay code                 ${r.compiled ? 'compiled (dist/)' : 'ts-node (dist/ missing or stale: run npm run build)'}`,
    `  relay RSS before           ${mib(r.rssBaseMiB)} MiB`,
    `  relay peak RSS             ${mib(r.rssPeakMiB)} MiB   (min-spec server: 512 MB RAM)`,
    `  relay RSS growth           ${mib(r.rssGrowthMiB)} MiB   (streamed: far below the document size)`,
    `  transfer rate (median)     ${r.mbPerSecond.toFixed(0).padStart(7)} MB/s`,
    `  bytes arrived whole        ${r.whole ? 'yes (SHA-256 equal to the document service)' : 'NO'}`,
    '',
  ].join('\n');
}

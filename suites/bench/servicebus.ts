// `relaycheck bench servicebus`: the simulated namespace under the real @azure/service-bus
// SDK, one process per side; the simulator runs compiled (dist/). In: message counts. Out: start-up to first accepted AMQP
// connection, batched send msg/s, peekLock receive+complete msg/s (subscribe, concurrency
// 32), and the simulator's RSS holding 100,000 queued 1 KB messages, beside Azure
// Standard's published limit (1,000 credits/s per namespace). A benchmark, never a test.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { ServiceBusClient, type ServiceBusMessage } from '@azure/service-bus';

export interface ServiceBusBenchOptions {
  /** Messages for the send and receive figures. */
  readonly messages: number;
  /** Messages held for the memory figure. */
  readonly held: number;
}

export interface ServiceBusBenchResult {
  readonly readyMs: number;
  readonly firstConnectionMs: number;
  readonly sendPerSecond: number;
  readonly receivePerSecond: number;
  readonly heldMessages: number;
  readonly rssBaseMiB: number;
  readonly rssHeldMiB: number;
}

const AZURE_STANDARD_CREDITS_PER_SECOND = 1000;
const BODY = randomBytes(512).toString('hex'); // 1,024 characters: a 1 KB body

interface Ready {
  readonly readyMs: number;
  /** The simulator's own process (bin/relaycheck.js runs it as a child with its V8 flags). */
  readonly pid: number;
  readonly listeners: {
    readonly plain?: { readonly port: number; readonly connectionString: string };
  };
}

const ROOT = join(__dirname, '..', '..');

/**
 * Compiles the project to dist/ (`npm run build`), so that the simulator is measured as
 * `relaycheck sim` runs it: compiled JavaScript, without ts-node and the TypeScript compiler
 * in its memory. Built every time, so the figures never come from stale code.
 */
function build(): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
}

/**
 * Starts `relaycheck sim servicebus --json` exactly as a user does (bin/relaycheck.js, which
 * runs the fresh dist/ build with the simulator's V8 flags) and waits for its ready line.
 */
async function startSimulator(configPath: string): Promise<{ child: ChildProcess; ready: Ready }> {
  const bin = join(ROOT, 'bin', 'relaycheck.js');
  const args = [bin, 'sim', 'servicebus', '--json', '--config', configPath];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  // The simulator must not outlive the benchmark, whatever ends it (exit, Ctrl+C, kill).
  const killChild = (): void => {
    child.kill('SIGTERM');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killChild();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', killChild);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  child.once('exit', () => {
    process.off('exit', killChild);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`the simulator exited with code ${String(code)} before it was ready`));
    });
    lines.once('line', (line) => {
      resolve(JSON.parse(line) as Ready);
    });
  });
  return { child, ready };
}

/** Time from dialling to the server's AMQP protocol header: the first accepted connection. */
function firstConnection(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0x00, 0x01, 0x00, 0x00])); // "AMQP" 0 1 0 0
    });
    socket.once('data', () => {
      resolve(performance.now() - start);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

async function sendAll(client: ServiceBusClient, queue: string, count: number): Promise<number> {
  const sender = client.createSender(queue);
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    const batch = await sender.createMessageBatch();
    while (sent < count) {
      const message: ServiceBusMessage = { body: BODY, messageId: `m-${sent}` };
      if (!batch.tryAddMessage(message)) break;
      sent += 1;
    }
    await sender.sendMessages(batch);
  }
  const seconds = (performance.now() - start) / 1000;
  await sender.close();
  return count / seconds;
}

async function receiveAll(client: ServiceBusClient, queue: string, count: number): Promise<number> {
  const receiver = client.createReceiver(queue, { receiveMode: 'peekLock' });
  const start = performance.now();
  let done = 0;
  let subscription: { close(): Promise<void> } | undefined;
  await new Promise<void>((resolve, reject) => {
    subscription = receiver.subscribe(
      {
        processMessage: async (message) => {
          await receiver.completeMessage(message);
          done += 1;
          if (done === count) resolve();
        },
        processError: (args) => {
          reject(args.error);
          return Promise.resolve();
        },
      },
      { maxConcurrentCalls: 32, autoCompleteMessages: false },
    );
  });
  const seconds = (performance.now() - start) / 1000;
  await subscription?.close();
  await receiver.close();
  return count / seconds;
}

export async function runServiceBusBench(
  options: ServiceBusBenchOptions,
): Promise<ServiceBusBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-bench-'));
  const key = randomBytes(32).toString('base64');
  const configPath = join(dir, 'namespace.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      namespace: 'council-42',
      profile: 'standard',
      authorizationRules: [
        { keyName: 'RootManageSharedAccessKey', key, rights: ['Manage', 'Listen', 'Send'] },
      ],
      queues: [{ name: 'throughput' }, { name: 'held' }],
    }),
  );
  build();
  try {
    // Throughput on one simulator; memory on a fresh one, so that the heap the throughput
    // runs grew is not counted as the cost of holding messages.
    const speed = await withSimulator(configPath, async (ready, client) => {
      const plain = ready.listeners.plain;
      if (plain === undefined) throw new Error('the simulator has no plain listener');
      const firstConnectionMs = await firstConnection(plain.port);
      const sendPerSecond = await sendAll(client, 'throughput', options.messages);
      const receivePerSecond = await receiveAll(client, 'throughput', options.messages);
      return { readyMs: ready.readyMs, firstConnectionMs, sendPerSecond, receivePerSecond };
    });
    const memory = await withSimulator(configPath, async (_ready, client, pid) => {
      const rssBaseMiB = rssMiB(pid);
      await sendAll(client, 'held', options.held);
      return { rssBaseMiB, rssHeldMiB: rssMiB(pid) };
    });
    return { ...speed, ...memory, heldMessages: options.held };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `work` against a fresh simulator child with an SDK client, then stops both. */
async function withSimulator<T>(
  configPath: string,
  work: (ready: Ready, client: ServiceBusClient, pid: number) => Promise<T>,
): Promise<T> {
  const { child, ready } = await startSimulator(configPath);
  try {
    const plain = ready.listeners.plain;
    if (plain === undefined) throw new Error('the simulator has no plain listener');
    const client = new ServiceBusClient(plain.connectionString);
    try {
      return await work(ready, client, ready.pid);
    } finally {
      await client.close();
    }
  } finally {
    child.kill('SIGTERM');
  }
}

export function renderServiceBusBench(r: ServiceBusBenchResult): string {
  const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  const startup = r.readyMs + r.firstConnectionMs;
  return (
    [
      'simulated Service Bus namespace, real @azure/service-bus SDK, 1 KB messages, one process per side',
      '',
      `start-up to first accepted connection  ${startup.toFixed(0).padStart(7)} ms      (ready ${r.readyMs} ms + first connection ${r.firstConnectionMs.toFixed(1)} ms)   target <= 300 ms   ${verdict(startup <= 300)}`,
      `batched send                           ${r.sendPerSecond.toFixed(0).padStart(7)} msg/s   target >= 10000   ${verdict(r.sendPerSecond >= 10_000)}`,
      `peekLock receive + complete (32)       ${r.receivePerSecond.toFixed(0).padStart(7)} msg/s   target >= 3000    ${verdict(r.receivePerSecond >= 3000)}`,
      `simulator RSS holding ${r.heldMessages} messages  ${r.rssHeldMiB.toFixed(0).padStart(7)} MiB     (${r.rssBaseMiB.toFixed(0)} MiB before)   target <= 200 MiB   ${verdict(r.rssHeldMiB <= 200)}`,
      '',
      `Azure Service Bus Standard: ${AZURE_STANDARD_CREDITS_PER_SECOND} credits/s per namespace (1 per message):`,
      `  the simulator sends ${(r.sendPerSecond / AZURE_STANDARD_CREDITS_PER_SECOND).toFixed(1)}× and receives ${(r.receivePerSecond / AZURE_STANDARD_CREDITS_PER_SECOND).toFixed(1)}× that rate,`,
      `  so it ${Math.min(r.sendPerSecond, r.receivePerSecond) >= AZURE_STANDARD_CREDITS_PER_SECOND ? 'is not' : 'could be'} the bottleneck where a Standard namespace would not be.`,
    ].join('\n') + '\n'
  );
}

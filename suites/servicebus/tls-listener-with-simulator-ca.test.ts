// SB-021: the TLS listener. In: the unmodified SDK in a child process whose only trust in the
// simulator comes from NODE_EXTRA_CA_CERTS = the CA file the simulator wrote at start-up, and
// a connection string without UseDevelopmentEmulator (AMQPS on the listener's port). Out: it
// sends, receives and completes over TLS ≥ 1.2; without the CA the same client fails.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { kase } from '../lib/case';
import { nextEvent, startSim } from './lib/sim';

interface ChildResult {
  readonly ok: boolean;
  readonly body?: unknown;
  readonly code?: string;
  readonly message?: string;
}

function runChild(env: NodeJS.ProcessEnv): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(__dirname, 'lib', 'sdk-child.js')],
      { env, cwd: join(__dirname, '..', '..'), timeout: 30_000 },
      (error, stdout) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(line) as ChildResult);
        } catch {
          reject(error ?? new Error(`the child printed no result: ${stdout}`));
        }
      },
    );
  });
}

void kase('SB-021', async (t) => {
  const { sim } = await startSim(t, { listeners: { plain: false, tls: {}, websocket: false } });
  const tls = sim.listeners.tls;
  if (tls === undefined || sim.caPath === undefined) throw new Error('no TLS listener');
  t.notMatch(
    tls.connectionString,
    /UseDevelopmentEmulator/,
    'a plain Azure-style connection string',
  );
  const ca = new X509Certificate(readFileSync(sim.caPath));
  t.ok(ca.ca, 'the CA file holds a CA certificate');

  const base = {
    PATH: process.env.PATH,
    SB_CONNECTION_STRING: tls.connectionString,
    SB_QUEUE: 'q1',
  };
  const opened = nextEvent<{ state: string; listener: string; tls?: string }>(
    'sim:sb:connection',
    (e) => e.state === 'accepted' && e.listener === 'tls',
  );
  const trusted = await runChild({ ...base, NODE_EXTRA_CA_CERTS: sim.caPath });
  t.same(
    trusted,
    { ok: true, body: { via: 'tls' }, messageId: 'tls-1' },
    'send, receive and complete over TLS',
  );
  t.match((await opened).tls, /^TLSv1\.[23]$/, 'negotiated TLS 1.2 or 1.3');

  const untrusted = await runChild(base);
  t.equal(untrusted.ok, false, 'without the CA the SDK does not connect');
});

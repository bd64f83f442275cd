// PORT-009: plain AMQP (5672) is a development-only port. In: the example relay configs with
// 5672 added to egress.ports, checked by `relaycheck relay --check` (no network traffic) with
// secrets generated at run time. Out: the production profile is refused with RELAY_E_CONFIG
// naming egress.ports and exit code 2; the development profile with the same ports is accepted.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kase } from '../lib/case';

const BIN = join(__dirname, '..', '..', 'bin', 'relaycheck.js');
const DEV = join(__dirname, '..', '..', 'fixtures', 'relay', 'development.json');

function check(
  file: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'relay', '--config', file, '--check'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => {
      resolve({ code, out, err });
    });
  });
}

void kase('PORT-009', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'relaycheck-port-009-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const base = JSON.parse(readFileSync(DEV, 'utf8')) as Record<string, unknown> & {
    egress: { ports: number[] };
  };
  const env: Record<string, string> = {};
  const text = JSON.stringify(base);
  for (const m of text.matchAll(/"env:([A-Za-z_][A-Za-z0-9_]*)"/g)) {
    const name = m[1];
    if (name !== undefined) env[name] = randomBytes(32).toString('base64');
  }
  const ports = [...new Set([...base.egress.ports, 5672])];
  const write = (name: string, profile: string): string => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify({ ...base, profile, egress: { ...base.egress, ports } }));
    return file;
  };

  const prod = await check(write('production.json', 'production'), env);
  t.equal(prod.code, 2, 'the production config is refused (exit 2)');
  t.match(prod.err, /RELAY_E_CONFIG/, 'with the config error code');
  t.match(prod.err, /egress\.ports/, 'naming egress.ports');
  t.match(prod.err, /development/, 'and saying 5672 needs the development profile');
  for (const secret of Object.values(env)) t.notOk(prod.err.includes(secret), 'no secret echoed');

  const dev = await check(write('development.json', 'development'), env);
  t.equal(dev.code, 0, `the development profile may allow 5672: ${dev.err}`);
  t.match(dev.out, /5672/, 'and the summary lists it');
});

// `relaycheck tenant work|call|sessions`: drive the simulated council's digital services by
// hand. In: a world folder (`relaycheck sim --out DIR`, whose relay-config.json names the
// tenant control API in control.tenant), a route or path, a body (--data or --file) and
// options. Out: the status line and the answer (text) on stdout, or the answer in --out;
// exit 0 for a 2xx answer, 1 for any other answer or a refusal by the cloud side (no relay
// session, dead-lettered, timed out), 2 for a refused command line or an unusable world.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { request } from 'undici';
import { isLoopbackHost } from '../../../simulator/src/control/json-http';
import type { ExitBox, Io } from '../main';
import { integer } from '../parse';

/** The largest body sent: 48 MiB of bytes is 64 MiB of base64, the control API's bound. */
export const MAX_SEND_BYTES = 48 * 1024 * 1024;
/** The largest control answer read (64 MiB of body as base64, plus the JSON around it). */
const MAX_ANSWER_BYTES = 96 * 1024 * 1024;
/** How long a call may take before the command gives up (the driver's own bound is 5 min). */
const CALL_WAIT_MS = 10 * 60_000;
/** Added to a work timeout: the control API answers 504 itself once that passes. */
const WORK_GRACE_MS = 30_000;
const DEFAULT_WORK_TIMEOUT_MS = 30_000;

/** A command line or world the command cannot use: one line on stderr, exit 2. */
class UsageError extends Error {}

interface CommonOpts {
  world: string;
  json?: boolean;
}

interface BodyOpts {
  data?: string;
  file?: string;
  contentType?: string;
}

interface WorkOpts extends CommonOpts, BodyOpts {
  route: string;
  path?: string;
  property: [string, string][];
  messageId?: string;
  timeoutMs?: number;
  out?: string;
}

interface CallOpts extends CommonOpts, BodyOpts {
  method?: string;
  header: [string, string][];
  out?: string;
}

function property(raw: string, previous: [string, string][] = []): [string, string][] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected name=value');
  return [...previous, [raw.slice(0, eq), raw.slice(eq + 1)]];
}

function header(raw: string, previous: [string, string][] = []): [string, string][] {
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError("expected 'name: value'");
  return [...previous, [raw.slice(0, colon).trim(), raw.slice(colon + 1).trim()]];
}

const TYPES: Readonly<Record<string, string>> = {
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

/** The media type to send: given, else from the file extension or the data's first byte. */
export function guessContentType(opts: BodyOpts): string | undefined {
  if (opts.contentType !== undefined) return opts.contentType;
  if (opts.file !== undefined) {
    return TYPES[extname(opts.file).toLowerCase()] ?? 'application/octet-stream';
  }
  if (opts.data !== undefined) {
    const first = opts.data.trimStart()[0];
    if (first === '<') return 'application/xml';
    if (first === '{' || first === '[') return 'application/json';
    return 'text/plain; charset=utf-8';
  }
  return undefined;
}

async function bodyOf(opts: BodyOpts): Promise<Buffer | undefined> {
  if (opts.data !== undefined && opts.file !== undefined) {
    throw new UsageError('give --data or --file, not both');
  }
  if (opts.data !== undefined) return Buffer.from(opts.data, 'utf8');
  if (opts.file === undefined) return undefined;
  let size: number;
  try {
    size = (await stat(opts.file)).size;
  } catch (e) {
    throw new UsageError(
      `cannot read ${opts.file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (size > MAX_SEND_BYTES) {
    throw new UsageError(
      `${opts.file} is ${String(size)} bytes; at most ${String(MAX_SEND_BYTES)} are sent`,
    );
  }
  try {
    return await readFile(opts.file);
  } catch (e) {
    throw new UsageError(
      `cannot read ${opts.file} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** The tenant control URL from <dir>/relay-config.json, refused unless it is loopback. */
export async function tenantControlUrl(dir: string): Promise<string> {
  const file = join(resolve(dir), 'relay-config.json');
  const hint = `is \`relaycheck sim --out ${dir}\` running?`;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): ${hint}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON: ${hint}`);
  }
  const control =
    typeof json === 'object' && json !== null ? (json as { control?: unknown }).control : undefined;
  const url =
    typeof control === 'object' && control !== null
      ? (control as { tenant?: unknown }).tenant
      : undefined;
  if (typeof url !== 'string') {
    throw new UsageError(
      `${file} names no tenant control API (control.tenant): ${hint} (the world needs its tenant, Service Bus and Azure Relay parts)`,
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${file}: control.tenant is not a URL`);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (parsed.protocol !== 'http:' || !isLoopbackHost(host)) {
    throw new UsageError(`${file}: control.tenant ${url} is not an http URL on loopback; refused`);
  }
  return url.replace(/\/+$/, '');
}

interface ControlAnswer {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

/** One JSON exchange with the control API, bounded in size and time. */
async function control(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body: unknown,
  waitMs: number,
): Promise<ControlAnswer> {
  let res;
  try {
    res = await request(`${base}${path}`, {
      method,
      headersTimeout: waitMs,
      bodyTimeout: waitMs,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new UsageError(
      `the tenant control API at ${base} does not answer (${typeof code === 'string' ? code : 'error'}): is \`relaycheck sim\` still running?`,
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      res.body.destroy();
      throw new UsageError(
        `the tenant control API answered more than ${String(MAX_ANSWER_BYTES)} bytes`,
      );
    }
    chunks.push(chunk);
  }
  try {
    const json = JSON.parse(Buffer.concat(chunks, size).toString('utf8')) as unknown;
    if (typeof json !== 'object' || json === null) throw new Error('not an object');
    return { status: res.statusCode, json: json as Record<string, unknown> };
  } catch {
    throw new UsageError(
      `the tenant control API at ${base} answered ${String(res.statusCode)} without JSON`,
    );
  }
}

/** A refusal by the control API: SIM_E_CTL_* is the caller's (2), the rest the cloud's (1). */
function refusal(io: Io, exit: ExitBox, answer: ControlAnswer, dir: string): boolean {
  if (answer.status === 200) return false;
  const code = typeof answer.json.code === 'string' ? answer.json.code : 'unknown';
  const message = typeof answer.json.message === 'string' ? answer.json.message : '';
  let hint = '';
  if (code === 'SIM_E_TENANT_NO_SESSION') {
    hint = ` (is \`relaycheck relay --config ${join(dir, 'relay.json')}\` running? see \`relaycheck tenant sessions\`)`;
  } else if (code === 'SIM_E_TENANT_TIMEOUT') {
    hint =
      ' (is the relay running? A message id sent again within the duplicate detection window of the requests queue is dropped by Service Bus, as in Azure: use a new --message-id)';
  }
  io.err(`relaycheck: ${code}: ${message}${hint}\n`);
  exit.code = code.startsWith('SIM_E_CTL_') ? 2 : 1;
  return true;
}

function statusLine(status: number): string {
  return `${String(status)} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}

/** Writes bytes to `path` through a temporary name beside it, so it is whole or absent. */
async function writeWhole(path: string, bytes: Buffer): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.part`);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw new UsageError(`cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Prints the answer body: text as it is, bytes as a note, or a note of where they went. */
function printBody(io: Io, json: Record<string, unknown>, contentType: string | undefined): void {
  if (typeof json.bodyText === 'string') {
    io.out(
      json.bodyText.endsWith('\n') || json.bodyText === '' ? json.bodyText : `${json.bodyText}\n`,
    );
    return;
  }
  const size = typeof json.size === 'number' ? json.size : 0;
  if (size > 0) {
    io.out(
      `(${String(size)} bytes of ${contentType ?? 'unknown type'}: not text; use --out FILE to save them)\n`,
    );
  }
}

/** Runs an action: a UsageError is one line on stderr and exit code 2. */
function guarded<A extends unknown[]>(
  io: Io,
  exit: ExitBox,
  action: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      io.err(`relaycheck: ${e.message}\n`);
      exit.code = 2;
    }
  };
}

export function registerTenant(program: Command, io: Io, exit: ExitBox): void {
  const tenant = program
    .command('tenant')
    .description(
      "drive the simulated council's digital services by hand (needs `relaycheck sim --out DIR` and a relay)",
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ relaycheck tenant sessions --world reports/sim/w1\n' +
        '  $ relaycheck tenant work --world reports/sim/w1 --route council-tax --path /accounts/6049739331\n' +
        '  $ relaycheck tenant call --world reports/sim/w1 /council-tax/accounts/6049739331\n',
    );

  tenant
    .command('work')
    .description('send one sealed request over Service Bus and print the sealed reply')
    .requiredOption('--world <dir>', 'the folder `relaycheck sim --out` writes')
    .requiredOption('--route <route>', 'the relay route (e.g. council-tax, ctb-intake)')
    .option('--data <text>', 'the request body as text (an empty body makes the relay GET)')
    .option('--file <file>', 'the request body from a file (at most 48 MiB)')
    .option(
      '--content-type <type>',
      'media type of the body (default: from the file extension or the data)',
    )
    .option('--path <path>', 'the back-office path: short for --property path=<path>')
    .option(
      '--property <name=value>',
      'an application property (repeatable; text values)',
      property,
      [],
    )
    .option('--message-id <id>', 'the message id (also the Idempotency-Key the back office sees)')
    .option(
      '--timeout-ms <n>',
      'how long to wait for the reply (default 30000)',
      integer(10, 3_600_000),
    )
    .option('--out <file>', 'write the reply body to this file instead of printing it')
    .option('--json', "print the control API's answer as one JSON line (body in base64)")
    .addHelpText(
      'after',
      '\nExit code 0 for a 2xx reply, 1 for another status or a refusal (no relay session,\n' +
        'dead-lettered, timed out), 2 for a refused command line.\n' +
        '\nExamples:\n' +
        '  $ relaycheck tenant work --world reports/sim/w1 --route council-tax --path /accounts/6049739331\n' +
        '  $ relaycheck tenant work --world reports/sim/w1 --route ctb-intake --file change.xml --message-id change-1\n' +
        '  $ relaycheck tenant work --world reports/sim/w1 --route documents \\\n' +
        '      --path /documents/council-tax/6049739331/bill.pdf --out bill.pdf\n',
    )
    .action(
      guarded(io, exit, async (opts: WorkOpts) => {
        const base = await tenantControlUrl(opts.world);
        const body = await bodyOf(opts);
        const properties: Record<string, string> = Object.fromEntries(opts.property);
        if (opts.path !== undefined) properties.path = opts.path;
        const contentType = guessContentType(opts);
        const timeoutMs = opts.timeoutMs ?? DEFAULT_WORK_TIMEOUT_MS;
        const answer = await control(
          base,
          'POST',
          '/work',
          {
            route: opts.route,
            ...(body === undefined ? {} : { bodyBase64: body.toString('base64') }),
            ...(contentType === undefined ? {} : { contentType }),
            ...(Object.keys(properties).length === 0 ? {} : { properties }),
            ...(opts.messageId === undefined ? {} : { messageId: opts.messageId }),
            ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
          },
          timeoutMs + WORK_GRACE_MS,
        );
        if (refusal(io, exit, answer, opts.world)) return;
        const j = answer.json;
        const status = typeof j.status === 'number' ? j.status : 0;
        exit.code = status >= 200 && status < 300 ? 0 : 1;
        if (opts.json === true) {
          io.out(JSON.stringify(j) + '\n');
          return;
        }
        const type = typeof j.contentType === 'string' ? j.contentType : undefined;
        io.out(
          `${statusLine(status)}  (route ${String(j.route)}, message ${String(j.messageId)}${type === undefined ? '' : `, ${type}`})\n`,
        );
        if (opts.out !== undefined) {
          const bytes = Buffer.from(typeof j.bodyBase64 === 'string' ? j.bodyBase64 : '', 'base64');
          await writeWhole(resolve(opts.out), bytes);
          const sha = createHash('sha256').update(bytes).digest('hex');
          io.out(`saved ${String(bytes.length)} bytes to ${opts.out} (sha256 ${sha})\n`);
          return;
        }
        printBody(io, j, type);
      }),
    );

  tenant
    .command('call')
    .description('send one sealed HTTP request through Hybrid Connections and print the answer')
    .argument('<path>', 'the path after the namespace: /<hybrid connection>/<back-office path>')
    .requiredOption('--world <dir>', 'the folder `relaycheck sim --out` writes')
    .option('--method <method>', 'the HTTP method (default: GET, or POST with a body)')
    .option('--data <text>', 'the request body as text')
    .option('--file <file>', 'the request body from a file (at most 48 MiB)')
    .option(
      '--content-type <type>',
      'media type of the body (default: from the file extension or the data)',
    )
    .option('--header <name: value>', 'a request header (repeatable)', header, [])
    .option('--out <file>', 'write the answer body to this file instead of printing it')
    .option('--json', "print the control API's answer as one JSON line (body in base64)")
    .addHelpText(
      'after',
      '\nExit code 0 for a 2xx answer, 1 for another status or a refusal, 2 for a refused\n' +
        'command line. With --out the simulator writes the body next to the file, then it is\n' +
        'renamed into place (the simulator must run on this machine).\n' +
        '\nExamples:\n' +
        '  $ relaycheck tenant call --world reports/sim/w1 /benefits/claims/52636040\n' +
        '  $ relaycheck tenant call --world reports/sim/w1 --out bill.pdf \\\n' +
        '      /documents/documents/council-tax/6049739331/bill.pdf\n',
    )
    .action(
      guarded(io, exit, async (path: string, opts: CallOpts) => {
        if (!path.startsWith('/')) throw new UsageError(`the path must start with "/": ${path}`);
        const base = await tenantControlUrl(opts.world);
        const body = await bodyOf(opts);
        const headers: Record<string, string> = Object.fromEntries(opts.header);
        const contentType = guessContentType(opts);
        if (contentType !== undefined) headers['content-type'] = contentType;
        const out = opts.out === undefined ? undefined : resolve(opts.out);
        const temp =
          out === undefined
            ? undefined
            : join(dirname(out), `.${basename(out)}.${randomBytes(6).toString('hex')}.part`);
        const answer = await control(
          base,
          'POST',
          '/call',
          {
            path,
            method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
            ...(Object.keys(headers).length === 0 ? {} : { headers }),
            ...(body === undefined ? {} : { bodyBase64: body.toString('base64') }),
            ...(temp === undefined ? {} : { saveTo: temp }),
          },
          CALL_WAIT_MS,
        );
        if (refusal(io, exit, answer, opts.world)) return;
        const j = answer.json;
        const status = typeof j.status === 'number' ? j.status : 0;
        exit.code = status >= 200 && status < 300 ? 0 : 1;
        if (out !== undefined && temp !== undefined) {
          try {
            await rename(temp, out);
          } catch (e) {
            await rm(temp, { force: true });
            throw new UsageError(
              `cannot write ${out} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
            );
          }
        }
        if (opts.json === true) {
          io.out(JSON.stringify(j) + '\n');
          return;
        }
        const h = (typeof j.headers === 'object' && j.headers !== null ? j.headers : {}) as Record<
          string,
          unknown
        >;
        const type = typeof h['content-type'] === 'string' ? h['content-type'] : undefined;
        io.out(
          `${statusLine(status)}  (${j.sealed === true ? 'sealed' : 'plain'}, route ${String(j.route)}${type === undefined ? '' : `, ${type}`})\n`,
        );
        if (out !== undefined) {
          io.out(
            `saved ${String(j.size)} bytes to ${String(opts.out)} (sha256 ${String(j.sha256)})\n`,
          );
          return;
        }
        printBody(io, j, type);
      }),
    );

  tenant
    .command('sessions')
    .description('list the live relay sessions of the tenant (exit 1 when there is none)')
    .requiredOption('--world <dir>', 'the folder `relaycheck sim --out` writes')
    .option('--json', "print the control API's answer as one JSON line")
    .addHelpText('after', '\nExample:\n  $ relaycheck tenant sessions --world reports/sim/w1\n')
    .action(
      guarded(io, exit, async (opts: CommonOpts) => {
        const base = await tenantControlUrl(opts.world);
        const answer = await control(base, 'GET', '/sessions', undefined, 30_000);
        if (refusal(io, exit, answer, opts.world)) return;
        const sessions = Array.isArray(answer.json.sessions)
          ? (answer.json.sessions as Record<string, unknown>[])
          : [];
        exit.code = sessions.length > 0 ? 0 : 1;
        if (opts.json === true) {
          io.out(JSON.stringify(answer.json) + '\n');
          return;
        }
        const tenantId = String(answer.json.tenant);
        if (sessions.length === 0) {
          io.out(
            `tenant ${tenantId}: no live relay session (run \`relaycheck relay --config ${join(opts.world, 'relay.json')}\`)\n`,
          );
          return;
        }
        io.out(`tenant ${tenantId}: ${String(sessions.length)} live relay session(s)\n`);
        for (const s of sessions) {
          io.out(
            `  ${String(s.instanceId)}  key ${String(s.kid)}  session ${String(s.sid)}…  expires ${String(s.expiresAt)}\n`,
          );
        }
      }),
    );
}

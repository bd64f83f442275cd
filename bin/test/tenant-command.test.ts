// `relaycheck tenant work|call|sessions`, in process, against a fake tenant control API on
// 127.0.0.1:0 named by a relay-config.json in a test folder. In: argv. Out: what the fake
// received (route, body, guessed media type, properties, saveTo), what is printed, the file
// --out writes, and the exit codes: 0 for 2xx, 1 for another status or a refusal by the
// cloud side, 2 for a refused command line or an unusable world folder.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { main } from '../src/main';
import { capture } from './lib/capture';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly json: Record<string, unknown>;
}

type Script = (r: Received) => { status: number; json: unknown };

/** A fake control API: records each request and answers what `script` says. */
async function fakeControl(t: tap.Test, script: Script) {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const r: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      };
      received.push(r);
      const { status, json } = script(r);
      const body = JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${String(port)}`, received };
}

/** A world folder whose relay-config.json names `tenantUrl` (or none). */
function world(t: tap.Test, tenantUrl: string | undefined): string {
  const dir = t.testdir();
  const control: Record<string, string> = { backOffice: 'http://127.0.0.1:1' };
  if (tenantUrl !== undefined) control.tenant = tenantUrl;
  writeFileSync(join(dir, 'relay-config.json'), JSON.stringify({ version: 1, control }));
  return dir;
}

async function cli(...args: string[]) {
  const io = capture();
  const code = await main(['node', 'relaycheck', 'tenant', ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const RECEIPT = '<Receipt><Reference>CTB-2025-000001</Reference></Receipt>';

void t.test(
  'work sends the route, body, guessed media type and properties and prints the reply',
  async (t) => {
    const fake = await fakeControl(t, (r) => ({
      status: 200,
      json: {
        messageId: r.json.messageId,
        route: r.json.route,
        status: 201,
        contentType: 'application/xml; charset=utf-8',
        kid: 'k1',
        size: RECEIPT.length,
        bodyBase64: Buffer.from(RECEIPT).toString('base64'),
        bodyText: RECEIPT,
      },
    }));
    const dir = world(t, fake.url);
    const xml = '<ChangeOfCircumstances><Change>moved</Change></ChangeOfCircumstances>';
    const r = await cli(
      'work',
      '--world',
      dir,
      '--route',
      'ctb-intake',
      '--data',
      xml,
      '--property',
      'source=web=form',
      '--message-id',
      'change-1',
      '--timeout-ms',
      '5000',
    );
    t.equal(r.code, 0, 'a 2xx reply exits 0');
    t.equal(r.stderr, '');
    t.same(fake.received, [
      {
        method: 'POST',
        path: '/work',
        json: {
          route: 'ctb-intake',
          bodyBase64: Buffer.from(xml).toString('base64'),
          contentType: 'application/xml',
          properties: { source: 'web=form' },
          messageId: 'change-1',
          timeoutMs: 5000,
        },
      },
    ]);
    t.equal(
      r.stdout,
      `201 Created  (route ctb-intake, message change-1, application/xml; charset=utf-8)\n${RECEIPT}\n`,
    );
  },
);

void t.test('work with --path and no body asks for a GET; a 404 reply exits 1', async (t) => {
  const fake = await fakeControl(t, () => ({
    status: 200,
    json: {
      messageId: 'm',
      route: 'council-tax',
      status: 404,
      contentType: 'application/xml',
      kid: 'k1',
      size: 8,
      bodyBase64: Buffer.from('<Error/>').toString('base64'),
      bodyText: '<Error/>',
    },
  }));
  const r = await cli(
    'work',
    '--world',
    world(t, fake.url),
    '--route',
    'council-tax',
    '--path',
    '/accounts/6000000014',
  );
  t.equal(r.code, 1, 'a 404 reply exits 1');
  t.same(fake.received[0]?.json, {
    route: 'council-tax',
    properties: { path: '/accounts/6000000014' },
  });
  t.match(r.stdout, /^404 Not Found {2}\(route council-tax/);
  t.match(r.stdout, /<Error\/>\n$/);
});

void t.test(
  'work --out writes the reply body; bytes are never dumped on the terminal',
  async (t) => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5000, 7)]);
    const fake = await fakeControl(t, () => ({
      status: 200,
      json: {
        messageId: 'm',
        route: 'documents',
        status: 200,
        contentType: 'application/pdf',
        kid: 'k1',
        size: pdf.length,
        bodyBase64: pdf.toString('base64'),
      },
    }));
    const dir = world(t, fake.url);
    const plain = await cli('work', '--world', dir, '--route', 'documents', '--path', '/d.pdf');
    t.equal(plain.code, 0);
    t.match(plain.stdout, /\(5009 bytes of application\/pdf: not text; use --out FILE/);
    t.notMatch(plain.stdout, /%PDF/);

    const out = join(dir, 'bill.pdf');
    const saved = await cli('work', '--world', dir, '--route', 'documents', '--out', out);
    t.equal(saved.code, 0);
    t.ok(readFileSync(out).equals(pdf), 'the file holds the reply body');
    t.match(saved.stdout, `sha256 ${createHash('sha256').update(pdf).digest('hex')}`);
  },
);

void t.test(
  "refusals by the cloud side exit 1 with the code; the control API's own refusals exit 2",
  async (t) => {
    let answer: { status: number; json: unknown } = { status: 200, json: {} };
    const fake = await fakeControl(t, () => answer);
    const dir = world(t, fake.url);
    answer = {
      status: 422,
      json: {
        code: 'SIM_E_TENANT_DEAD_LETTERED',
        message: 'the relay dead-lettered m: RELAY_E_WORK_ROUTE: not served',
        details: { reason: 'RELAY_E_WORK_ROUTE' },
      },
    };
    const dead = await cli('work', '--world', dir, '--route', 'nowhere');
    t.equal(dead.code, 1);
    t.equal(
      dead.stderr,
      'relaycheck: SIM_E_TENANT_DEAD_LETTERED: the relay dead-lettered m: RELAY_E_WORK_ROUTE: not served\n',
    );
    t.equal(dead.stdout, '');

    answer = { status: 503, json: { code: 'SIM_E_TENANT_NO_SESSION', message: 'no session' } };
    const none = await cli('call', '--world', dir, '/council-tax/accounts/6000000014');
    t.equal(none.code, 1);
    t.match(
      none.stderr,
      /SIM_E_TENANT_NO_SESSION: no session \(is `relaycheck relay --config .*relay\.json` running/,
    );

    answer = { status: 504, json: { code: 'SIM_E_TENANT_TIMEOUT', message: 'no reply to m-1' } };
    const late = await cli('work', '--world', dir, '--route', 'x', '--message-id', 'm-1');
    t.equal(late.code, 1);
    t.match(late.stderr, /SIM_E_TENANT_TIMEOUT: no reply to m-1 \(.*duplicate detection window/);

    answer = { status: 400, json: { code: 'SIM_E_CTL_REQUEST', message: '"route": bad' } };
    const bad = await cli('work', '--world', dir, '--route', 'x');
    t.equal(bad.code, 2);
    t.match(bad.stderr, /^relaycheck: SIM_E_CTL_REQUEST/);
  },
);

void t.test('call sends the path, method and file body and prints the answer', async (t) => {
  const fake = await fakeControl(t, () => ({
    status: 200,
    json: {
      status: 201,
      headers: { 'content-type': 'application/xml' },
      sealed: true,
      messageId: 'm',
      route: 'ctb-intake',
      size: RECEIPT.length,
      bodyBase64: Buffer.from(RECEIPT).toString('base64'),
      bodyText: RECEIPT,
    },
  }));
  const dir = world(t, fake.url);
  const file = join(dir, 'change.xml');
  writeFileSync(file, '<ChangeOfCircumstances/>');
  const r = await cli(
    'call',
    '--world',
    dir,
    '--file',
    file,
    '--header',
    'accept: application/xml',
    '/ctb-intake/changes',
  );
  t.equal(r.code, 0);
  t.same(fake.received[0]?.json, {
    path: '/ctb-intake/changes',
    method: 'POST',
    headers: { accept: 'application/xml', 'content-type': 'application/xml' },
    bodyBase64: Buffer.from('<ChangeOfCircumstances/>').toString('base64'),
  });
  t.equal(r.stdout, `201 Created  (sealed, route ctb-intake, application/xml)\n${RECEIPT}\n`);
});

void t.test(
  'call --out has the simulator write a new file beside it, then renames it into place',
  async (t) => {
    const pdf = Buffer.from('%PDF-1.7 a bill');
    const sha = createHash('sha256').update(pdf).digest('hex');
    const fake = await fakeControl(t, (r) => {
      // What the real control API does with saveTo: a new file at that absolute path.
      writeFileSync(String(r.json.saveTo), pdf, { flag: 'wx' });
      return {
        status: 200,
        json: {
          status: 200,
          headers: { 'content-type': 'application/pdf' },
          sealed: true,
          messageId: 'm',
          route: 'documents',
          savedTo: r.json.saveTo,
          size: pdf.length,
          sha256: sha,
        },
      };
    });
    const dir = world(t, fake.url);
    const out = join(dir, 'bill.pdf');
    writeFileSync(out, 'an older bill');
    const r = await cli('call', '--world', dir, '--out', out, '/documents/documents/x/bill.pdf');
    t.equal(r.code, 0);
    t.equal(fake.received[0]?.json.method, 'GET', 'no body: GET');
    t.match(String(fake.received[0]?.json.saveTo), /^\/.*\.bill\.pdf\.[0-9a-f]{12}\.part$/);
    t.ok(readFileSync(out).equals(pdf), 'the answer replaced the older file');
    t.same(
      readdirSync(dir).filter((n) => n.endsWith('.part')),
      [],
      'no temporary file is left',
    );
    t.match(r.stdout, `saved ${String(pdf.length)} bytes to ${out} (sha256 ${sha})`);
  },
);

void t.test('sessions lists the live sessions and exits 1 when there is none', async (t) => {
  let sessions: unknown[] = [];
  const fake = await fakeControl(t, () => ({
    status: 200,
    json: { tenant: 'council-42', sessions },
  }));
  const dir = world(t, fake.url);
  const none = await cli('sessions', '--world', dir);
  t.equal(none.code, 1);
  t.match(
    none.stdout,
    /^tenant council-42: no live relay session \(run `relaycheck relay --config/,
  );
  sessions = [
    {
      instanceId: 'relay-a',
      kid: 'k1',
      sid: '1a2b3c4d',
      ttl: 3600,
      createdAt: '2025-10-15T09:00:00.000Z',
      expiresAt: '2025-10-15T10:00:00.000Z',
      caps: [],
    },
  ];
  const one = await cli('sessions', '--world', dir);
  t.equal(one.code, 0);
  t.equal(
    one.stdout,
    'tenant council-42: 1 live relay session(s)\n  relay-a  key k1  session 1a2b3c4d…  expires 2025-10-15T10:00:00.000Z\n',
  );
  const json = await cli('sessions', '--world', dir, '--json');
  t.same(JSON.parse(json.stdout), { tenant: 'council-42', sessions });
  t.equal(fake.received.length, 3);
  t.ok(fake.received.every((r) => r.method === 'GET' && r.path === '/sessions'));
});

void t.test('an unusable world folder or command line exits 2 with one line', async (t) => {
  const fake = await fakeControl(t, () => ({ status: 200, json: {} }));
  const empty = t.testdir();
  const missing = await cli('sessions', '--world', empty);
  t.equal(missing.code, 2);
  t.match(
    missing.stderr,
    /^relaycheck: cannot read .*relay-config\.json \(ENOENT\): is `relaycheck sim --out .*` running\?\n$/,
  );

  const noTenant = await cli('sessions', '--world', world(t, undefined));
  t.equal(noTenant.code, 2);
  t.match(noTenant.stderr, /names no tenant control API \(control\.tenant\)/);

  const remote = await cli('sessions', '--world', world(t, 'http://51.140.146.50:8080'));
  t.equal(remote.code, 2);
  t.match(remote.stderr, /not an http URL on loopback; refused/);

  const dir = world(t, fake.url);
  const both = await cli('work', '--world', dir, '--route', 'r', '--data', 'x', '--file', 'y');
  t.equal(both.code, 2);
  t.match(both.stderr, /give --data or --file, not both/);
  const noFile = await cli('work', '--world', dir, '--route', 'r', '--file', join(empty, 'nope'));
  t.equal(noFile.code, 2);
  t.match(noFile.stderr, /cannot read .*nope \(ENOENT\)/);
  const relative = await cli('call', '--world', dir, 'council-tax/accounts/1');
  t.equal(relative.code, 2);
  t.match(relative.stderr, /must start with "\/"/);
  const noWorld = await cli('work', '--route', 'r');
  t.equal(noWorld.code, 2);
  t.match(noWorld.stderr, /--world/);
  const badProperty = await cli('work', '--world', dir, '--route', 'r', '--property', 'novalue');
  t.equal(badProperty.code, 2);
  t.match(badProperty.stderr, /name=value/);
  t.equal(fake.received.length, 0, 'nothing was sent for any of them');
  t.notOk(existsSync(join(empty, 'nope')));
});

void t.test('a control API that does not answer exits 2 and says so', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  const r = await cli('sessions', '--world', world(t, `http://127.0.0.1:${String(port)}`));
  t.equal(r.code, 2);
  t.match(r.stderr, /does not answer \(ECONNREFUSED\): is `relaycheck sim` still running\?/);
});

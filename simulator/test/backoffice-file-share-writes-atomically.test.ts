// The file shares. In: uploads by PUT and POST for the 130+ default form types, names that
// try to leave their folder, an upload the client aborts, the same name twice, bodies over
// the limit, and a file a relay drops straight into a folder. Out: each form type writes to
// its own folder; a file appears whole or not at all (no temporary file is left behind);
// its record (path, size, SHA-256, time) matches what is on disk; every unsafe name is a
// typed 400 and nothing is written anywhere.
import { createHash } from 'node:crypto';
import diagnostics from 'node:diagnostics_channel';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, relative, sep } from 'node:path';
import t from 'tap';
import {
  BO_CHANNELS,
  DEFAULT_FORM_TYPES,
  ManualTime,
  fileNameProblem,
  rawRequest,
  startBackOffice,
  type BackOffice,
} from '../src/backoffice';

async function start(t: tap.Test, extra: Record<string, unknown> = {}): Promise<BackOffice> {
  const time = new ManualTime();
  const bo = await startBackOffice(
    {
      seed: 'files',
      control: { enabled: false },
      ...extra,
      files: { runDir: t.testdir(), ...((extra.files as object | undefined) ?? {}) },
    },
    { clock: time, timers: time },
  );
  t.teardown(() => bo.close());
  return bo;
}

function sha(b: Buffer | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Every file under `dir`, relative, "/"-separated (hidden ones too). */
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(relative(dir, p).split(sep).join('/'));
  }
  return out.map((f) => f);
}

function codeOf(body: Buffer): string | undefined {
  return /<Code>([A-Z_]+)<\/Code>/.exec(body.toString('utf8'))?.[1];
}

void t.test(
  'a PUT writes the file whole, with a record and journal entry that match the disk',
  async (t) => {
    const bo = await start(t);
    const events: unknown[] = [];
    const listener = (m: unknown): void => {
      events.push(m);
    };
    diagnostics.subscribe(BO_CHANNELS.fileWritten, listener);
    t.teardown(() => diagnostics.unsubscribe(BO_CHANNELS.fileWritten, listener));
    const body = Buffer.from('%PDF-1.7 evidence for a missed bin');
    const r = await rawRequest(
      `${bo.url('file-shares')}/files/missed-bin-collection/Case%2012345%20photo.pdf`,
      {
        method: 'PUT',
        headers: { 'idempotency-key': 'upload-1' },
        body,
      },
    );
    t.equal(r.status, 201);
    t.equal(r.headers.location, '/files/missed-bin-collection/Case%2012345%20photo.pdf');
    const folder = bo.files.folderOf('missed-bin-collection') ?? '';
    const path = join(folder, 'Case 12345 photo.pdf');
    t.same(readFileSync(path), body, 'the bytes on disk are the bytes sent');
    t.same(readdirSync(folder), ['Case 12345 photo.pdf'], 'no temporary file is left');
    const [record] = bo.files.written();
    t.match(record, {
      formType: 'missed-bin-collection',
      folder: 'waste/missed-bin-collection',
      name: 'Case 12345 photo.pdf',
      path,
      size: body.length,
      sha256: sha(body),
      result: 'created',
      writtenAt: new ManualTime().now(),
      idempotencyKey: 'upload-1',
    });
    const file = bo.journal.find({ kind: 'file' });
    t.match(file, {
      service: 'file-shares',
      outcome: 'written',
      idempotencyKey: 'upload-1',
      file: { sha256: sha(body) },
    });
    t.equal(bo.journal.find({ kind: 'request', method: 'PUT' })?.status, 201);
    t.match(events, [{ formType: 'missed-bin-collection', size: body.length, sha256: sha(body) }]);
    t.notMatch(JSON.stringify(events), /evidence for/, 'events carry no file content');
  },
);

void t.test('POST takes the name from X-File-Name or ?name=', async (t) => {
  const bo = await start(t);
  const a = await rawRequest(`${bo.url('file-shares')}/files/blue-badge-application`, {
    method: 'POST',
    headers: { 'x-file-name': encodeURIComponent('Proof of address (£).pdf') },
    body: 'a',
  });
  t.equal(a.status, 201);
  const b = await rawRequest(
    `${bo.url('file-shares')}/files/blue-badge-application?name=photo.jpg`,
    { method: 'POST', body: 'b' },
  );
  t.equal(b.status, 201);
  const c = await rawRequest(`${bo.url('file-shares')}/files/blue-badge-application`, {
    method: 'POST',
    body: 'c',
  });
  t.equal(c.status, 400);
  t.equal(codeOf(c.body), 'SIM_E_BO_FILE_NAME');
  t.same(readdirSync(bo.files.folderOf('blue-badge-application') ?? '').sort(), [
    'Proof of address (£).pdf',
    'photo.jpg',
  ]);
});

void t.test(
  'every name that could leave its folder is a typed 400 and nothing is written',
  async (t) => {
    const bo = await start(t);
    const base = `${bo.url('file-shares')}/files/noise-complaint`;
    const attacks = [
      '..',
      '.',
      '..%2F..%2Fetc%2Fpasswd',
      '%2e%2e%2f%2e%2e%2fescape.txt',
      '..%5C..%5Cwindows.txt',
      '%2Fetc%2Fpasswd',
      'a/../../b.txt',
      '../x.txt',
      'sub/dir.txt',
      'nul%00.txt',
      'CON',
      'lpt1.pdf',
      '.hidden',
      'name.',
      'trailing%20',
      'c%3A%5Cboot.ini',
      'x%3Astream',
      'ok%0A.txt',
      'a'.repeat(256),
    ];
    for (const name of attacks) {
      const r = await rawRequest(`${base}/${name}`, { method: 'PUT', body: 'x' });
      t.equal(r.status, 400, name.slice(0, 40));
      t.equal(codeOf(r.body), 'SIM_E_BO_FILE_NAME', name.slice(0, 40));
    }
    const formTypeAttack = await rawRequest(`${bo.url('file-shares')}/files/..%2F..%2Ftmp/x.txt`, {
      method: 'PUT',
      body: 'x',
    });
    t.equal(formTypeAttack.status, 400, 'a form type that is a path');
    t.same(walk(bo.runDir), [], 'no file anywhere under the run directory');
    t.same(bo.files.written(), []);
    t.equal(fileNameProblem('report 2025-10.pdf'), undefined, 'an ordinary name is fine');
  },
);

void t.test('an upload the client aborts leaves no file and no temporary file', async (t) => {
  const bo = await start(t);
  const folder = bo.files.folderOf('fly-tipping-report') ?? '';
  const arrived = new Promise<void>((resolve) => {
    const listener = (m: unknown): void => {
      if ((m as { service?: string }).service === 'file-shares') {
        diagnostics.unsubscribe(BO_CHANNELS.request, listener);
        resolve();
      }
    };
    diagnostics.subscribe(BO_CHANNELS.request, listener);
  });
  const req = request(`${bo.url('file-shares')}/files/fly-tipping-report/evidence.jpg`, {
    method: 'PUT',
    headers: { 'content-length': '100000' },
    agent: false,
  });
  req.on('error', () => undefined);
  req.write(Buffer.alloc(50_000, 1));
  await arrived;
  const ended = bo.journal.waitFor({ service: 'file-shares', method: 'PUT' });
  req.destroy();
  const entry = await ended;
  t.equal(entry.outcome, 'client-closed', 'the client went away');
  t.equal(entry.error, 'SIM_E_BO_INCOMPLETE', 'the upload is recorded as incomplete');
  t.same(readdirSync(folder), [], 'neither the file nor a temporary file is in the folder');
  t.same(bo.files.written(), []);
});

void t.test(
  'the same name again: same bytes 200 unchanged, other bytes 409, or replaced when configured',
  async (t) => {
    const bo = await start(t);
    const url = `${bo.url('file-shares')}/files/pothole-report/photo.jpg`;
    t.equal((await rawRequest(url, { method: 'PUT', body: 'one' })).status, 201);
    const same = await rawRequest(url, { method: 'PUT', body: 'one' });
    t.equal(same.status, 200);
    t.match(same.body.toString(), /<Result>unchanged<\/Result>/);
    const other = await rawRequest(url, { method: 'PUT', body: 'two' });
    t.equal(other.status, 409);
    t.equal(codeOf(other.body), 'SIM_E_BO_FILE_EXISTS');
    t.equal(
      readFileSync(join(bo.files.folderOf('pothole-report') ?? '', 'photo.jpg'), 'utf8'),
      'one',
    );
    t.same(readdirSync(bo.files.folderOf('pothole-report') ?? ''), ['photo.jpg']);

    const replacing = await start(t, { files: { onExisting: 'replace' } });
    const url2 = `${replacing.url('file-shares')}/files/pothole-report/photo.jpg`;
    await rawRequest(url2, { method: 'PUT', body: 'one' });
    const r = await rawRequest(url2, { method: 'PUT', body: 'two' });
    t.equal(r.status, 201);
    t.match(r.body.toString(), /<Result>replaced<\/Result>/);
    t.equal(
      readFileSync(join(replacing.files.folderOf('pothole-report') ?? '', 'photo.jpg'), 'utf8'),
      'two',
    );
  },
);

void t.test('a file over the limit is a 413 and leaves nothing behind', async (t) => {
  const bo = await start(t, { files: { maxFileBytes: 1000 } });
  const url = `${bo.url('file-shares')}/files/planning-comment`;
  const a = await rawRequest(`${url}/big.pdf`, { method: 'PUT', body: Buffer.alloc(1001) });
  t.equal(a.status, 413);
  const b = await rawRequest(`${url}/big.pdf`, {
    method: 'PUT',
    body: Array.from({ length: 5 }, () => Buffer.alloc(300)),
  });
  t.equal(b.status, 413, 'streamed chunked');
  t.equal(codeOf(b.body), 'SIM_E_BO_TOO_LARGE');
  t.same(readdirSync(bo.files.folderOf('planning-comment') ?? ''), []);
  t.equal(
    (await rawRequest(`${url}/small.pdf`, { method: 'PUT', body: Buffer.alloc(1000) })).status,
    201,
    'exactly the limit is accepted',
  );
});

void t.test('130+ form types each write into a folder of their own', async (t) => {
  const bo = await start(t);
  const types = bo.files.formTypes();
  t.ok(types.length >= 120, `${String(types.length)} form types`);
  t.equal(types.length, DEFAULT_FORM_TYPES.length);
  t.equal(
    new Set(types.map((f) => f.folder.toLowerCase())).size,
    types.length,
    'no two share a folder',
  );
  for (const f of types) {
    const r = await rawRequest(`${bo.url('file-shares')}/files/${f.formType}/submission.pdf`, {
      method: 'PUT',
      body: f.formType,
    });
    if (r.status !== 201) t.fail(`${f.formType}: ${String(r.status)}`);
  }
  const scanned = await bo.files.scan();
  t.equal(scanned.length, types.length, 'one file per folder');
  for (const s of scanned) {
    if (
      readFileSync(s.path, 'utf8') !== s.formType ||
      s.name !== 'submission.pdf' ||
      s.sha256 !== sha(s.formType)
    ) {
      t.fail(`${s.formType}: the file in its folder is not its own`);
    }
  }
  t.same(
    scanned.map((s) => s.formType).sort(),
    types.map((f) => f.formType).sort(),
    'every form type found in its own folder',
  );
  const unknown = await rawRequest(`${bo.url('file-shares')}/files/no-such-form/x.pdf`, {
    method: 'PUT',
    body: 'x',
  });
  t.equal(unknown.status, 404);
  t.equal(codeOf(unknown.body), 'SIM_E_BO_FORM_TYPE');
});

void t.test(
  'a configured map moves a form type and scan() sees files a relay wrote directly',
  async (t) => {
    const bo = await start(t, {
      files: {
        formTypes: {
          'missed-bin-collection': 'Waste/Bins/Missed',
          'tell-us-once': 'Registrars/TellUsOnce',
        },
      },
    });
    t.equal(
      bo.files.folderOf('missed-bin-collection'),
      join(bo.runDir, 'shares', 'Waste', 'Bins', 'Missed'),
    );
    t.ok(bo.files.folderOf('tell-us-once') !== undefined, 'a new form type is added');
    writeFileSync(
      join(bo.files.folderOf('tell-us-once') ?? '', 'direct.pdf'),
      'dropped by a relay',
    );
    const scanned = await bo.files.scan();
    t.match(scanned, [
      { formType: 'tell-us-once', name: 'direct.pdf', size: 18, sha256: sha('dropped by a relay') },
    ]);
    const r = await rawRequest(`${bo.url('file-shares')}/files/tell-us-once/direct.pdf`);
    t.equal(r.status, 200, 'a file in a share can be read back');
    t.equal(r.body.toString(), 'dropped by a relay');
  },
);

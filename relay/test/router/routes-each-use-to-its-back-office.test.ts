// The route table at work, with a recording back-office client in place of HTTP. In: work for
// retrieve, post-xml and file-drop routes, good and hostile. Out: what reached the client (or
// the folder), typed refusals that never reach it, and the settlement each error gets.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { pdfAround } from '../helpers/pdf-bytes';
import type { RouteConfig } from '../../src/config';
import {
  RelayBackOfficeError,
  type BackOfficeCall,
  type BackOfficeClient,
} from '../../src/work/backoffice';
import { RelayFileDropError } from '../../src/work/filedrop';
import {
  createRouter,
  FILE_DROP_IO_HOLD_MS,
  workSettlement,
  workSettlementWith,
  type Work,
} from '../../src/work/router';

function recordingClient(): { client: BackOfficeClient; calls: BackOfficeCall[] } {
  const calls: BackOfficeCall[] = [];
  const client = {
    config: {} as BackOfficeClient['config'],
    call: (c: BackOfficeCall) => {
      calls.push(c);
      return Promise.resolve({
        status: c.method === 'POST' ? 201 : 200,
        headers: { 'content-type': 'application/xml' },
        body: Readable.from([Buffer.from('<Ok/>')]),
        attempts: 1,
        outcome: 'success' as const,
      });
    },
    breakerState: () => undefined,
    load: () => ({ running: 0, waiting: 0 }),
    saturated: () => false,
  } as unknown as BackOfficeClient;
  return { client, calls };
}

async function shares(t: tap.Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rc-router-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function routes(dir: string): RouteConfig[] {
  return [
    { name: 'council-tax', use: 'retrieve', service: 'council-tax' },
    {
      name: 'ctb-intake',
      use: 'post-xml',
      service: 'ctb-intake',
      path: '/changes',
      xml: { roots: ['ChangeOfCircumstances', 'CouncilTaxReductionClaim'], maxBytes: 4096 },
    },
    {
      name: 'form-evidence',
      use: 'file-drop',
      folders: { 'housing-benefit-claim': join(dir, 'benefits', 'hb') },
      maxFileBytes: 1024 * 1024,
    },
  ];
}

const work = (w: Partial<Work> & Pick<Work, 'route' | 'method'>): Work => ({
  via: 'servicebus',
  path: '/',
  key: 'msg-1',
  ...w,
});

async function refusal(p: Promise<unknown>): Promise<{ code: string; http: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const x = e as { code?: string; http?: number };
    return { code: x.code ?? 'untyped', http: x.http };
  }
  return { code: 'none', http: undefined };
}

const pdf = (text: string): Buffer => pdfAround(Buffer.from(text, 'latin1'));

void t.test(
  'a retrieve route GETs the path from its service with the message id as key',
  async (t) => {
    const { client, calls } = recordingClient();
    const router = createRouter(routes(await shares(t)), { client });
    const answer = await router.perform(
      work({ route: 'council-tax', method: 'GET', path: '/accounts/CT1', key: 'k-1' }),
    );
    t.equal(answer.status, 200);
    t.equal(answer.service, 'council-tax');
    t.match(calls, [
      { service: 'council-tax', route: 'council-tax', method: 'GET', path: '/accounts/CT1' },
    ]);
    t.equal(calls[0]?.idempotencyKey, 'k-1');
    t.equal(calls[0]?.body, undefined, 'no body on a retrieval');
    t.same(
      await refusal(router.perform(work({ route: 'council-tax', method: 'POST' }))),
      { code: 'RELAY_E_ROUTE_PATH', http: 400 },
      'a retrieve route takes no POST',
    );
    t.same(
      await refusal(
        router.perform(work({ route: 'council-tax', method: 'GET', body: Buffer.from('x') })),
      ),
      { code: 'RELAY_E_ROUTE_PATH', http: 400 },
      'nor a body',
    );
    t.equal(calls.length, 1, 'refused work never reached the client');
  },
);

void t.test(
  'an unknown route is refused with a reason and never reaches a back office',
  async (t) => {
    const { client, calls } = recordingClient();
    const router = createRouter(routes(await shares(t)), { client });
    const r = await refusal(router.perform(work({ route: 'planning', method: 'GET' })));
    t.same(r, { code: 'RELAY_E_ROUTE_UNKNOWN', http: 404 });
    t.equal(router.use('planning'), undefined);
    t.equal(router.use('ctb-intake'), 'post-xml');
    t.equal(calls.length, 0);
  },
);

void t.test('a post-xml route posts checked XML to its path and refuses the rest', async (t) => {
  const { client, calls } = recordingClient();
  const router = createRouter(routes(await shares(t)), { client });
  const good = Buffer.from('<ChangeOfCircumstances><Ref>CT1</Ref></ChangeOfCircumstances>');
  const answer = await router.perform(
    work({ route: 'ctb-intake', method: 'POST', body: good, path: '/elsewhere' }),
  );
  t.equal(answer.status, 201);
  t.match(calls, [{ service: 'ctb-intake', method: 'POST', path: '/changes' }], 'its own path');
  t.same(calls[0]?.body, good, 'the bytes as sent');
  t.match(calls[0]?.headers, { 'content-type': /^application\/xml/ });

  const hostile: [string, string][] = [
    ['<LicenceApplication/>', 'wrong root'],
    ['<!DOCTYPE x [<!ENTITY a "b">]><ChangeOfCircumstances/>', 'DOCTYPE'],
    ['<ChangeOfCircumstances>', 'not well-formed'],
    [`<ChangeOfCircumstances>${'x'.repeat(5000)}</ChangeOfCircumstances>`, 'over maxBytes'],
  ];
  for (const [body, why] of hostile) {
    t.same(
      await refusal(
        router.perform(work({ route: 'ctb-intake', method: 'POST', body: Buffer.from(body) })),
      ),
      { code: 'RELAY_E_CONTENT_XML', http: 422 },
      why,
    );
  }
  t.same(
    await refusal(router.perform(work({ route: 'ctb-intake', method: 'GET' }))),
    { code: 'RELAY_E_ROUTE_PATH', http: 400 },
    'a post-xml route takes POST only',
  );
  t.equal(calls.length, 1, 'no refused body reached the back office');
});

void t.test('a streamed XML body is refused before it is read whole', async (t) => {
  const { client, calls } = recordingClient();
  const router = createRouter(routes(await shares(t)), { client });
  let pulled = 0;
  const chunks = 1000;
  const body = Readable.from(
    (function* () {
      yield Buffer.from('<!DOCTYPE lolz [<!ENTITY lol "lol">]>');
      for (let i = 0; i < chunks; i++) {
        pulled++;
        yield Buffer.from('<a>&lol;</a>');
      }
    })(),
  );
  const r = await refusal(
    router.perform(work({ via: 'hybrid', route: 'ctb-intake', method: 'POST', body })),
  );
  t.same(r, { code: 'RELAY_E_CONTENT_XML', http: 422 });
  t.ok(pulled < chunks, `stopped after ${String(pulled)} of ${String(chunks)} chunks`);
  t.equal(calls.length, 0);

  const good = Readable.from([
    Buffer.from('<CouncilTaxReductionClaim>'),
    Buffer.from('</CouncilTaxReductionClaim>'),
  ]);
  await router.perform(work({ via: 'hybrid', route: 'ctb-intake', method: 'POST', body: good }));
  t.same(calls[0]?.body, Buffer.from('<CouncilTaxReductionClaim></CouncilTaxReductionClaim>'));
});

void t.test('a file-drop route writes the PDF once under a relay-made name', async (t) => {
  const dir = await shares(t);
  const { client, calls } = recordingClient();
  const router = createRouter(routes(dir), { client });
  const body = pdf('claim evidence');
  const first = await router.perform(
    work({
      route: 'form-evidence',
      method: 'POST',
      formType: 'housing-benefit-claim',
      body,
      key: 'm-7',
    }),
  );
  t.equal(first.status, 201);
  const receipt = JSON.parse(
    await new Response(Readable.toWeb(first.body) as ReadableStream).text(),
  ) as {
    name: string;
    replayed: boolean;
    size: number;
  };
  t.match(receipt, {
    name: /^housing-benefit-claim-[0-9a-f]{32}\.pdf$/,
    replayed: false,
    size: body.length,
  });
  const folder = join(dir, 'benefits', 'hb');
  t.same(await readdir(folder), [receipt.name], 'one file, no temporary left');
  t.same(await readFile(join(folder, receipt.name)), body);

  const again = await router.perform(
    work({
      route: 'form-evidence',
      method: 'POST',
      formType: 'housing-benefit-claim',
      body,
      key: 'm-7',
    }),
  );
  t.equal(again.status, 200, 'the same message again is a replay');
  t.same(await readdir(folder), [receipt.name]);

  const hc = await router.perform(
    work({
      via: 'hybrid',
      route: 'form-evidence',
      method: 'PUT',
      path: '/housing-benefit-claim',
      body: Readable.from([pdf('streamed')]),
      key: 'm-8',
    }),
  );
  t.equal(hc.status, 201, 'over HC the form type is the path');
  t.equal((await readdir(folder)).length, 2);

  t.same(
    await refusal(
      router.perform(
        work({
          route: 'form-evidence',
          method: 'POST',
          formType: 'planning-appeal',
          body,
          key: 'm-9',
        }),
      ),
    ),
    { code: 'RELAY_E_FILEDROP_FORM_TYPE', http: 404 },
    'an unknown form type',
  );
  t.same(
    await refusal(
      router.perform(
        work({
          route: 'form-evidence',
          method: 'POST',
          formType: 'housing-benefit-claim',
          body: Buffer.from('not a pdf'),
          key: 'm-10',
        }),
      ),
    ),
    { code: 'RELAY_E_CONTENT_PDF', http: 422 },
    'a body that is not a PDF',
  );
  t.equal((await readdir(folder)).length, 2, 'refusals leave nothing behind');
  t.equal(calls.length, 0, 'file drops call no back-office service');
});

void t.test('permanent refusals are dead-lettered, everything else abandoned', (t) => {
  const dead = [
    'RELAY_E_CONTENT_XML',
    'RELAY_E_CONTENT_PDF',
    'RELAY_E_ROUTE_UNKNOWN',
    'RELAY_E_ROUTE_PATH',
    'RELAY_E_ROUTE_ANSWER',
    'RELAY_E_BACKOFFICE_REFUSED',
    'RELAY_E_FILEDROP_FORM_TYPE',
    'RELAY_E_FILEDROP_CONFLICT',
  ];
  for (const code of dead) {
    const e = Object.assign(
      new RelayBackOfficeError('RELAY_E_BACKOFFICE_REFUSED', `because ${code}`),
      {
        code,
      },
    );
    t.match(
      workSettlement(e),
      { action: 'dead-letter', reason: code, description: `because ${code}` },
      code,
    );
  }
  for (const code of [
    'RELAY_E_BACKOFFICE_TRANSIENT',
    'RELAY_E_BACKOFFICE_OPEN',
    'RELAY_E_BACKOFFICE_BUSY',
    'RELAY_E_BACKOFFICE_ABORTED',
  ] as const) {
    t.same(workSettlement(new RelayBackOfficeError(code, 'x')), { action: 'abandon', code }, code);
  }
  t.same(
    workSettlement(new RelayBackOfficeError('RELAY_E_BACKOFFICE_OPEN', 'x', { retryInMs: 2500 })),
    { action: 'abandon', code: 'RELAY_E_BACKOFFICE_OPEN', holdMs: 2500 },
    'work refused by an open breaker is held until a probe may go out',
  );
  t.same(
    workSettlement(new RelayBackOfficeError('RELAY_E_BACKOFFICE_OPEN', 'x', { retryInMs: 0 })),
    { action: 'abandon', code: 'RELAY_E_BACKOFFICE_OPEN', holdMs: 1000 },
    'and at least one second',
  );
  t.same(workSettlement(new Error('boom')), { action: 'abandon', code: 'unknown' });
  t.end();
});

void t.test(
  'a file that could not be written is held, and dead-lettered on its last delivery',
  (t) => {
    const full = new RelayFileDropError(
      'RELAY_E_FILEDROP_IO',
      'the file drop for housing could not write the file (ENOSPC)',
      { errno: 'ENOSPC', step: 'write the file', formType: 'housing' },
    );
    const lastDelivery = {
      reason: 'RELAY_E_FILEDROP_IO',
      description: 'the file drop for housing could not write the file (ENOSPC)',
    };
    t.same(
      workSettlement(full),
      {
        action: 'abandon',
        code: 'RELAY_E_FILEDROP_IO',
        holdMs: FILE_DROP_IO_HOLD_MS,
        lastDelivery,
      },
      'held (the default), abandoned, and on the last delivery dead-lettered with the system error',
    );
    t.same(
      workSettlementWith({ fileDropHoldMs: 250 })(full),
      { action: 'abandon', code: 'RELAY_E_FILEDROP_IO', holdMs: 250, lastDelivery },
      'the hold is configurable (limits.fileDropRetryHoldMs)',
    );
    t.same(
      workSettlementWith({ fileDropHoldMs: 0 })(full),
      { action: 'abandon', code: 'RELAY_E_FILEDROP_IO', lastDelivery },
      'a hold of 0: abandoned at once',
    );
    t.end();
  },
);

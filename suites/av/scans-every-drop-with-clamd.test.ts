// The AV cases: every dropped file is scanned by a real ClamAV before it is published, through
// one relay run (the reference relay as a child process, the simulated cloud, the back office's
// shares) and a private offline clamd whose signature database is generated at run time for the
// EICAR test file (hash and body signatures; suites/lib/clamd.ts). The relay reaches clamd
// through a unix-socket forwarder this test can cut, to make clamd unavailable and back. In: valid
// PDFs with EICAR in a content stream (plain and Flate), a PDF with EICAR in an embedded ZIP (to
// the route whose policy flags embedded files, so that clamd decides), clean PDFs, over Service
// Bus and the Hybrid Connection. Out: AV-001..006: infected files are dead-lettered (422 over the
// Hybrid Connection) with RELAY_E_AV_INFECTED naming the signature and nothing is written; clean
// ones are written with scan 'clean'; with clamd unavailable a fail-closed relay writes nothing
// and retries until clamd is back, then writes the file once; a fail-open relay (a second relay,
// same world) writes it flagged 'unscanned'. Skipped, saying why, where clamd is not installed.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fileDropName } from '../../relay/src/work/filedrop';
import { kase } from '../lib/case';
import { AV_CASES_SCANNER_MODE, clamdSkipReason, startClamd, type ClamdHandle } from '../lib/clamd';
import { cleanPdf, eicarPdf, pdfWithEmbeddedZip } from '../lib/hostile/eicar';
import { isEvent, type RelayChild } from '../lib/relay-child';
import type { Json } from '../lib/relay-world';
import { deadLetterOf, farEnd, sha256, startRouteWorld } from '../route/lib/route-world';

const IDS = ['AV-001', 'AV-002', 'AV-003', 'AV-004', 'AV-005', 'AV-006'] as const;
const MAIN = 'form-evidence';
const FLAGGED = 'evidence-flagged';

/** A unix socket that forwards to clamd's, which the test can take down and bring back. */
class Forwarder {
  readonly path: string;
  readonly #target: string;
  #server: Server | undefined;
  readonly #open = new Set<Socket>();

  constructor(path: string, target: string) {
    this.path = path;
    this.#target = target;
  }

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = createConnection(this.#target);
      for (const s of [client, upstream]) {
        this.#open.add(s);
        s.on('close', () => this.#open.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        resolve();
      });
    });
    this.#server = server;
  }

  /** Stops listening (the socket file goes: ENOENT) and cuts every connection. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#open) s.destroy();
    if (server !== undefined) {
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    }
  }
}

const skip = clamdSkipReason();
if (skip !== undefined) {
  for (const id of IDS) void kase(id, () => undefined, { skip });
} else {
  void (async () => {
    const clamd: ClamdHandle = await startClamd();
    t.teardown(() => clamd.stop());
    const dir = mkdtempSync(join(tmpdir(), 'rc-av-case-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const forwarder = new Forwarder(join(dir, 'clamd.sock'), clamd.socket);
    await forwarder.up();
    t.teardown(() => forwarder.down());

    const antivirus = (onUnavailable: string) => (config: Json) => {
      const routes = config.routes as Json[];
      const main = routes.find((r) => r.name === MAIN);
      if (main === undefined) throw new Error(`relay.json has no ${MAIN} route`);
      routes.push({ ...main, name: FLAGGED, pdf: { embeddedFiles: 'flag' } });
      config.antivirus = { clamd: { socket: forwarder.path }, onUnavailable, timeoutMs: 10_000 };
    };
    const world = await startRouteWorld(t, antivirus(AV_CASES_SCANNER_MODE));
    const { rw, tenant, backOffice } = world;
    let relay: RelayChild = world.relay;
    const formType = backOffice.files.formTypes()[0]?.formType;
    if (formType === undefined) throw new Error('the back office has no form types');
    const ours = [clamd.signatures.body, clamd.signatures.file];

    const sendSb = (route: string, body: Buffer, messageId = `av-${randomUUID()}`) =>
      tenant.sendWork(route, body, {
        messageId,
        contentType: 'application/pdf',
        properties: { formType },
      });

    /** Sends an infected PDF over Service Bus and checks the dead letter and the relay's report. */
    const infected = async (tt: tap.Test, what: string, route: string, body: Buffer) => {
      const before = await farEnd(backOffice);
      const messageId = `av-${randomUUID()}`;
      const dead = await deadLetterOf(sendSb(route, body, messageId));
      tt.equal(dead.reason, 'RELAY_E_AV_INFECTED', `${what}: dead-lettered RELAY_E_AV_INFECTED`);
      tt.ok(
        ours.some((s) => dead.description.includes(s)),
        `${what}: the description names the signature (${dead.description})`,
      );
      const scan = await relay.waitFor(
        isEvent('relay:av', { verdict: 'infected' }),
        `the relay's scan of ${what}`,
      );
      tt.ok(
        ours.includes(String(scan.data.virus)),
        `${what}: relay:av names ${String(scan.data.virus)}`,
      );
      await relay.waitFor(
        isEvent('relay:work', { messageId, outcome: 'dead-lettered', code: 'RELAY_E_AV_INFECTED' }),
        `the relay dead-lettering ${what}`,
      );
      tt.same(await farEnd(backOffice), before, `${what}: nothing written, no temporary name`);
    };

    await kase('AV-001', async (t) => {
      await infected(t, 'EICAR in a page content stream', MAIN, eicarPdf({ flate: false }));
    });

    await kase('AV-002', async (t) => {
      await infected(t, 'EICAR in a Flate content stream', MAIN, eicarPdf({ flate: true }));
      await infected(t, 'EICAR in a ZIP embedded in a PDF', FLAGGED, pdfWithEmbeddedZip());
    });

    await kase('AV-003', async (t) => {
      const body = cleanPdf();
      const reply = await sendSb(MAIN, body);
      const receipt = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
      t.equal(reply.status, 201, 'a clean PDF is written');
      t.equal(receipt.scan, 'clean', 'the receipt says it was scanned clean');
      const file = (await backOffice.files.scan()).find((f) => f.name === receipt.name);
      t.equal(file?.sha256, sha256(body), 'the file is the body');
      await relay.waitFor(isEvent('relay:av', { verdict: 'clean' }), 'the relay scanning it clean');
      await relay.waitFor(
        isEvent('relay:filedrop', { outcome: 'written', scan: 'clean' }),
        'the drop reported scanned clean',
      );
    });

    await kase('AV-004', async (t) => {
      const before = await farEnd(backOffice);
      const reply = await tenant.call(`/documents/${formType}`, {
        method: 'POST',
        route: MAIN,
        body: eicarPdf({ flate: true }),
        headers: { 'content-type': 'application/pdf' },
      });
      const refusal = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
      t.equal(reply.status, 422, 'over the Hybrid Connection an infected file is answered 422');
      t.equal(refusal.code, 'RELAY_E_AV_INFECTED', 'with RELAY_E_AV_INFECTED');
      t.ok(
        ours.some((s) => String(refusal.message).includes(s)),
        'and a message naming the signature',
      );
      t.same(await farEnd(backOffice), before, 'nothing written');
    });

    await kase('AV-005', async (t) => {
      await forwarder.down();
      const before = await farEnd(backOffice);
      const body = cleanPdf();
      const messageId = `av-held-${randomUUID()}`;
      const pending = sendSb(MAIN, body, messageId);
      await relay.waitFor(
        isEvent('relay:work', { messageId, outcome: 'abandoned', code: 'RELAY_E_AV_UNAVAILABLE' }),
        'the relay holding the message while clamd is unavailable (fail-closed)',
      );
      // Only what is published: the redelivery already under way may hold a temporary name.
      const held = await farEnd(backOffice);
      t.same(
        { journal: held.journal, intake: held.intake, files: held.files },
        { journal: before.journal, intake: before.intake, files: before.files },
        'nothing was published unscanned',
      );
      // Over the Hybrid Connection the caller is told to come back.
      const hc = await tenant.call(`/documents/${formType}`, {
        method: 'POST',
        route: MAIN,
        body: cleanPdf(),
        headers: { 'content-type': 'application/pdf' },
      });
      t.equal(hc.status, 503, 'over the Hybrid Connection: 503');
      t.match(hc.body.toString('utf8'), 'RELAY_E_AV_UNAVAILABLE', 'RELAY_E_AV_UNAVAILABLE');
      await forwarder.up();
      const reply = await pending;
      const receipt = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
      t.equal(reply.status, 201, 'once clamd is back the held message is written');
      t.equal(receipt.scan, 'clean', 'scanned');
      const files = await backOffice.files.scan();
      t.equal(files.length, before.files.length + 1, 'one file more, nothing else');
      t.same(
        (await farEnd(backOffice)).dotFiles,
        [],
        'no temporary name left by the held deliveries',
      );
      t.same(
        files.filter((f) => f.name === fileDropName(formType, messageId)).map((f) => f.sha256),
        [sha256(body)],
        'exactly once, under the name of its message',
      );
    });

    await kase('AV-006', async (t) => {
      // A second relay, fail-open, in place of the first.
      await relay.stop();
      relay = rw.startRelay(rw.writeRelayConfig('relay-fail-open.json', antivirus('fail-open')));
      await rw.live(relay);
      await forwarder.down();
      const body = cleanPdf();
      const reply = await sendSb(MAIN, body);
      const receipt = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
      t.equal(reply.status, 201, 'fail-open: written although clamd is unavailable');
      t.equal(receipt.scan, 'unscanned', 'the receipt says it was not scanned');
      t.same(receipt.findings, ['unscanned'], 'and flags it');
      await relay.waitFor(
        isEvent('relay:filedrop', { outcome: 'written', scan: 'unscanned' }),
        'the relay reporting an unscanned drop',
      );
      await forwarder.up();
    });
  })();
}

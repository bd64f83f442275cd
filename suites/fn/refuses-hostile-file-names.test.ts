// The FN cases: hostile file names declared in the metadata of dropped files, through one relay
// run (the reference relay as a child process, the simulated cloud, the back office's shares).
// In: small valid PDFs sent sealed on the requests queue to the form-evidence route with a
// `fileName` property taken from HOSTILE_NAMES (a sample of each attack's spellings: the unit
// tests of relay/test/filedrop check every one), and over the documents Hybrid Connection with a
// Content-Disposition header. Out: FN-001..009: each hostile name is dead-lettered with
// RELAY_E_CONTENT_NAME and its rule (or answered 422 over the Hybrid Connection), nothing is
// written anywhere (no file, no temporary name, nothing outside the shares), the relay's own
// report of the refusal shows the name only in its clipped, escaped form; ordinary names are
// accepted, logged and never become the file's name; two drops declaring the same name (and one
// declaring the name of a file already in the folder) never overwrite anything.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { pdfAround } from '../../relay/test/helpers/pdf-bytes';
import { kase } from '../lib/case';
import { HOSTILE_NAMES, type HostileName } from '../lib/hostile/names';
import { isEvent, type RelayChild } from '../lib/relay-child';
import {
  deadLetterOf,
  farEnd,
  sha256,
  startRouteWorld,
  type RouteWorld,
} from '../route/lib/route-world';

/** Spellings of each attack sent through the relay (the unit tests send all of them). */
const PER_RULE = 6;
const ROUTE = 'form-evidence';

/** Up to PER_RULE string spellings of `rule`, spread over the table (first, last, between). */
function sample(rule: string): HostileName[] {
  const rows = HOSTILE_NAMES.filter(
    (h) => h.rule === rule && typeof h.raw === 'string' && h.policy === undefined,
  );
  if (rows.length <= PER_RULE) return rows;
  const step = (rows.length - 1) / (PER_RULE - 1);
  return Array.from({ length: PER_RULE }, (_, i) => rows[Math.round(i * step)]).filter(
    (r): r is HostileName => r !== undefined,
  );
}

function evidence(tag: string): Buffer {
  return pdfAround(randomBytes(256), `evidence ${tag}`);
}

/** Everything in the share folders, dot names included: equal listings mean nothing was written. */
async function shareListing(world: RouteWorld): Promise<string[]> {
  const out: string[] = [];
  for (const f of world.backOffice.files.formTypes()) {
    const names = await readdir(f.path).catch(() => [] as string[]);
    for (const n of names) out.push(`${f.folder}/${n}`);
  }
  return out.sort();
}

void (async () => {
  const world = await startRouteWorld(t);
  const { tenant, backOffice } = world;
  const relay: RelayChild | undefined = world.relay;
  const formType = backOffice.files.formTypes()[0]?.formType;
  if (formType === undefined) throw new Error('the back office has no form types');

  /** Sends each hostile name over Service Bus (at once) and checks its refusal. */
  const refusedOverServiceBus = async (tt: tap.Test, rules: readonly string[]): Promise<void> => {
    const before = await farEnd(backOffice);
    const listed = await shareListing(world);
    const rows = rules.flatMap((r) => sample(r));
    const mark = relay?.events.length ?? 0;
    tt.ok(rows.length >= rules.length, `${rows.length} spellings of ${rules.join(', ')}`);
    const results = await Promise.all(
      rows.map(async (row) => {
        const messageId = `fn-${randomUUID()}`;
        const dead = await deadLetterOf(
          tenant.sendWork(ROUTE, evidence(messageId), {
            messageId,
            contentType: 'application/pdf',
            properties: { formType, fileName: row.raw as string },
          }),
        );
        return { row, messageId, dead };
      }),
    );
    for (const { row, messageId, dead } of results) {
      const ok =
        dead.code === 'SIM_E_TENANT_DEAD_LETTERED' &&
        dead.messageId === messageId &&
        dead.reason === 'RELAY_E_CONTENT_NAME' &&
        dead.description.startsWith(`file name refused (${row.rule}): `);
      tt.ok(
        ok,
        `${row.name}: dead-lettered, RELAY_E_CONTENT_NAME (${row.rule})`,
        ok ? {} : { dead },
      );
    }
    if (relay !== undefined) {
      for (const { messageId } of results) {
        await relay.waitFor(
          isEvent('relay:work', {
            messageId,
            outcome: 'dead-lettered',
            code: 'RELAY_E_CONTENT_NAME',
          }),
          `the relay reporting ${messageId} dead-lettered`,
        );
      }
      const reported = relay.events
        .slice(mark)
        .filter((e) => e.channel === 'relay:filedrop' && e.data.code === 'RELAY_E_CONTENT_NAME')
        .map((e) => String(e.data.rule))
        .sort();
      tt.same(
        reported,
        rows.map((r) => r.rule).sort(),
        'the relay reports each refusal with its rule',
      );
    }
    if (relay !== undefined) {
      // The relay's own words never carry the raw name: only the clipped, escaped form.
      const raws = rows.map((r) => r.raw as string).filter((r) => r.length > 8);
      const said = JSON.stringify(relay.events.filter((e) => e.channel === 'relay:filedrop'));
      tt.notOk(
        raws.some((r) => /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u.test(r) && said.includes(r)),
        'no control or bidi character of a declared name reaches the relay events unescaped',
      );
    }
    tt.same(await farEnd(backOffice), before, 'the back office recorded nothing');
    tt.same(await shareListing(world), listed, 'no file or temporary name in any share folder');
  };

  await kase('FN-001', async (t) => {
    await refusedOverServiceBus(t, ['traversal']);
    const outside = await readdir(join(backOffice.files.formTypes()[0]?.path ?? '.', '..'));
    t.notOk(
      outside.some((n) => n.endsWith('.pdf') || n === 'passwd.pdf' || n === 'bill.pdf'),
      'nothing was written beside the share folders',
    );
  });
  await kase('FN-002', async (t) => {
    await refusedOverServiceBus(t, ['absolute', 'drive', 'unc']);
  });
  await kase('FN-003', async (t) => {
    await refusedOverServiceBus(t, ['reserved', 'reserved-char', 'trailing', 'stream']);
  });
  await kase('FN-004', async (t) => {
    await refusedOverServiceBus(t, ['control', 'bidi']);
  });
  await kase('FN-005', async (t) => {
    await refusedOverServiceBus(t, ['double-extension', 'extension']);
  });
  await kase('FN-006', async (t) => {
    await refusedOverServiceBus(t, ['length', 'encoding']);
  });

  await kase('FN-007', async (t) => {
    const folder = backOffice.files.formTypes()[0];
    if (folder === undefined) throw new Error('no share folder');
    // A file already in the folder under the name the messages will declare.
    const declared = 'Council tax evidence.pdf';
    const existing = join(folder.path, declared);
    const planted = Buffer.from(`planted before the drops ${randomUUID()}\n`);
    await writeFile(existing, planted);
    const bodies = [evidence('first'), evidence('second')];
    const receipts = await Promise.all(
      bodies.map(async (pdf) => {
        const reply = await tenant.sendWork(ROUTE, pdf, {
          messageId: `fn-collide-${randomUUID()}`,
          contentType: 'application/pdf',
          properties: { formType, fileName: declared },
        });
        t.equal(reply.status, 201, 'the drop was written');
        return JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
      }),
    );
    const names = receipts.map((r) => r.name);
    t.equal(new Set(names).size, 2, 'two drops declaring one name got two files');
    for (const [i, r] of receipts.entries()) {
      t.not(r.name, declared, 'under a relay-made name, not the declared one');
      t.equal(r.declaredName, declared, 'the receipt records the declared name');
      t.equal(
        sha256(await readFile(join(folder.path, String(r.name)))),
        sha256(bodies[i] ?? Buffer.alloc(0)),
        'each file holds its own drop',
      );
    }
    t.same(await readFile(existing), planted, 'the file already there is untouched');
  });

  await kase('FN-008', async (t) => {
    const ordinary = [
      'Council tax bill (2025).pdf',
      'Ffurflen-gais-Cymraeg.pdf',
      'Évaluation du bien – façade.PDF',
      'photo of the damp wall 03.pdf',
    ];
    for (const declared of ordinary) {
      const messageId = `fn-ordinary-${randomUUID()}`;
      const reply = await tenant.sendWork(ROUTE, evidence(messageId), {
        messageId,
        contentType: 'application/pdf',
        properties: { formType, fileName: declared },
      });
      const receipt = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
      t.equal(reply.status, 201, `${declared}: written`);
      t.equal(receipt.declaredName, declared, `${declared}: the receipt records the name`);
      t.not(receipt.name, declared, `${declared}: the file has a relay-made name`);
      if (relay !== undefined) {
        await relay.waitFor(
          isEvent('relay:filedrop', { outcome: 'written', declaredName: declared }),
          `the relay logging ${declared}`,
        );
      }
    }
    // Over the Hybrid Connection, the name comes in a Content-Disposition header (RFC 6266).
    const declared = 'Tystiolaeth – ŵyr.pdf';
    const reply = await tenant.call(`/documents/${formType}`, {
      method: 'POST',
      route: ROUTE,
      body: evidence('hc'),
      headers: {
        'content-type': 'application/pdf',
        'content-disposition': `attachment; filename="evidence.pdf"; filename*=UTF-8''${encodeURIComponent(declared)}`,
      },
    });
    t.equal(reply.status, 201, 'over the Hybrid Connection: written');
    const receipt = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
    t.equal(receipt.declaredName, declared, 'filename* wins over filename, decoded as UTF-8');
  });

  await kase('FN-009', async (t) => {
    const before = await farEnd(backOffice);
    const listed = await shareListing(world);
    const hostile: readonly (readonly [string, string, string])[] = [
      ['traversal in filename', 'attachment; filename="../../bill.pdf"', 'traversal'],
      [
        'a right-to-left override in filename*',
        `attachment; filename*=UTF-8''bill%E2%80%AEfdp.exe`,
        'bidi',
      ],
      ['a UNC path', 'attachment; filename="\\\\\\\\server\\\\share\\\\bill.pdf"', 'unc'],
      ['a header that does not parse', 'attachment; filename*=UTF-8', 'header'],
    ];
    for (const [what, header, rule] of hostile) {
      const reply = await tenant.call(`/documents/${formType}`, {
        method: 'POST',
        route: ROUTE,
        body: evidence(what),
        headers: { 'content-type': 'application/pdf', 'content-disposition': header },
      });
      const refusal = JSON.parse(reply.body.toString('utf8')) as Record<string, unknown>;
      t.equal(reply.status, 422, `${what}: answered 422`);
      t.equal(refusal.code, 'RELAY_E_CONTENT_NAME', `${what}: RELAY_E_CONTENT_NAME`);
      t.match(String(refusal.message), `(${rule})`, `${what}: rule ${rule}`);
    }
    t.same(await farEnd(backOffice), before, 'the back office recorded nothing');
    t.same(await shareListing(world), listed, 'nothing in any share folder');
  });
})();

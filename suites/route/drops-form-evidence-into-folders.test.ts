// The guide's file drops through one relay run: one small, distinct PDF per online form type
// (every type of the back office's file shares, at least 120), sealed by the tenant and sent on
// the requests queue 16 at a time with the `formType` property, through the reference relay (a
// child process) straight into the share folders. Some messages declare a file name (`fileName`,
// which the relay validates and logs: the hostile ones are FN cases), carry a hostile `name`
// property and message ids that look like paths. Out: ROUTE-008: exactly one file per form type,
// in that type's folder, whole (SHA-256 of what the tenant sent), under a relay-made name
// `<formType>-<32 hex>.pdf` that is neither the message id nor any name the message offered; no
// temporary (dot) file left in any folder; each receipt came back sealed and names that file.
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import t from 'tap';
import { kase } from '../lib/case';
import { pdfAround } from '../../relay/test/helpers/pdf-bytes';
import { isEvent, waitForNth } from '../lib/relay-child';
import { dotFiles, sha256, startRouteWorld } from './lib/route-world';

/** A small valid PDF the relay's check accepts, unique by `tag`. */
function pdfFor(formType: string, tag: string): Buffer {
  // Binary bytes in its stream, as real PDFs have.
  return pdfAround(
    randomBytes(512 + (randomBytes(2).readUInt16BE(0) % 1024)),
    `evidence for ${formType}: ${tag}`,
  );
}

const BATCH = 16;
/** Offered by the hostile messages; must never become a file name or a path. */
const HOSTILE_NAME = '../../etc/passwd';

void (async () => {
  const { relay, tenant, backOffice } = await startRouteWorld(t);

  await kase('ROUTE-008', async (t) => {
    const formTypes = backOffice.files.formTypes();
    t.ok(formTypes.length >= 120, `at least 120 form types (${formTypes.length})`);
    t.same(await backOffice.files.scan(), [], 'the share folders start empty');

    interface Sent {
      readonly formType: string;
      readonly folder: string;
      readonly path: string;
      readonly messageId: string;
      readonly pdf: Buffer;
      readonly hostile: boolean;
    }
    const sent: Sent[] = formTypes.map((f, i) => {
      const hostile = i % 20 === 0;
      // A few message ids look like file names and paths: none may become one.
      const messageId = hostile
        ? `../../${f.formType}/evidence-${String(i)}-${randomBytes(4).toString('hex')}.pdf`
        : `${f.formType}-${randomBytes(8).toString('hex')}`;
      return {
        formType: f.formType,
        folder: f.folder,
        path: f.path,
        messageId,
        pdf: pdfFor(f.formType, messageId),
        hostile,
      };
    });
    t.ok(
      sent.some((s) => s.hostile),
      'some messages carry a hostile file name and path-like id',
    );

    const replies = new Map<string, { status: number; kid: string; body: Buffer }>();
    for (let at = 0; at < sent.length; at += BATCH) {
      const batch = sent.slice(at, at + BATCH);
      const answers = await Promise.all(
        batch.map((s) =>
          tenant.sendWork('form-evidence', s.pdf, {
            messageId: s.messageId,
            contentType: 'application/pdf',
            properties: s.hostile
              ? {
                  formType: s.formType,
                  fileName: `Evidence for ${s.formType}.pdf`,
                  name: HOSTILE_NAME,
                }
              : { formType: s.formType },
          }),
        ),
      );
      for (const [i, a] of answers.entries()) {
        const s = batch[i];
        if (s !== undefined) replies.set(s.formType, a);
      }
    }
    t.equal(replies.size, sent.length, 'every drop was answered');

    const files = await backOffice.files.scan();
    t.equal(files.length, sent.length, 'exactly one file per form type, nothing else');
    const leftovers = await dotFiles(backOffice);
    t.same(leftovers, [], 'no temporary (dot) file is left in any folder');

    const namePattern = /^([a-z0-9][a-z0-9-]*)-[0-9a-f]{32}\.pdf$/;
    const names = new Set<string>();
    for (const s of sent) {
      const here = files.filter((f) => f.formType === s.formType);
      const file = here[0];
      if (here.length !== 1 || file === undefined) {
        t.fail(`${s.formType}: ${here.length} files in its folder, not 1`);
        continue;
      }
      const reply = replies.get(s.formType);
      const receipt = JSON.parse(reply?.body.toString('utf8') ?? '{}') as Record<string, unknown>;
      const ok =
        file.folder === s.folder &&
        file.path === join(s.path, file.name) &&
        file.sha256 === sha256(s.pdf) &&
        file.size === s.pdf.length &&
        namePattern.exec(file.name)?.[1] === s.formType &&
        !file.name.includes(s.messageId) &&
        !file.name.includes('passwd') &&
        reply?.status === 201 &&
        reply.kid === 'k1' &&
        receipt.name === file.name &&
        receipt.sha256 === file.sha256 &&
        receipt.size === file.size &&
        receipt.formType === s.formType &&
        receipt.replayed === false;
      // One assertion per form type keeps the log readable; details only on failure.
      t.ok(
        ok,
        `${s.formType}: its PDF is whole in its folder under the relay-made name, and the sealed receipt names it`,
        ok ? {} : { file, receipt, status: reply?.status, expected: sha256(s.pdf) },
      );
      names.add(file.name);
    }
    t.equal(names.size, sent.length, 'every file name is distinct');

    // The hostile name was never used, inside or outside the shares.
    for (const s of sent.filter((x) => x.hostile)) {
      const escaped = resolve(s.path, HOSTILE_NAME);
      const exists = await access(escaped).then(
        () => true,
        () => false,
      );
      t.notOk(exists, `${s.formType}: nothing was written at ${HOSTILE_NAME} from its folder`);
    }
    t.notOk(
      files.some(
        (f) =>
          f.name.includes('passwd') ||
          f.name.startsWith('Evidence for') ||
          sent.some((x) => f.name === x.messageId || f.name === basename(x.messageId)),
      ),
      'no file carries a name the messages offered',
    );
    // The reference relay's own account of its drops (an external relay's is not ours to read).
    if (relay !== undefined) {
      const written = await waitForNth(
        relay,
        isEvent('relay:filedrop', { outcome: 'written' }),
        sent.length,
        'one written drop per form type',
      );
      t.equal(
        written.channel,
        'relay:filedrop',
        'the relay reported one written drop per form type',
      );
      t.equal(
        relay.events.filter((e) => e.channel === 'relay:filedrop' && e.data.outcome !== 'written')
          .length,
        0,
        'and no refused or failed drop',
      );
    }
  });
})();

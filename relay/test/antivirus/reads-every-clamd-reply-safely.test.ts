// clamd's INSTREAM replies are read by a pure parser: `stream: OK` is clean; `stream: <Name> FOUND`
// is infected with the name as clamd reported it, clipped to 120 printable ASCII characters;
// `INSTREAM size limit exceeded. ERROR` and `stream: <why> ERROR` are unscannable, except clamd's
// resource errors (memory, temporary files), which are unavailable (retried); anything else is
// unavailable and never quoted. Any text at all parses to one of those (property, 1,000 runs).
import fc from 'fast-check';
import t from 'tap';
import { SIGNATURE_CLIP, clipSignature, parseScanReply } from '../../src/work/antivirus';
import { checkProperty } from '../helpers/property';

void t.test('each kind of reply means what it says', (t) => {
  t.same(parseScanReply('stream: OK'), { kind: 'clean' });
  t.same(parseScanReply('stream: OK\n'), { kind: 'clean' }, 'a newline form too');
  t.same(parseScanReply('stream: Relaycheck.EICAR.Body.UNOFFICIAL FOUND'), {
    kind: 'infected',
    signature: 'Relaycheck.EICAR.Body.UNOFFICIAL',
  });
  t.same(
    parseScanReply('stream: Win.Test.EICAR_HDB-1(44d88612fea8a8f36de82e1278abb02f:68) FOUND'),
    {
      kind: 'infected',
      signature: 'Win.Test.EICAR_HDB-1(44d88612fea8a8f36de82e1278abb02f:68)',
    },
    'extended detection info is kept',
  );
  t.match(parseScanReply('INSTREAM size limit exceeded. ERROR'), {
    kind: 'unscannable',
    reason: 'clamd-limit',
  });
  t.match(parseScanReply("stream: Can't parse data ERROR"), {
    kind: 'unscannable',
    reason: 'clamd-error',
    why: /Can't parse data/,
  });
  t.match(parseScanReply("stream: Can't allocate memory ERROR"), {
    kind: 'unavailable',
    why: /allocate memory/,
  });
  t.match(parseScanReply("stream: Can't create temporary file ERROR"), { kind: 'unavailable' });
  for (const other of [
    '',
    'PONG',
    'stream: ',
    'stream: FOUND',
    'OK',
    'COMMAND READ TIMED OUT',
    'UNKNOWN COMMAND',
  ]) {
    t.match(parseScanReply(other), { kind: 'unavailable' }, JSON.stringify(other));
  }
  const secret = 'stream: something \x01 private';
  t.notMatch(JSON.stringify(parseScanReply(secret)), 'private', 'an unknown reply is not quoted');
  t.end();
});

void t.test('signature names are clipped to 120 printable ASCII characters', (t) => {
  const long = `A${'b'.repeat(300)}`;
  const r = parseScanReply(`stream: ${long} FOUND`);
  t.equal(r.kind === 'infected' ? r.signature.length : 0, SIGNATURE_CLIP);
  t.equal(clipSignature('Bad\x00Name\x1b[31m\u00e9'), 'Bad?Name?[31m?');
  t.end();
});

void t.test('any reply text parses to one verdict, never throws', (t) => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ maxLength: 300 }).map((s) => `stream: ${s} FOUND`),
    fc.string({ maxLength: 300 }).map((s) => `stream: ${s} ERROR`),
  );
  checkProperty(
    t,
    fc.property(text, (s) => {
      const r = parseScanReply(s);
      if (r.kind === 'infected') {
        return (
          r.signature.length >= 1 &&
          r.signature.length <= SIGNATURE_CLIP &&
          /^[\x20-\x7e]+$/.test(r.signature)
        );
      }
      if (r.kind === 'unscannable' || r.kind === 'unavailable') {
        return /^[\x20-\x7e]+$/.test(r.why) && r.why.length <= 200;
      }
      return s.replace(/\n$/, '') === 'stream: OK';
    }),
    1000,
  );
  t.end();
});

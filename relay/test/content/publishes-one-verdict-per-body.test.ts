// Each checked body publishes one verdict on node:diagnostics_channel `relay:content`. In: XML
// and PDF bodies accepted and refused, whole and streamed. Out: one {kind, outcome, rule?, bytes}
// event per body, none for a refusal repeated by a later call, and never a byte of the body.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import t from 'tap';
import {
  CONTENT_CHANNELS,
  checkPdf,
  checkXml,
  createXmlCheck,
  type ContentEvent,
} from '../../src/work/content';

const SECRET = 'Sensitive-Benefit-Claimant-Name';

void t.test('one event per body, with the verdict and no content', (t) => {
  const events: ContentEvent[] = [];
  const listener = (m: unknown): void => {
    events.push(m as ContentEvent);
  };
  subscribe(CONTENT_CHANNELS.content, listener);
  t.teardown(() => unsubscribe(CONTENT_CHANNELS.content, listener));

  const xml = Buffer.from(`<Claim><Name>${SECRET}</Name></Claim>`);
  checkXml(xml);
  const pi = Buffer.from(`<Claim><?${SECRET}?></Claim>`);
  t.throws(() => checkXml(pi));
  const check = createXmlCheck({ maxTextLength: 4 });
  t.throws(() => {
    check.push(xml);
  });
  t.throws(() => check.end(), 'the repeated refusal publishes nothing more');
  t.throws(() => checkPdf(Buffer.from(`%PDF-1.7\n${SECRET}`)));

  t.same(events, [
    { kind: 'xml', outcome: 'accepted', bytes: xml.length },
    { kind: 'xml', outcome: 'refused', rule: 'pi', bytes: pi.length },
    { kind: 'xml', outcome: 'refused', rule: 'text', bytes: xml.length },
    { kind: 'pdf', outcome: 'refused', rule: 'trailer', bytes: 9 + SECRET.length },
  ]);
  t.notOk(JSON.stringify(events).includes(SECRET), 'no body content in any event');
  t.end();
});

// Every hostile XML body of issue 10 is refused with the rule that names its attack, before any
// of it would reach a back office. In: the generated table HOSTILE_XML (external entities to a
// file and to a URL, remote DTDs, billion laughs, quadratic blow-up, XInclude and xml:base,
// 100,000-deep nesting, oversize body, attribute and name, truncated documents, encodings that
// contradict the BOM, illegal characters, wrong roots), made for a route whose root is
// LicenceApplication, under the default limits and under a route's lower ones. Out: one
// RelayContentError RELAY_E_CONTENT_XML (HTTP 422) with details.rule the row's rule, whole, in
// chunks, and through the check stream the Hybrid Connection path uses (which passes on nothing
// from the refused chunk on).
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import t from 'tap';
import {
  checkXml,
  createXmlCheck,
  isRelayContentError,
  xmlCheckStream,
  type XmlCheckInput,
} from '../../src/work/content';
import { chunksOf, pushUntilRefused } from './lib/chunks';
import { DEFAULT_URL, HOSTILE_XML, XML_ATTACKS, type HostileXmlContext } from './lib/hostile-xml';

const ROOT = 'LicenceApplication';
/** A route like the ones the system cases send to: its size limit fits a Service Bus message. */
const ROUTE: HostileXmlContext = {
  limits: { maxBytes: 64 * 1024, maxAttributeValueLength: 4096, maxNameLength: 128, maxDepth: 32 },
};
const optionsOf = (c: HostileXmlContext): XmlCheckInput => ({ expectedRoot: ROOT, ...c.limits });

function ruleOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    if (isRelayContentError(e) && e.code === 'RELAY_E_CONTENT_XML') return e.details.rule;
    return `untyped: ${e instanceof Error ? e.message : 'a throw'}`;
  }
  return 'accepted';
}

void t.test('the table covers every attack of the issue, each in several forms', (t) => {
  for (const attack of XML_ATTACKS) {
    const n = HOSTILE_XML.filter((h) => h.attack === attack).length;
    t.ok(n >= 2, `${attack}: ${String(n)} forms`);
  }
  t.end();
});

void t.test('each body is refused with its rule under the default limits', (t) => {
  for (const h of HOSTILE_XML) {
    const body = h.make(ROOT);
    const options = optionsOf({});
    t.equal(
      ruleOf(() => checkXml(body, options)),
      h.rule,
      `${h.name}: ${h.rule} (whole)`,
    );
    // The 10 MiB bodies once only (they are chunked under the lower limits below).
    if (body.length > 1024 * 1024) continue;
    const refused = pushUntilRefused(createXmlCheck(options), chunksOf(body, 64 * 1024));
    const chunked =
      refused === undefined
        ? ruleOf(() => createXmlCheck(options).end())
        : isRelayContentError(refused.error)
          ? refused.error.details.rule
          : 'untyped';
    if (refused !== undefined || body.length === 0) {
      t.equal(chunked, h.rule, `${h.name}: ${h.rule} (64 KiB chunks)`);
    }
  }
  t.end();
});

/** A route that lowers only its size limit (the XML cases' routes do: 96 KiB). */
const SIZE_ONLY: HostileXmlContext = { limits: { maxBytes: 96 * 1024 } };

void t.test("each body is refused with its rule under a route's lower limits", (t) => {
  for (const [what, context, size] of [
    ['lower limits', ROUTE, 7],
    ['a lower size limit only', SIZE_ONLY, 4096],
  ] as const) {
    for (const h of HOSTILE_XML) {
      const body = h.make(ROOT, context);
      const options = optionsOf(context);
      t.equal(
        ruleOf(() => checkXml(body, options)),
        h.rule,
        `${what}: ${h.name}: ${h.rule} (whole)`,
      );
      const check = createXmlCheck(options);
      const refused = pushUntilRefused(check, chunksOf(body, size));
      const rule =
        refused === undefined
          ? ruleOf(() => check.end())
          : isRelayContentError(refused.error)
            ? refused.error.details.rule
            : 'untyped';
      t.equal(rule, h.rule, `${what}: ${h.name}: ${h.rule} (${String(size)}-byte chunks)`);
      if (h.attack === 'oversize-body') {
        const max = context.limits?.maxBytes ?? 0;
        t.ok(body.length > max, `${what}: ${h.name}: made over the route's limit`);
      }
    }
  }
  t.end();
});

/** Pipes `body` in `size`-byte chunks through the check stream; what passed and the error. */
async function throughStream(
  body: Buffer,
  options: XmlCheckInput,
  size: number,
): Promise<{ passed: number; error: unknown }> {
  let passed = 0;
  let error: unknown;
  try {
    await pipeline(
      Readable.from(chunksOf(body, size)),
      xmlCheckStream(options),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          passed += chunk.length;
          done();
        },
      }),
    );
  } catch (e) {
    error = e;
  }
  return { passed, error };
}

void t.test('the check stream (Hybrid Connection path) refuses each body alike', async (t) => {
  for (const h of HOSTILE_XML) {
    const body = h.make(ROOT, ROUTE);
    const { passed, error } = await throughStream(body, optionsOf(ROUTE), 1024);
    t.match(
      error,
      { code: 'RELAY_E_CONTENT_XML', details: { rule: h.rule } },
      `${h.name}: ${h.rule}`,
    );
    // A truncated body breaks its rule only at its end: all of it passes, and the stream's
    // error is what keeps a consumer from committing it (streams.ts).
    if (h.attack !== 'truncated') {
      t.ok(passed < body.length, `${h.name}: not all of it passed (${String(passed)} bytes)`);
    }
  }
});

void t.test('the bodies that name a URL name the one they are given', (t) => {
  const canary = 'http://127.0.0.1:4321/canary/case-7';
  const fetching = HOSTILE_XML.filter((h) => h.fetches);
  t.ok(fetching.length >= 8, `${String(fetching.length)} bodies point at a URL`);
  for (const h of fetching) {
    const text = h.make(ROOT, { url: canary }).toString('utf8');
    t.ok(text.includes(canary), `${h.name}: names the canary`);
    t.notOk(text.includes(DEFAULT_URL), `${h.name}: and not the default`);
  }
  for (const h of HOSTILE_XML) {
    const text = h.make(ROOT).toString('latin1');
    const urls = text.match(/\b(?:https?|ftp):\/\/[^"'\s<>]+/gi) ?? [];
    for (const u of urls) {
      t.ok(
        /^https?:\/\/(127\.0\.0\.1|www\.w3\.org)[:/]/i.test(u),
        `${h.name}: ${u} is loopback or a namespace`,
      );
    }
  }
  t.end();
});

void t.test('two bodies of one form are never byte for byte the same', (t) => {
  const same = HOSTILE_XML.filter((h) => h.make(ROOT, ROUTE).equals(h.make(ROOT, ROUTE)));
  // Bodies whose defect leaves no room for a nonce (cut early, over the limits, made of one
  // repeated token) are the same every time; everything else carries a fresh nonce.
  t.ok(same.length < HOSTILE_XML.length / 2, `${String(same.length)} forms repeat exactly`);
  t.end();
});

// HC-013: the endpoint forwards cleanly. In: requests to OUR listener carrying the Send token
// in each of its three places (ServiceBusAuthorization, Authorization, sb-hc-token query),
// hop-by-hop headers (Connection and the header it names, Keep-Alive, TE, Proxy-Authorization,
// Proxy-Connection, Upgrade; Trailer and Transfer-Encoding on a chunked body) and ordinary
// headers, on the control channel (Content-Length) and by rendezvous (chunked). Out: the back
// end sees `Via: 1.1 <namespace host>`, the ordinary headers, and none of the token, the
// sb-hc-* query parameters or the hop-by-hop headers; the sender's answer carries Via too.
import { Readable } from 'node:stream';
import { kase } from '../lib/case';
import { backEnd } from './lib/backend';
import { sha256Hex } from './lib/bytes';
import { startHarness } from './lib/hc';

const HOP_BY_HOP = [
  'connection',
  'x-named-by-connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
];
const TOKENS = ['servicebusauthorization', 'authorization', 'sb-hc-token'];

void kase('HC-013', async (t) => {
  const h = await startHarness(t);
  const office = backEnd();
  await h.listen({ handler: office.handler });
  const via = `1.1 ${h.sim.host}`;

  const places = ['ServiceBusAuthorization', 'Authorization', 'query'] as const;
  const shapes = ['with Content-Length', 'chunked'] as const;
  for (const [place, shape] of places.flatMap((p) => shapes.map((s) => [p, s] as const))) {
    const form = Buffer.from('<form/>');
    const answer = await h.send('hyco/echo/forms?kind=licence', {
      method: 'POST',
      token: place,
      body: shape === 'chunked' ? Readable.from([form]) : form,
      headers: {
        'Content-Type': 'application/xml',
        'X-Council': 'council-42',
        Connection: 'keep-alive, X-Named-By-Connection',
        'X-Named-By-Connection': 'drop me',
        'Keep-Alive': 'timeout=5',
        TE: 'trailers',
        'Proxy-Authorization': 'Basic c2VjcmV0',
        'Proxy-Connection': 'keep-alive',
        Upgrade: 'h2c',
        // Node sends a Trailer header only with a chunked body.
        ...(shape === 'chunked' ? { Trailer: 'X-Checksum' } : {}),
      },
    });
    t.equal(answer.status, 200, `${place}, ${shape}: answered`);
    t.equal(answer.headers.via, via, `${place}, ${shape}: the answer carries Via`);
    const seen = office.served.at(-1);
    if (seen === undefined) throw new Error('the back end saw nothing');
    t.equal(seen.headers.via, via, `${place}, ${shape}: the listener sees Via`);
    t.equal(seen.headers['x-council'], 'council-42', 'ordinary headers pass');
    t.equal(seen.headers['content-type'], 'application/xml');
    t.equal(seen.sha256, sha256Hex.of(form), `${shape}: the body arrived`);
    t.equal(seen.mode, shape === 'chunked' ? 'rendezvous' : 'control');
    t.same(
      Object.keys(seen.headers).filter((k) => TOKENS.includes(k)),
      [],
      `${place}, ${shape}: no token header reaches the listener`,
    );
    t.same(
      Object.keys(seen.headers).filter((k) => HOP_BY_HOP.includes(k)),
      [],
      `${place}, ${shape}: no hop-by-hop header reaches the listener`,
    );
    t.equal(
      seen.target,
      '/hyco/echo/forms?kind=licence',
      `${place}, ${shape}: the target keeps its query, without sb-hc-*`,
    );
    t.notOk(
      Object.values(seen.headers).some((v) => v.includes('SharedAccessSignature')),
      `${place}, ${shape}: no header value holds a SAS token`,
    );
  }
  t.equal(office.served.length, 6);
});

// The sealed HC adapter on the real path: tenant driver → simulated sender front → simulated
// Azure Relay → OUR HybridListener → sealedHcHandler → dispatcher. In: a small GET with a query
// and a 5 MB upload streamed by the tenant (sealed as it goes). Out: the dispatcher sees the
// route, the message id, the target and the plain body without rc-* headers; its answers come
// back sealed (r2c headers) and open at the tenant; the 5 MB body makes the round trip byte for
// byte (sha-256 compared at the dispatcher and at the tenant).
import { createHash, randomBytes } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import t from 'tap';
import {
  MESSAGING_CHANNELS,
  sealedHcHandler,
  type SealedHcRequest,
} from '../../relay/src/messaging';
import { startHybridPath } from './lib/hybrid';
import { newTenantKey, startWorld, TENANT } from './lib/world';

const SIZE = 5 * 1024 * 1024;

void t.test('sealed requests and answers stream through the Hybrid Connection', async (t) => {
  const world = await startWorld(t);
  const hc = await startHybridPath(t);
  const k1 = newTenantKey();
  const tenant = await world.startTenant({
    keys: [{ kid: 'k1', key: k1 }],
    hybrid: hc.tenantOptions,
  });
  const relay = world.startRelay({ keys: [{ kid: 'k1', key: k1 }] });
  await relay.handshake.whenLive();

  const seen: Omit<SealedHcRequest, 'body'>[] = [];
  const uploads: { sha256: string; bytes: number }[] = [];
  await hc.listen(
    sealedHcHandler(
      { tenant: TENANT, routes: ['council-tax'] },
      {
        keys: relay.keys,
        session: relay.handshake,
        dispatch: (req) => {
          const { body, ...rest } = req;
          seen.push(rest);
          if (req.method === 'GET') {
            body.resume();
            return Promise.resolve({
              status: 200,
              headers: { 'content-type': 'application/json' },
              body: Buffer.from(JSON.stringify({ target: req.target, balance: 88.2 })),
            });
          }
          const hash = createHash('sha256');
          let bytes = 0;
          const echo = new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              hash.update(chunk);
              bytes += chunk.length;
              callback(null, chunk);
            },
            flush(callback) {
              uploads.push({ sha256: hash.digest('hex'), bytes });
              callback();
            },
          });
          return Promise.resolve({
            status: 200,
            headers: { 'content-type': 'application/pdf' },
            body: pipeline(body, echo, () => undefined),
          });
        },
      },
    ),
  );

  // A small GET, sealed from a Buffer.
  const small = await tenant.call('council-tax/accounts/CT-1001?year=2025', { method: 'GET' });
  t.equal(small.status, 200);
  t.equal(small.sealed, true, 'the answer was sealed');
  t.same(JSON.parse(small.body.toString('utf8')), {
    target: '/council-tax/accounts/CT-1001?year=2025',
    balance: 88.2,
  });
  t.match(small.headers, {
    'rc-env': 'v1',
    'rc-kid': 'k1',
    'rc-salt': /^[A-Za-z0-9_-]{22}$/,
    'rc-iv': /^[A-Za-z0-9_-]{16}$/,
    'content-type': 'application/json',
  });
  t.match(seen[0], {
    via: 'hybrid',
    route: 'council-tax',
    messageId: small.messageId,
    method: 'GET',
    sealed: true,
    kid: 'k1',
  });
  t.same(
    Object.keys(seen[0]?.headers ?? {}).filter(
      (h) => h.startsWith('rc-') || h === 'servicebusauthorization',
    ),
    [],
    'the dispatcher sees no rc-* header and no token',
  );

  // 5 MB streamed up and back.
  const upload = randomBytes(SIZE);
  const sha = createHash('sha256').update(upload).digest('hex');
  const pieces: Buffer[] = [];
  for (let at = 0; at < SIZE; at += 100_000) pieces.push(upload.subarray(at, at + 100_000));
  const big = await tenant.call('council-tax/documents/bill.pdf', {
    method: 'POST',
    headers: { 'content-type': 'application/pdf' },
    body: Readable.from(pieces),
  });
  t.equal(big.status, 200);
  t.equal(big.sealed, true);
  t.equal(big.body.length, SIZE, 'the tenant got 5 MB back');
  t.equal(createHash('sha256').update(big.body).digest('hex'), sha, 'byte for byte (sha-256)');
  t.same(
    uploads,
    [{ sha256: sha, bytes: SIZE }],
    'the dispatcher got the 5 MB plain, byte for byte',
  );
  t.equal(seen[1]?.headers['content-type'], 'application/pdf', 'the content type travels beside');

  t.match(world.events.of(MESSAGING_CHANNELS.work), [
    {
      via: 'hybrid',
      route: 'council-tax',
      messageId: small.messageId,
      outcome: 'answered',
      status: 200,
    },
    {
      via: 'hybrid',
      route: 'council-tax',
      messageId: big.messageId,
      outcome: 'answered',
      status: 200,
    },
  ]);
});

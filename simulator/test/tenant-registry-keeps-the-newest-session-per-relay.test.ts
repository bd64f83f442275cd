// The tenant driver's session registry (pure). In: sessions granted to relays a and b, a
// renewal of a, a key retirement, the clock passing an expiry. Out: one session per relay (a
// renewal replaces the old one and says so), work goes to the newest session or the named
// relay's, dropped and expired sessions leave with their reason.
import t from 'tap';
import type { CloudSession } from '../../relay/src/protocol/handshake';
import { SessionRegistry } from '../src/cloud/tenant/registry';

function session(
  relay: string,
  sid: string,
  kid: string,
  createdAt: number,
  ttl = 100,
): CloudSession {
  return {
    tenant: 'council-42',
    relay,
    sid,
    kid,
    ttl,
    createdAt,
    expiresAt: createdAt + ttl * 1000,
    caps: [],
    key: Buffer.alloc(32),
  };
}

void t.test('the registry keeps the newest session of each relay', (t) => {
  const r = new SessionRegistry();
  const a1 = session('relay-a', 'sid-a1', 'k1', 1_000);
  const b1 = session('relay-b', 'sid-b1', 'k1', 2_000);
  t.match(r.record(a1), [{ state: 'live', session: { sid: 'sid-a1' } }]);
  r.record(b1);
  t.equal(r.pick()?.sid, 'sid-b1', 'work goes to the newest session');
  t.equal(r.pick('relay-a')?.sid, 'sid-a1', 'or to the named relay');
  t.equal(r.pick('relay-z'), undefined);

  const a2 = session('relay-a', 'sid-a2', 'k2', 3_000);
  t.match(r.record(a2), [
    { state: 'replaced', session: { sid: 'sid-a1' } },
    { state: 'live', session: { sid: 'sid-a2' } },
  ]);
  t.same(
    r.all().map((s) => s.sid),
    ['sid-b1', 'sid-a2'],
  );

  t.match(r.drop([a1, b1], 'key k1 retired'), [
    { state: 'dropped', session: { sid: 'sid-b1' }, reason: 'key k1 retired' },
  ]);
  t.same(
    r.all().map((s) => s.sid),
    ['sid-a2'],
    'a replaced session is not dropped twice',
  );

  t.same(
    r.prune(50_000, () => true),
    [],
    'nothing expires early',
  );
  t.match(
    r.prune(103_000, () => true),
    [{ state: 'expired', session: { sid: 'sid-a2' } }],
  );
  t.same(r.all(), []);

  r.record(session('relay-c', 'sid-c1', 'k2', 200_000));
  t.match(
    r.prune(200_001, () => false),
    [{ state: 'dropped', session: { sid: 'sid-c1' }, reason: 'no longer live at the verifier' }],
  );
  t.end();
});

// The work receiver follows the session gate (fake namespace). In: a gate that is closed, then
// opens, closes and opens again. Out: no receiver on `requests` while no session is live; one
// is opened when the session goes live and closed when it goes down; close() closes it.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { createWorkReceiver, TenantKeys } from '../../src/messaging';
import { FakeNamespace, ManualGate } from './lib/fakes';

void t.test('the work receiver receives only while a session is live', async (t) => {
  const ns = new FakeNamespace();
  const gate = new ManualGate();
  const receiver = createWorkReceiver(
    { tenant: 'council-42', routes: ['council-tax'] },
    {
      serviceBus: ns.client(),
      keys: new TenantKeys([{ kid: 'k1', key: randomBytes(32) }]),
      session: gate,
      handler: () => Promise.resolve({ status: 200, body: Buffer.alloc(0) }),
    },
  ).start();
  await receiver.settled();
  t.same(ns.receiversOpened, [], 'nothing opened while no session is live');
  t.equal(receiver.receiving, false);

  gate.set(true);
  await receiver.settled();
  t.same(ns.receiversOpened, ['requests'], 'opened when the session goes live');
  t.equal(receiver.receiving, true);

  gate.set(false);
  await receiver.settled();
  t.same(ns.receiversClosed, ['requests'], 'closed when the session goes down');
  t.equal(receiver.receiving, false);

  gate.set(true);
  await receiver.settled();
  t.same(ns.receiversOpened, ['requests', 'requests'], 'opened again');
  await receiver.close();
  t.same(ns.receiversClosed, ['requests', 'requests'], 'close() closes it');
  t.equal(receiver.receiving, false);
});

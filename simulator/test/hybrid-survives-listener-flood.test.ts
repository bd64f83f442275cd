// A flood of listeners on one path. In: 1,000 control-channel handshakes with a valid token,
// 50 in flight at a time. Out: exactly 25 accepted, 975 refused with 403, and the endpoint
// still serving requests and new listeners on other paths afterwards.
import t from 'tap';
import {
  HandshakeRefused,
  TestListener,
  relayRequest,
  startHybridSimulator,
  testHybridConfig,
} from '../src/cloud/hybrid';

void t.test(
  '1,000 listeners on one path: 25 accepted, the rest refused, the endpoint stays up',
  async (t) => {
    const { config } = testHybridConfig();
    const sim = await startHybridSimulator(config, { listeners: { https: false, tcp: false } });
    t.teardown(() => sim.close());
    const url = sim.listenerUrl('hyco', 'plain');
    const token = sim.token('hyco');
    const accepted: TestListener[] = [];
    t.teardown(() => Promise.all(accepted.map((l) => l.close())));
    const statuses = new Map<number, number>();
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < 1000) {
        started += 1;
        try {
          accepted.push(await TestListener.connect(url, token));
        } catch (e) {
          const status = e instanceof HandshakeRefused ? e.status : -1;
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    t.equal(accepted.length, 25);
    t.same([...statuses], [[403, 975]]);
    t.equal(sim.endpoint.listeners({ path: 'hyco' }).length, 25);

    const first = accepted[0];
    if (first === undefined) throw new Error('no listener');
    const answered = relayRequest(sim.senderUrl('hyco', 'plain'), {
      headers: { ServiceBusAuthorization: sim.token('hyco', { right: 'Send' }) },
    });
    // Round robin starts at the first listener.
    const request = await first.nextJson('request');
    first.respond(String(request.id), 200, { body: 'still here' });
    t.equal((await answered).body.toString(), 'still here');
    const other = await TestListener.connect(sim.listenerUrl('tax', 'plain'), sim.token('tax'));
    accepted.push(other);
    t.equal(sim.endpoint.listeners({ path: 'tax' }).length, 1);
  },
);

// HC-007: a request unanswered by the deadline gets 504 — from the service, never from the
// relay. In: a back end that holds its answer; the simulator and OUR listener each on a manual
// clock (no waiting). Out: (1) the endpoint answers 504 exactly at its 60 s response deadline
// (sim:hc:timeout), ignores the listener's late answer and keeps the channel; (2) when OUR
// listener's own deadline (55 s) passes first it answers 503 RELAY_E_HC_DEADLINE itself and
// aborts the back end's signal; (3) a back end that tries to answer 502 or 504 is stopped with
// RELAY_E_HC_STATUS and the sender gets 500: the relay never answers 502 or 504.
import type { HcHandler } from '../../relay/src/transports';
import { isHcError } from '../../relay/src/transports';
import { ManualScheduler } from '../../simulator/src/cloud/hybrid';
import { kase } from '../lib/case';
import { LinkedRelayScheduler, RELAY_CHANNELS, SIM_CHANNELS, startHarness } from './lib/hc';

void kase('HC-007', async (t) => {
  const simClock = new ManualScheduler();
  const relayScheduler = new LinkedRelayScheduler(new ManualScheduler(simClock.now()));
  const h = await startHarness(t, { clock: simClock });

  let release: () => void = () => undefined;
  const reserved: unknown[] = [];
  const handler: HcHandler = async (req, res) => {
    if (req.target.startsWith('/hyco/reserved')) {
      for (const code of [502, 504]) {
        try {
          res.status(code);
        } catch (e) {
          reserved.push(e);
        }
      }
      const first = reserved[0];
      throw first instanceof Error ? first : new Error('status() accepted a reserved code');
    }
    if (req.target.startsWith('/hyco/hold')) {
      await new Promise<void>((resolve) => {
        release = resolve;
        req.signal.addEventListener('abort', () => {
          resolve();
        });
      });
      if (req.signal.aborted) return;
    }
    await res.send(200, 'answered');
  };
  const listener = await h.listen({ handler, scheduler: relayScheduler });

  // (1) The service's deadline passes first.
  const held = h.send('hyco/hold', { method: 'POST', body: 'wait for me' });
  await h.events.until(RELAY_CHANNELS.requestReceived);
  simClock.advance(59_999);
  t.same(h.events.of(SIM_CHANNELS.timeout), [], 'nothing happens before 60 s');
  simClock.advance(1);
  const late = await held;
  t.equal(late.status, 504, 'at 60 s the sender gets 504');
  t.equal(late.headers.via, undefined, 'from the service, not the listener');
  t.match(late.body.toString(), /SIM_E_HC_TIMEOUT/);
  t.match(h.events.of(SIM_CHANNELS.timeout), [{ stage: 'response', route: 'control' }]);
  release();
  await h.events.until(RELAY_CHANNELS.responseSent);
  await h.events.until(SIM_CHANNELS.protocolError, (e) => e.action === 'ignored');
  t.pass('the late answer was ignored, not fatal');
  t.equal((await h.send('hyco/now')).body.toString(), 'answered', 'the channel still serves');

  // (2) OUR listener's deadline passes first: it answers 503 itself, never 504.
  h.events.clear();
  const waiting = h.send('hyco/hold');
  await h.events.until(RELAY_CHANNELS.requestReceived);
  relayScheduler.clock.advance(listener.config.responseDeadlineMs);
  const own = await waiting;
  t.equal(own.status, 503, 'the relay answers 503 when its back end is too slow');
  t.match(own.json(), { code: 'RELAY_E_HC_DEADLINE' });
  t.same(h.events.of(SIM_CHANNELS.timeout), [], 'the service did not have to time out');

  // (3) 502 and 504 are the service's: the relay refuses to send them.
  const refused = await h.send('hyco/reserved');
  t.equal(reserved.length, 2, 'status(502) and status(504) both threw');
  t.ok(
    reserved.every((e) => isHcError(e, 'RELAY_E_HC_STATUS')),
    'with RELAY_E_HC_STATUS',
  );
  t.equal(refused.status, 500, 'the sender gets 500 instead');
  t.match(refused.json(), { code: 'RELAY_E_HC_STATUS' });
  t.ok(
    h.events.of(SIM_CHANNELS.response).every((e) => e.status !== 502 && e.status !== 504),
    'no response from the listener carried 502 or 504',
  );
});

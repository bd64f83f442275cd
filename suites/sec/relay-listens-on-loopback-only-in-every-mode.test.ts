// SEC-007: outbound only, in every transport mode (PORT-011 reads the listening sockets once,
// in the open world, where auto-detect chooses tcp). In: the world and the reference relay as a
// child process, started once per mode (connectivity.mode tcp, then https); in each, the relay's
// sockets read from /proc at rest, then while a 160 KB XML post through the Hybrid Connection
// (its body by rendezvous) and a Service Bus request are held at the back office (a 1 s delay
// fault; the sockets are read on the back office's own report that both arrived). Out: the only
// TCP socket in LISTEN state is the health endpoint on loopback; no UDP socket is bound to
// another address; every other socket is a connection the relay made, to loopback (the
// simulator); the mode is the one asked for and the work is answered.
import diagnostics from 'node:diagnostics_channel';
import { BO_CHANNELS } from '../../simulator/src/backoffice';
import { kase } from '../lib/case';
import { isEvent, type RelayChild } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';
import { intakeXml } from '../delivery/lib/delivery-kit';
import { isLoopback, processSockets, type ProcSocket } from './lib/proc-sockets';

const MODES = ['tcp', 'https'] as const;

function show(s: ProcSocket): string {
  return `${s.protocol}${String(s.family)} ${s.state} ${s.local.address}:${String(s.local.port)} -> ${s.remote.address}:${String(s.remote.port)}`;
}

void kase(
  'SEC-007',
  async (t) => {
    const rw = await startRelayWorld(t);
    const { tenant, backOffice } = rw.world;
    if (tenant === undefined || backOffice === undefined) throw new Error('no tenant');

    /** Checks the relay's sockets now; returns how many connections it held. */
    const check = (t: tap.Test, relay: RelayChild, health: URL, when: string): number => {
      const sockets = processSockets(relay.pid) ?? [];
      const listening = sockets.filter((s) => s.protocol === 'tcp' && s.state === 'LISTEN');
      t.same(
        listening.map((s) => [isLoopback(s.local.address), s.local.port]),
        [[true, Number(health.port)]],
        `${when}: the one listening socket is the health endpoint, on loopback (${listening.map(show).join('; ')})`,
      );
      const udp = sockets.filter((s) => s.protocol === 'udp' && !isLoopback(s.local.address));
      t.same(udp.map(show), [], `${when}: no UDP socket bound to another address`);
      const others = sockets.filter((s) => s.protocol === 'tcp' && s.state !== 'LISTEN');
      const inbound = others.filter((s) => s.local.port === Number(health.port));
      const away = others.filter((s) => !isLoopback(s.remote.address));
      t.same(
        away.map(show),
        [],
        `${when}: every other socket is a connection to loopback (the simulator)`,
      );
      t.same(inbound.map(show), [], `${when}: none of them accepted on the health port`);
      return others.length;
    };

    for (const mode of MODES) {
      await t.test(`connectivity.mode ${mode}`, async (t) => {
        const relay = rw.startRelay(
          rw.writeRelayConfig(`relay-${mode}.json`, (c) => {
            (c.connectivity as Record<string, unknown>).mode = mode;
          }),
        );
        await rw.live(relay);
        const chosen = await relay.waitFor(isEvent('relay:connectivity:mode'), 'a mode');
        t.equal(chosen.data.mode, mode, `the relay runs in ${mode} mode`);
        const health = new URL(await relay.healthUrl);
        const atRest = check(t, relay, health, 'at rest');

        // Work held at the back office for a second, over both transports at once.
        backOffice.faults.set('ctb-intake', [
          { action: { type: 'delay' }, delay: { type: 'fixed', ms: 1000 }, count: 2 },
        ]);
        let arrived = 0;
        let during: Promise<number> | undefined;
        const held = new Promise<void>((resolve) => {
          const fn = (m: unknown): void => {
            if ((m as { service?: unknown }).service !== 'ctb-intake') return;
            arrived += 1;
            if (arrived < 2) return;
            diagnostics.unsubscribe(BO_CHANNELS.fault, fn);
            during = Promise.resolve(check(t, relay, health, 'with work in flight'));
            resolve();
          };
          diagnostics.subscribe(BO_CHANNELS.fault, fn);
        });
        const tag = `sec7-${mode}`;
        const [post, work] = await Promise.all([
          tenant.call('/documents/changes', {
            method: 'POST',
            route: 'ctb-intake',
            headers: { 'content-type': 'application/xml' },
            body: intakeXml('ChangeOfCircumstances', `${tag}-hc`, 160 * 1024),
          }),
          tenant.sendWork('ctb-intake', intakeXml('ChangeOfCircumstances', `${tag}-sb`), {
            timeoutMs: 60_000,
          }),
          held,
        ]);
        const inFlight = await during;
        t.ok(inFlight !== undefined, 'the sockets were read while both were held');
        t.comment(
          `${mode}: ${String(atRest)} connections at rest, ${String(inFlight)} with the work held`,
        );
        t.equal(post.status, 201, 'the rendezvous post was answered');
        t.equal(work.status, 201, 'and the Service Bus request');
        check(t, relay, health, 'after the work');
        await relay.stop();
      });
    }
  },
  process.platform === 'linux' ? {} : { skip: 'reads /proc: Linux only' },
);

// SB-022: TLS 1.2 minimum. In: node:tls clients offering only TLS 1.0/1.1 to the TLS and
// WebSocket listeners, and one offering TLS 1.2. Out: the old ones are refused with a
// protocol_version alert from the server (and a sim:sb:tls event); TLS 1.2 is accepted with
// the simulator's certificate for localhost.
import { connect } from 'node:tls';
import { kase } from '../lib/case';
import { nextEvent, startSim } from './lib/sim';

function handshake(
  port: number,
  ca: string,
  versions: { minVersion: 'TLSv1' | 'TLSv1.2'; maxVersion: 'TLSv1.1' | 'TLSv1.2' },
): Promise<{ ok: boolean; protocol?: string | null; code?: string }> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca,
      ...versions,
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    socket.once('secureConnect', () => {
      const protocol = socket.getProtocol();
      socket.destroy();
      resolve({ ok: true, protocol });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      socket.destroy();
      resolve({ ok: false, ...(e.code !== undefined ? { code: e.code } : {}) });
    });
  });
}

void kase('SB-022', async (t) => {
  const { sim } = await startSim(t, { listeners: { plain: false, tls: {}, websocket: {} } });
  const ca = sim.caPem ?? '';
  for (const kind of ['tls', 'websocket'] as const) {
    const port = sim.listeners[kind]?.port ?? 0;
    const refused = nextEvent<{ listener: string }>('sim:sb:tls', (e) => e.listener === kind);
    const old = await handshake(port, ca, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' });
    t.equal(old.ok, false, `${kind}: TLS 1.1 is refused`);
    t.equal(
      old.code,
      'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      `${kind}: by the server's protocol_version alert`,
    );
    t.ok(await refused, `${kind}: the refusal is published`);
    const good = await handshake(port, ca, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    t.same(good, { ok: true, protocol: 'TLSv1.2' }, `${kind}: TLS 1.2 is accepted`);
  }
});

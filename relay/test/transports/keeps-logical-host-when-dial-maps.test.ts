// dialTarget: when the dial policy maps a logical Azure URL to another authority (the
// simulator's loopback proxy), the socket keeps naming the service by its logical name: the
// Host header carries the logical host[:port] and TLS verifies the logical name (SNI); an
// unmapped URL gets nothing extra, and an IP literal is never used as an SNI name.
import t from 'tap';
import { dialTarget } from '../../src/transports';

const LOGICAL = 'wss://council-42-relay.servicebus.windows.net/$hc/council-tax?sb-hc-action=listen';

void t.test('a mapped URL keeps the logical Host and SNI name', (t) => {
  const mapped = new URL('wss://127.0.0.1:40329/$hc/council-tax?sb-hc-action=listen');
  t.same(dialTarget(new URL(LOGICAL), mapped), {
    url: mapped.toString(),
    headers: { Host: 'council-42-relay.servicebus.windows.net' },
    servername: 'council-42-relay.servicebus.windows.net',
  });
  t.end();
});

void t.test('a logical port other than the default stays in the Host header', (t) => {
  const logical = new URL(LOGICAL.replace('.net/', '.net:9352/'));
  const target = dialTarget(logical, new URL('wss://127.0.0.1:1234/$hc/council-tax'));
  t.equal(target.headers.Host, 'council-42-relay.servicebus.windows.net:9352');
  t.end();
});

void t.test('an unmapped URL is dialled as it is, with no extra header', (t) => {
  const same = new URL(LOGICAL);
  t.same(dialTarget(same, new URL(LOGICAL)), { url: same.toString(), headers: {} });
  t.end();
});

void t.test('an IP literal as the logical host is never an SNI name', (t) => {
  const target = dialTarget(new URL('wss://[::1]:443/$hc/x'), new URL('wss://127.0.0.1:9/$hc/x'));
  t.equal(target.servername, undefined);
  t.equal(target.headers.Host, '[::1]');
  t.end();
});

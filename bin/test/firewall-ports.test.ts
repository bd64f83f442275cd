// The --ports option of `relaycheck firewall`. In: port list text. Out: merged port ranges
// and the guide's port groups, or FIREWALL_E_PORTS naming the bad item.
import t from 'tap';
import { FirewallError } from '../src/firewall/errors';
import { GUIDE_PORTS, describePorts, parsePorts, portGroups, portIn } from '../src/firewall/ports';
import { multiportChunks } from '../src/firewall/formats/iptables';

function refusal(work: () => unknown): unknown {
  try {
    work();
  } catch (e) {
    return e instanceof FirewallError ? { code: e.code, message: e.message } : e;
  }
  return 'no error';
}

void t.test("'guide' means 80, 443, 5671-5672 and 9350-9354", (t) => {
  t.same(parsePorts('guide'), GUIDE_PORTS);
  t.same(parsePorts(' Guide '), GUIDE_PORTS);
  t.equal(describePorts(parsePorts('guide')), '80, 443, 5671-5672, 9350-9354');
  t.end();
});

void t.test('a list is sorted, and duplicates, overlaps and neighbours merge', (t) => {
  t.same(parsePorts('443,5671,9350-9354'), [
    { from: 443, to: 443 },
    { from: 5671, to: 5671 },
    { from: 9350, to: 9354 },
  ]);
  t.same(parsePorts('9352, 443, 9350-9351,9353-9354, 443'), [
    { from: 443, to: 443 },
    { from: 9350, to: 9354 },
  ]);
  t.same(parsePorts('1,65535'), [
    { from: 1, to: 1 },
    { from: 65535, to: 65535 },
  ]);
  t.end();
});

void t.test('every malformed list is refused with FIREWALL_E_PORTS naming the item', (t) => {
  const bad: [string, RegExp][] = [
    ['', /name the ports/],
    ['0', /"0" .* from 1 to 65535/],
    ['65536', /"65536"/],
    ['443,', /"" is not a port/],
    ['http', /"http" is not a port/],
    ['9354-9350', /runs backwards: write 9350-9354/],
    ['443;5671', /"443;5671"/],
    ['-1', /"-1"/],
    ['080', /"080"/],
    ['1e3', /"1e3"/],
    ['99999999999', /"99999999999"/],
  ];
  for (const [raw, why] of bad) {
    t.match(
      refusal(() => parsePorts(raw)),
      { code: 'FIREWALL_E_PORTS', message: why },
      `"${raw}"`,
    );
  }
  t.end();
});

void t.test("the guide's ports fall into the HTTP(S), AMQP and Relay groups", (t) => {
  t.same(
    portGroups(GUIDE_PORTS).map((g) => [g.name, g.label, describePorts(g.ports)]),
    [
      ['https', 'HTTP(S)', '80, 443'],
      ['amqp', 'AMQP', '5671-5672'],
      ['relay', 'Relay', '9350-9354'],
    ],
  );
  t.end();
});

void t.test('a range across group boundaries is split, the rest goes to Other', (t) => {
  t.same(
    portGroups(parsePorts('440-450,5670-5673,8443,9352')).map((g) => [
      g.name,
      describePorts(g.ports),
    ]),
    [
      ['https', '443'],
      ['amqp', '5671-5672'],
      ['relay', '9352'],
      ['other', '440-442, 444-450, 5670, 5673, 8443'],
    ],
  );
  t.end();
});

void t.test('the groups hold exactly the ports of the list, each port once', (t) => {
  const lists = ['guide', '1-65535', '79-81,442-444,5000-6000,9349-9355', '443', '22,8080-8090'];
  for (const raw of lists) {
    const ranges = parsePorts(raw);
    const groups = portGroups(ranges);
    for (let p = 1; p <= 65535; p++) {
      const holders = groups.filter((g) => portIn(g.ports, p)).length;
      if (holders !== (portIn(ranges, p) ? 1 : 0)) {
        t.fail(`${raw}: port ${p} is in ${holders} groups`);
        break;
      }
    }
  }
  t.pass('checked every port of every list');
  t.end();
});

void t.test('iptables multiport lists hold at most 15 ports, a range counting two', (t) => {
  t.same(multiportChunks(GUIDE_PORTS), ['80,443,5671:5672,9350:9354']);
  const many = parsePorts(Array.from({ length: 20 }, (_, i) => String(1000 + 2 * i)).join(','));
  const chunks = multiportChunks(many);
  t.same(
    chunks.map((c) => c.split(',').length),
    [15, 5],
  );
  const ranges = parsePorts(
    Array.from({ length: 9 }, (_, i) => `${2000 + 10 * i}-${2005 + 10 * i}`).join(','),
  );
  t.same(
    multiportChunks(ranges).map((c) => c.split(',').length),
    [7, 2],
    'seven ranges weigh 14; the eighth would make 16',
  );
  t.end();
});

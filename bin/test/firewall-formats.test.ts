// Every output format of `relaycheck firewall`, for the guide's September 2019 list and for
// the current-format UK excerpt. In: the real fixtures selected through relay/src/egress and a
// fixed clock. Out: rule files whose addresses are exactly the model's, whose header names
// the source, change number, date, regions, tags and counts, with IPv6 where the source has
// it, and which are byte-for-byte the same for the same input and clock.
import { join } from 'node:path';
import t from 'tap';
import { selectRangesFromFile, type RangeSelection } from '../../relay/src/egress';
import { render, renderToText } from '../src/firewall/formats';
import { MAX_ADDRESSES_PER_RULE, NETSH_MAX_REMOTEIP_CHARS } from '../src/firewall/formats/windows';
import { DEFAULT_INTERNAL, parseInternal } from '../src/firewall/intervals';
import { GUIDE_PORTS } from '../src/firewall/ports';
import {
  FIREWALL_FORMATS,
  buildRuleSet,
  selectionInput,
  type FirewallRuleSet,
  type RefusalPolicy,
} from '../src/firewall/rules';

const TAGS = join(__dirname, '..', '..', 'fixtures', 'service-tags');
const NOW = new Date('2026-11-23T10:00:00Z');

interface Case {
  readonly name: string;
  readonly file: string;
  readonly tags: readonly string[];
  readonly changeNumber: number | undefined;
  readonly ipv6: boolean;
}

const CASES: readonly Case[] = [
  {
    name: "the guide's September 2019 list",
    file: 'PublicIPs_uk_2019-09.xml',
    tags: ['AzureCloud'],
    changeNumber: undefined,
    ipv6: false,
  },
  {
    name: 'the current-format excerpt',
    file: 'ServiceTags_Public_excerpt_uk.json',
    tags: ['AzureCloud'],
    changeNumber: 367,
    ipv6: true,
  },
  {
    name: 'the excerpt, Service Bus only',
    file: 'ServiceTags_Public_excerpt_uk.json',
    tags: ['ServiceBus'],
    changeNumber: 367,
    ipv6: true,
  },
];

async function modelOf(
  c: Case,
  policy: RefusalPolicy = 'reject',
  now = NOW,
  file = c.file,
): Promise<FirewallRuleSet> {
  const sel: RangeSelection = await selectRangesFromFile(join(TAGS, c.file), {
    regions: ['uksouth', 'ukwest'],
    tags: c.tags,
  });
  return buildRuleSet(
    {
      file,
      format: sel.format,
      layout: sel.layout,
      changeNumber: sel.changeNumber,
      cloud: sel.cloud,
    },
    selectionInput(sel),
    { ports: GUIDE_PORTS, policy, internal: parseInternal('default'), now },
  );
}

/** The nftables elements of one named set. */
function nftSet(text: string, name: string): string[] {
  const m = new RegExp(`set ${name} \\{[^}]*?(?:elements = \\{([^}]*)\\})?\\s*\\}`).exec(text);
  if (m === null) throw new Error(`no set ${name}`);
  return (m[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function only(files: ReturnType<typeof render>): string {
  t.equal(files.length, 1);
  return files[0]?.text ?? '';
}

for (const c of CASES) {
  void t.test(
    `${c.name}: every format's header names the source, change number, date, regions, tags and counts`,
    async (t) => {
      const model = await modelOf(c);
      for (const format of FIREWALL_FORMATS.filter((f) => f !== 'json')) {
        const text = renderToText(format, model);
        t.match(text, c.file, `${format}: the source file`);
        t.match(text, '2026-11-23T10:00:00.000Z', `${format}: the generation date`);
        t.match(text, 'regions: uksouth, ukwest', `${format}: the regions`);
        t.match(text, `tags: ${c.tags.join(', ')}`, `${format}: the tags`);
        t.match(
          text,
          `allowed: ${model.counts.ipv4} IPv4 and ${model.counts.ipv6} IPv6 prefixes, aggregated from ${model.counts.selected} selected`,
          `${format}: the counts`,
        );
        t.match(text, 'ports (TCP): 80, 443, 5671-5672, 9350-9354', `${format}: the ports`);
        if (c.changeNumber === undefined)
          t.match(text, 'no change number', `${format}: no change number`);
        else
          t.match(
            text,
            `change number ${c.changeNumber}, cloud Public`,
            `${format}: change number and cloud`,
          );
      }
      const json = JSON.parse(only(render('json', model))) as Record<string, unknown>;
      t.equal(json.source, c.file);
      t.equal(json.changeNumber, c.changeNumber ?? null);
      t.equal(json.generatedAt, '2026-11-23T10:00:00.000Z');
      t.same(json.regions, ['uksouth', 'ukwest']);
      t.same(json.tags, c.tags);
      t.same(json.ports, GUIDE_PORTS);
      t.same(
        (json.portGroups as { name: string }[]).map((g) => g.name),
        ['https', 'amqp', 'relay'],
      );
      t.same(json.ipv4, model.ipv4);
      t.same(json.ipv6, model.ipv6);
    },
  );

  void t.test(
    `${c.name}: IPv6 prefixes are ${c.ipv6 ? 'present in every format' : 'absent, and said to be'}`,
    async (t) => {
      const model = await modelOf(c);
      t.equal(model.ipv6.length > 0, c.ipv6);
      t.ok(model.ipv4.length > 0);
      const sample = model.ipv6[0];
      for (const format of FIREWALL_FORMATS) {
        const text = renderToText(format, model);
        if (sample !== undefined) t.match(text, sample, `${format} holds ${sample}`);
        else if (format !== 'json')
          t.match(text, 'the source lists no IPv6 prefix', `${format} says so`);
      }
    },
  );

  void t.test(
    `${c.name}: the nftables file replaces its own table and its sets hold exactly the model's prefixes`,
    async (t) => {
      const model = await modelOf(c);
      const text = only(render('nftables', model));
      t.match(text, /^#!\/usr\/sbin\/nft -f\n/);
      t.match(
        text,
        /\ntable inet relaycheck\ndelete table inet relaycheck\n\ntable inet relaycheck \{\n/,
      );
      t.same(nftSet(text, 'azure_v4'), model.ipv4);
      t.same(nftSet(text, 'azure_v6'), model.ipv6);
      t.same(nftSet(text, 'relay_ports'), ['80', '443', '5671-5672', '9350-9354']);
      t.same([...nftSet(text, 'internal_v4'), ...nftSet(text, 'internal_v6')], DEFAULT_INTERNAL);
      t.match(text, 'tcp dport @relay_ports ip daddr @azure_v4 counter accept');
      t.match(text, 'tcp dport @relay_ports ip6 daddr @azure_v6 counter accept');
      t.match(text, /tcp dport @relay_ports counter reject with tcp reset\n\t\}\n\}\n$/);
      for (const line of text.split('\n').filter((l) => l.startsWith('#'))) {
        t.notMatch(line, /[\r]/);
      }
    },
  );

  void t.test(
    `${c.name}: the iptables files accept each prefix on the ports and refuse the rest`,
    async (t) => {
      const model = await modelOf(c);
      const files = render('iptables', model);
      t.same(
        files.map((f) => f.suffix),
        ['.v4', '.v6'],
      );
      for (const [i, prefixes] of [model.ipv4, model.ipv6].entries()) {
        const text = files[i]?.text ?? '';
        const accepted = text
          .split('\n')
          .filter((l) => l.endsWith('-j ACCEPT'))
          .map((l) => /-d (\S+) /.exec(l)?.[1]);
        t.same(accepted, prefixes, `IPv${i === 0 ? 4 : 6}: one ACCEPT per prefix`);
        t.match(text, /\*filter\n:RELAYCHECK-OUT - \[0:0\]\n/);
        t.match(
          text,
          /-A RELAYCHECK-OUT -p tcp -m multiport --dports 80,443,5671:5672,9350:9354 -j REJECT --reject-with tcp-reset\nCOMMIT\n$/,
        );
        t.notMatch(text, /-A OUTPUT|^-F|^-X|^:OUTPUT|^:INPUT/m, 'touches no other chain');
        for (const line of text.split('\n')) {
          if (line !== '' && !line.startsWith('#') && !line.startsWith('-A RELAYCHECK-OUT ')) {
            t.ok(
              ['*filter', ':RELAYCHECK-OUT - [0:0]', 'COMMIT'].includes(line),
              `only restore syntax: ${line}`,
            );
          }
        }
      }
    },
  );

  void t.test(
    `${c.name}: PowerShell removes the group first, then one or more rules per port group`,
    async (t) => {
      const model = await modelOf(c);
      const text = only(render('powershell', model));
      t.notMatch(text.replace(/\r\n/g, ''), /[\r\n]/, 'CRLF line endings only');
      t.match(
        text,
        /^[\x20-\x7e\r\n]*$/,
        'ASCII only (Windows PowerShell 5.1 reads BOM-less files as ANSI)',
      );
      const removeAt = text.indexOf(
        "Remove-NetFirewallRule -Group 'relaycheck' -ErrorAction SilentlyContinue",
      );
      t.ok(removeAt > 0 && removeAt < text.indexOf('New-NetFirewallRule'), 'removal comes first');
      const rules = [
        ...text.matchAll(
          /New-NetFirewallRule @rule [^\r]*-Name '([^']+)' -DisplayName '([^']+)' -Action (\w+) -RemotePort ([^ ]+) -RemoteAddress @\(\r\n((?: {2}'[^']+',?\r\n)*)\) \| Out-Null/g,
        ),
      ];
      t.ok(rules.length >= 6, `${rules.length} rules`);
      t.equal(
        text.split('New-NetFirewallRule @rule').length - 1,
        rules.length,
        'every rule has the expected shape',
      );
      const allowed = new Map<string, string[]>();
      for (const r of rules) {
        const addresses = [...(r[5] ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1] ?? '');
        t.ok(addresses.length <= MAX_ADDRESSES_PER_RULE, `${r[1]}: ${addresses.length} addresses`);
        if (r[3] === 'Allow')
          allowed.set(r[4] ?? '', [...(allowed.get(r[4] ?? '') ?? []), ...addresses]);
      }
      t.same([...allowed.keys()], ["'80','443'", "'5671-5672'", "'9350-9354'"]);
      for (const [ports, addresses] of allowed)
        t.same(addresses, [...model.ipv4, ...model.ipv6], `${ports}: every allowed prefix`);
      t.match(text, "$rule = @{ Group = 'relaycheck'; Direction = 'Outbound'; Protocol = 'TCP'");
      t.ok(
        rules.some((r) => r[3] === 'Block'),
        'block rules for the other addresses (policy reject)',
      );
    },
  );

  void t.test(
    `${c.name}: netsh deletes its rules first and keeps every line within cmd.exe's limit`,
    async (t) => {
      const model = await modelOf(c);
      const text = only(render('netsh', model));
      const lines = text.split('\r\n');
      t.equal(lines[0], '@echo off');
      t.match(text, /^[\x20-\x7e\r\n]*$/, 'ASCII only');
      const del = lines.findIndex(
        (l) => l === 'netsh advfirewall firewall delete rule name="relaycheck" dir=out >nul 2>&1',
      );
      const adds = lines.filter((l) => l.startsWith('netsh advfirewall firewall add rule '));
      t.ok(del > 0 && del < lines.indexOf(adds[0] ?? ''), 'delete comes first');
      const allowed = new Map<string, string[]>();
      for (const l of adds) {
        t.ok(l.length < 8191, `line of ${l.length} characters`);
        t.match(
          l,
          / dir=out action=(allow|block) protocol=TCP remoteport=\S+ remoteip=\S+ profile=any enable=yes \|\| exit \/b 1$/,
        );
        const remoteip = /remoteip=(\S+)/.exec(l)?.[1] ?? '';
        t.ok(remoteip.length <= NETSH_MAX_REMOTEIP_CHARS);
        t.ok(remoteip.split(',').length <= MAX_ADDRESSES_PER_RULE);
        if (l.includes('action=allow')) {
          const ports = /remoteport=(\S+)/.exec(l)?.[1] ?? '';
          allowed.set(ports, [...(allowed.get(ports) ?? []), ...remoteip.split(',')]);
        }
      }
      t.same([...allowed.keys()], ['80,443', '5671-5672', '9350-9354']);
      for (const addresses of allowed.values()) t.same(addresses, [...model.ipv4, ...model.ipv6]);
    },
  );
}

void t.test('the policy decides the refusing rules: reject, drop, or none at all', async (t) => {
  const c = CASES[1];
  if (c === undefined) throw new Error('no case');
  const reject = await modelOf(c, 'reject');
  const drop = await modelOf(c, 'drop');
  const acceptOther = await modelOf(c, 'accept-other');
  t.match(renderToText('nftables', drop), /tcp dport @relay_ports counter drop\n/);
  t.notMatch(renderToText('nftables', drop), 'reject with');
  t.notMatch(renderToText('nftables', acceptOther), /counter (drop|reject)|internal_v4/);
  t.match(renderToText('iptables', drop), /--dports 80,443,5671:5672,9350:9354 -j DROP\nCOMMIT/);
  t.notMatch(renderToText('iptables', acceptOther), /-j (DROP|REJECT)/);
  t.notMatch(renderToText('powershell', acceptOther), '-Action Block');
  t.notMatch(renderToText('netsh', acceptOther), 'action=block');
  t.match(renderToText('powershell', reject), '-Action Block');
  t.same(
    acceptOther.internal,
    { ipv4: [], ipv6: [] },
    'nothing is refused, so nothing needs sparing',
  );
});

void t.test(
  'the same input and clock give the same bytes; another clock changes only the date',
  async (t) => {
    const c = CASES[1];
    if (c === undefined) throw new Error('no case');
    const later = new Date('2026-11-30T08:15:00Z');
    for (const format of FIREWALL_FORMATS) {
      const a = renderToText(format, await modelOf(c));
      const b = renderToText(format, await modelOf(c));
      t.equal(a, b, `${format} is deterministic`);
      const other = renderToText(format, await modelOf(c, 'reject', later))
        .replaceAll('2026-11-30T08:15:00.000Z', '2026-11-23T10:00:00.000Z')
        .replaceAll('2026-11-30T08.15.00.000Z', '2026-11-23T10.00.00.000Z');
      t.equal(other, a, `${format}: only the date differs`);
    }
  },
);

void t.test('a source file name cannot end a comment and start a rule in any format', async (t) => {
  const c = CASES[0];
  if (c === undefined) throw new Error('no case');
  const evil = 'x\nflush ruleset\r\n-A OUTPUT -j ACCEPT"\'$(calc)%PATH%&del.xml';
  const model = await modelOf(c, 'reject', NOW, evil);
  for (const format of FIREWALL_FORMATS.filter((f) => f !== 'json')) {
    const text = renderToText(format, model);
    t.notMatch(text, /^flush ruleset/m, `${format}: no injected nft line`);
    t.notMatch(text, /^-A OUTPUT/m, `${format}: no injected iptables line`);
    t.notMatch(text, /\$\(calc\)|%PATH%|&del/, `${format}: nothing a shell would expand`);
    t.match(
      text,
      'x_flush ruleset__-A OUTPUT -j ACCEPT___(calc)_PATH__del.xml',
      `${format}: the name, made safe`,
    );
  }
  const json = JSON.parse(renderToText('json', model)) as { source: string };
  t.equal(json.source, evil, 'JSON keeps the name exactly (it is escaped there)');
});

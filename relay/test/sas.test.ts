// Unit tests of relay/src/protocol/sas.ts internals. In: hand-picked tokens, resources and
// rules. Out: assertions on parsing, normalisation, argument checks, redaction and the error
// catalogue rows. The black-box cases live in suites/sas/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { isRelaycheckError } from '../src/protocol/errors';
import {
  DEFAULT_TTL_SECONDS,
  SAS_ERRORS,
  SasError,
  TOKEN_PREFIX,
  createSasToken,
  normaliseResource,
  parseSasToken,
  resourceCovers,
  rightsAllow,
  verifySasToken,
  type SasRule,
} from '../src/protocol/sas';

const NOW_S = 1_800_000_000;
const clock = { now: () => NOW_S * 1000 };
const NS = 'sb://unit.servicebus.windows.net';
const rules: SasRule[] = [
  { keyName: 'root', key: 'root-key', rights: new Set(['Manage']), scope: `${NS}/` },
  { keyName: 'q', key: 'q-key', rights: new Set(['Send']), scope: `${NS}/q` },
];
const options = { resource: `${NS}/q`, right: 'Send' as const, rules, maxLifetimeSeconds: 3600 };

function tokenFor(keyName: string, key: string, resource = `${NS}/q`, ttl = 60): string {
  return createSasToken({ resource, keyName, key, expiresAt: NOW_S + ttl });
}

void t.test('parseSasToken', async (t) => {
  await t.test('returns decoded fields and the exact string the signature covers', (t) => {
    const fields = parseSasToken(tokenFor('root', 'root-key', `${NS}/a b`));
    t.equal(fields.sr, `${NS}/a b`);
    t.equal(fields.skn, 'root');
    t.equal(fields.se, NOW_S + 60);
    t.equal(fields.stringToSign, `${encodeURIComponent(`${NS}/a b`)}\n${NOW_S + 60}`);
    t.equal(Buffer.from(fields.sig, 'base64').byteLength, 32);
    t.ok(Object.isFrozen(fields));
    t.end();
  });

  await t.test('accepts a signature that is not URL-encoded', (t) => {
    const token = tokenFor('root', 'root-key');
    const raw = parseSasToken(token).sig;
    const unencoded = token.replace(/sig=[^&]*/, `sig=${raw}`);
    t.same(parseSasToken(unencoded).sig, raw);
    t.ok(verifySasToken(unencoded, options, { clock }));
    t.end();
  });

  await t.test('decodes a percent-encoded skn (the signature does not cover skn)', (t) => {
    const token = tokenFor('root', 'root-key').replace('skn=root', 'skn=r%6F%6Ft');
    t.equal(parseSasToken(token).skn, 'root');
    t.ok(verifySasToken(token, options, { clock }));
    t.end();
  });

  await t.test('does not turn "+" into a space (no form decoding)', (t) => {
    const fields = parseSasToken(
      `${TOKEN_PREFIX}sr=sb%3A%2F%2Fns%2Fa+b&sig=${'A'.repeat(43)}%3D&se=1&skn=k`,
    );
    t.equal(fields.sr, 'sb://ns/a+b');
    t.end();
  });

  const refusals: [string, string, string][] = [
    ['a non-canonical base64 sig', `sig=${'A'.repeat(42)}B%3D`, 'SAS_E_FORMAT'],
    ['a base64url sig', `sig=${'_'.repeat(43)}%3D`, 'SAS_E_FORMAT'],
    ['an se with 13 digits', 'se=1234567890123', 'SAS_E_FORMAT'],
    ['an se with a plus sign', 'se=%2B1', 'SAS_E_FORMAT'],
    ['an skn with a control character', 'skn=a%00b', 'SAS_E_FORMAT'],
    ['an skn of 257 characters', `skn=${'k'.repeat(257)}`, 'SAS_E_FORMAT'],
  ];
  for (const [what, field, code] of refusals) {
    await t.test(`refuses ${what}`, (t) => {
      const name = field.slice(0, field.indexOf('='));
      const others = tokenFor('root', 'root-key')
        .slice(TOKEN_PREFIX.length)
        .split('&')
        .filter((f) => !f.startsWith(`${name}=`));
      t.throws(() => parseSasToken(`${TOKEN_PREFIX}${[...others, field].join('&')}`), { code });
      t.end();
    });
  }
});

void t.test('normaliseResource', async (t) => {
  const same: [string, string][] = [
    ['sb://NS.example.net/Queue1/', 'ns.example.net/queue1'],
    ['amqps://ns.example.net:5671/queue1', 'ns.example.net/queue1'],
    ['amqp://ns.example.net:5672/queue1', 'ns.example.net/queue1'],
    ['https://ns.example.net:443/queue1', 'ns.example.net/queue1'],
    ['http://ns.example.net:80/queue1', 'ns.example.net/queue1'],
    ['ws://ns.example.net/queue1', 'ns.example.net/queue1'],
    ['ns.example.net', 'ns.example.net'],
    ['ns.example.net/', 'ns.example.net'],
    ['sb://localhost:5673/q1', 'localhost:5673/q1'],
    ['sb://localhost:05673/q1', 'localhost:5673/q1'],
    ['wss://[::1]:443/q', '[::1]/q'],
    [
      'sb://ns/topic/Subscriptions/sub/$DeadLetterQueue',
      'ns/topic/subscriptions/sub/$deadletterqueue',
    ],
  ];
  for (const [uri, expected] of same) {
    await t.test(`${uri} normalises to ${expected}`, (t) => {
      t.equal(normaliseResource(uri), expected);
      t.end();
    });
  }
  const refused = [
    '',
    'ftp://ns/q',
    'sb://',
    'sb://user@ns/q',
    'sb://ns/q?x=1',
    'sb://ns/q#f',
    'sb://ns//q',
    'sb://ns/./q',
    'sb://ns/q/..',
    'sb://ns/a%2Fb',
    'sb://ns/a b',
    'sb://ns/caf\u00e9',
    'sb://ns:0/q',
    'sb://ns:65536/q',
    'sb://ns:/q',
    'sb://-ns/q',
    'sb://ns_1/q',
    'sb:/ns/q',
  ];
  for (const uri of refused) {
    await t.test(`${JSON.stringify(uri)} is not a usable resource`, (t) => {
      t.equal(normaliseResource(uri), undefined);
      t.end();
    });
  }
  await t.test('resourceCovers works on whole segments only', (t) => {
    t.ok(resourceCovers('ns/q', 'ns/q'));
    t.ok(resourceCovers('ns/q', 'ns/q/x'));
    t.ok(resourceCovers('ns', 'ns/q'));
    t.notOk(resourceCovers('ns/q', 'ns/q1'));
    t.notOk(resourceCovers('ns/q/x', 'ns/q'));
    t.notOk(resourceCovers('ns', 'ns.evil'));
    t.end();
  });
  await t.test('rightsAllow treats Manage as Listen and Send', (t) => {
    t.ok(rightsAllow(new Set(['Manage']), 'Listen'));
    t.ok(rightsAllow(new Set(['Manage']), 'Send'));
    t.notOk(rightsAllow(new Set(['Listen', 'Send']), 'Manage'));
    t.notOk(rightsAllow(new Set(), 'Listen'));
    t.end();
  });
});

void t.test('createSasToken', async (t) => {
  await t.test('defaults to a one-hour token from the injected clock', (t) => {
    const token = createSasToken({ resource: `${NS}/q`, keyName: 'q', key: 'q-key' }, { clock });
    t.equal(parseSasToken(token).se, NOW_S + DEFAULT_TTL_SECONDS);
    t.end();
  });
  await t.test('uses ttlSeconds from the injected clock, rounding now down', (t) => {
    const late = { now: () => NOW_S * 1000 + 999 };
    const token = createSasToken(
      { resource: `${NS}/q`, keyName: 'q', key: 'q-key', ttlSeconds: 10 },
      { clock: late },
    );
    t.equal(parseSasToken(token).se, NOW_S + 10);
    t.end();
  });
  const bad: [string, Parameters<typeof createSasToken>[0]][] = [
    ['an empty resource', { resource: '', keyName: 'k', key: 'x' }],
    ['an empty key name', { resource: 'r', keyName: '', key: 'x' }],
    ['an empty key', { resource: 'r', keyName: 'k', key: '' }],
    [
      'both expiresAt and ttlSeconds',
      { resource: 'r', keyName: 'k', key: 'x', expiresAt: 1, ttlSeconds: 1 },
    ],
    ['a zero ttl', { resource: 'r', keyName: 'k', key: 'x', ttlSeconds: 0 }],
    ['a fractional expiry', { resource: 'r', keyName: 'k', key: 'x', expiresAt: 1.5 }],
    ['a negative expiry', { resource: 'r', keyName: 'k', key: 'x', expiresAt: -1 }],
    ['a 13-digit expiry', { resource: 'r', keyName: 'k', key: 'x', expiresAt: 1e12 }],
    ['a resource with a lone surrogate', { resource: 'r\uD800', keyName: 'k', key: 'x' }],
    ['a key name with a lone surrogate', { resource: 'r', keyName: '\uDC00', key: 'x' }],
  ];
  for (const [what, input] of bad) {
    await t.test(`refuses ${what} with SAS_E_ARGUMENT`, (t) => {
      t.throws(() => createSasToken(input, { clock }), {
        name: 'SasError',
        code: 'SAS_E_ARGUMENT',
      });
      t.end();
    });
  }
});

void t.test('verifySasToken', async (t) => {
  await t.test('refuses unusable options with SAS_E_ARGUMENT', (t) => {
    const token = tokenFor('root', 'root-key');
    t.throws(() => verifySasToken(token, { ...options, resource: 'ftp://x/y' }, { clock }), {
      code: 'SAS_E_ARGUMENT',
    });
    t.throws(() => verifySasToken(token, { ...options, maxLifetimeSeconds: NaN }, { clock }), {
      code: 'SAS_E_ARGUMENT',
    });
    const broken: SasRule[] = [{ ...rules[0], scope: 'not a uri' } as SasRule];
    t.throws(() => verifySasToken(token, { ...options, rules: broken }, { clock }), {
      code: 'SAS_E_ARGUMENT',
    });
    t.end();
  });

  await t.test('refuses an sr that is not a usable resource with SAS_E_FORMAT', (t) => {
    const token = tokenFor('root', 'root-key', 'ftp://unit.servicebus.windows.net/q');
    t.throws(() => verifySasToken(token, options, { clock }), { code: 'SAS_E_FORMAT' });
    t.end();
  });

  await t.test('tries every rule of the same name and uses the one whose key signed', (t) => {
    const twins: SasRule[] = [
      { keyName: 'twin', key: 'key-a', rights: new Set(['Listen']), scope: `${NS}/` },
      { keyName: 'twin', key: 'key-b', rights: new Set(['Send']), scope: `${NS}/q` },
    ];
    const grant = verifySasToken(
      tokenFor('twin', 'key-b'),
      { ...options, rules: twins },
      { clock },
    );
    t.same([...grant.rights], ['Send']);
    t.throws(
      () =>
        verifySasToken(
          tokenFor('twin', 'key-b'),
          { ...options, right: 'Listen', rules: twins },
          { clock },
        ),
      { code: 'SAS_E_RIGHTS' },
    );
    t.end();
  });

  await t.test('checks the signature before expiry, so a forged old token says SIGNATURE', (t) => {
    const forged = tokenFor('root', 'wrong-key', `${NS}/q`, -100);
    t.throws(() => verifySasToken(forged, options, { clock }), { code: 'SAS_E_SIGNATURE' });
    t.end();
  });

  await t.test('a zero lifetime policy refuses every unexpired token', (t) => {
    t.throws(
      () =>
        verifySasToken(
          tokenFor('root', 'root-key'),
          { ...options, maxLifetimeSeconds: 0 },
          { clock },
        ),
      { code: 'SAS_E_LIFETIME' },
    );
    t.end();
  });

  await t.test('the grant is frozen', (t) => {
    t.ok(Object.isFrozen(verifySasToken(tokenFor('root', 'root-key'), options, { clock })));
    t.end();
  });

  await t.test('errors never carry a key or a signature', (t) => {
    const keys = rules.map((r) => r.key);
    const sig = parseSasToken(tokenFor('root', 'root-key')).sig;
    const edited = fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1 })).map(([at, c]) => {
      const token = tokenFor('root', 'root-key');
      const i = at % token.length;
      return token.slice(0, i) + c + token.slice(i + 1);
    });
    fc.assert(
      fc.property(edited, (text) => {
        try {
          verifySasToken(text, options, { clock });
          return true;
        } catch (e) {
          if (!(e instanceof SasError)) return false;
          const shown = JSON.stringify({ message: e.message, details: e.details });
          return ![...keys, sig, encodeURIComponent(sig)].some((s) => shown.includes(s));
        }
      }),
      { seed: 0x5eed, numRuns: 1000 },
    );
    t.pass('no key or signature in 1000 refusals');
    t.end();
  });
});

void t.test('SasError and the SAS_E_* catalogue', async (t) => {
  await t.test('SasError is a RelaycheckError carrying its wire hints', (t) => {
    const e = new SasError('SAS_E_RIGHTS', 'x', { right: 'Send' });
    t.ok(isRelaycheckError(e));
    t.equal(e.name, 'SasError');
    t.equal(e.http, 403);
    t.equal(e.amqp, 'amqp:unauthorized-access');
    t.same(e.details, { right: 'Send' });
    t.end();
  });

  await t.test('bad, missing, expired and forged tokens are 401; scope and rights are 403', (t) => {
    const http = Object.fromEntries(SAS_ERRORS.codes.map((c) => [c, SAS_ERRORS.specs[c].http]));
    t.same(http, {
      SAS_E_MISSING: 401,
      SAS_E_TOO_LONG: 401,
      SAS_E_FORMAT: 401,
      SAS_E_KEYNAME: 401,
      SAS_E_SIGNATURE: 401,
      SAS_E_EXPIRED: 401,
      SAS_E_LIFETIME: 401,
      SAS_E_RESOURCE: 403,
      SAS_E_RIGHTS: 403,
      SAS_E_ARGUMENT: 500,
    });
    t.end();
  });

  await t.test('docs/errors.md lists exactly the SAS_E_* codes, with their http and amqp', (t) => {
    const doc = readFileSync(join(__dirname, '../../docs/errors.md'), 'utf8');
    const section = doc.split('## Shared access signatures')[1]?.split('\n## ')[0] ?? '';
    const rows = section
      .split('\n')
      .filter((l) => l.startsWith('| `SAS_E_'))
      .map((l) => l.split('|').map((c) => c.trim()));
    t.same(
      rows.map((r) => r[1]),
      SAS_ERRORS.codes.map((c) => `\`${c}\``),
    );
    for (const r of rows) {
      const code = (r[1] ?? '').replace(/`/g, '') as (typeof SAS_ERRORS.codes)[number];
      t.equal(r[3], String(SAS_ERRORS.specs[code].http), `${code} http`);
      t.equal(r[4], `\`${SAS_ERRORS.specs[code].amqp ?? ''}\``, `${code} amqp`);
    }
    t.end();
  });
});

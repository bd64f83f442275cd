// `relaycheck keys`: fresh secrets. In: a tenant id, or SAS rule options. Out: the new
// material on stdout only, in the config format (JSON). Never written anywhere else.
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError, type Command } from 'commander';
import { TENANT_PATTERN } from '../../../relay/src/protocol/primitives';
import type { ExitBox, Io } from '../main';
import { listOf } from '../parse';

const KEY_NAME = /^[A-Za-z0-9._-]{1,256}$/;
const RIGHTS = ['Listen', 'Send', 'Manage'] as const;

function tenantId(raw: string): string {
  if (!TENANT_PATTERN.test(raw)) {
    throw new InvalidArgumentError('a tenant id is 3 to 64 characters of a-z, 0-9 and -');
  }
  return raw;
}

/** A key id: the UTC date and 6 random hex digits, e.g. 20261122-3fa9c1. */
export function newKid(now: Date, random: (n: number) => Buffer = randomBytes): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `${day}-${random(3).toString('hex')}`;
}

export function registerKeys(program: Command, io: Io, _exit: ExitBox): void {
  const keys = program
    .command('keys')
    .description('generate secrets: a tenant handshake key or a SAS key')
    .addHelpText('after', '\nExample:\n  $ relaycheck keys tenant council-42\n');

  keys
    .command('tenant')
    .description('a new 32-byte handshake secret and key id for a tenant')
    .argument('<tenantId>', 'the council tenant id ([a-z0-9-]{3,64})', tenantId)
    .addHelpText(
      'after',
      '\nThe secret goes on stdout only; put it in the relay config and the tenant config.\n' +
        'During a rotation both key ids stay active until the old one is retired.\n' +
        '\nExample:\n  $ relaycheck keys tenant council-42 > council-42.key.json\n',
    )
    .action((tenant: string) => {
      const entry = {
        tenant,
        kid: newKid(new Date()),
        key: randomBytes(32).toString('base64'),
        state: 'active',
      };
      io.out(JSON.stringify(entry, null, 2) + '\n');
    });

  keys
    .command('sas')
    .description('a new SAS authorization rule key (256 random bits, base64)')
    .option(
      '--name <keyName>',
      'the rule name',
      (raw: string) => {
        if (!KEY_NAME.test(raw)) throw new InvalidArgumentError('use 1-256 of A-Z a-z 0-9 . _ -');
        return raw;
      },
      'relaycheck',
    )
    .option('--rights <rights>', 'Listen, Send and/or Manage', listOf(RIGHTS, 'right'))
    .addHelpText(
      'after',
      '\nExample:\n  $ relaycheck keys sas --name relay-listen --rights Listen\n',
    )
    .action((opts: { name: string; rights?: (typeof RIGHTS)[number][] }) => {
      const rule = {
        keyName: opts.name,
        key: randomBytes(32).toString('base64'),
        rights: opts.rights ?? ['Listen', 'Send'],
      };
      io.out(JSON.stringify(rule, null, 2) + '\n');
    });
}

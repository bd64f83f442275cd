// The timeline's actions, carried out on a running world and relay. In: one planned action, the
// run's context (world, the relay under test, the tenant keys, the file share's mount, the speed
// factor). Out: the change made (firewall rules, DNS answers, network toxics, back-office fault
// rules, Service Bus and Azure Relay faults, relay kills and restarts, key rotation, a full or
// read-only share) and a line for the timeline saying what was done. IO edge.
import { randomBytes } from 'node:crypto';
import type { World } from '../../../simulator/src/world';
import type { RulesetInput } from '../../../simulator/src/network';
import { scaleDurations } from './scale';
import type { ActionArgs, ActionName } from './schema';
import type { ShareMount } from './share';

/** The relay under test as the actions drive it (run.ts owns the child processes). */
export interface RelayControl {
  /** Signals the current relay and waits for its exit; 'none' leaves it running. */
  stop(signal: 'kill' | 'term' | 'none'): Promise<string>;
  /** Starts a new relay on the run's config, with a clock offset and a key choice. */
  start(options: {
    readonly clockOffsetMs: number;
    readonly keys: 'unchanged' | 'current' | 'retired-only';
    /** 'session': resolve only once the new relay's first handshake has an outcome. */
    readonly wait?: 'ready' | 'session';
  }): Promise<string>;
}

/** The tenant's handshake keys over the run: the world's first, then any added. */
export interface KeyRing {
  readonly keys: { readonly kid: string; readonly secret: Buffer; retired: boolean }[];
}

export interface ActionContext {
  readonly world: World;
  readonly factor: number;
  readonly relay: RelayControl;
  readonly keys: KeyRing;
  readonly share: ShareMount | undefined;
  /** The firewall's rules at the start, as input (what `restore` goes back to). */
  readonly startRules: RulesetInput;
  /** Addresses outside the relay's allowed ranges, by host kind, for `dns: move outside`. */
  readonly outsideAddress: (host: 'servicebus' | 'relay') => string;
  readonly hosts: { readonly servicebus: string; readonly relay: string };
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`the world has no ${what}`);
  return v;
}

/** "+5m" → 300000. */
export function offsetMs(text: string | undefined): number {
  if (text === undefined) return 0;
  const m = /^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (m === null) throw new Error(`not a clock offset: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[3] as 'ms' | 's' | 'm' | 'h'];
  return (m[1] === '-' ? -1 : 1) * Math.round(Number(m[2]) * unit);
}

/** The world's firewall rules now, as input for firewall.set(). */
export function rulesAsInput(world: World): RulesetInput {
  const fw = need(world.network, 'network model').firewall.ruleset;
  return {
    defaultPolicy: fw.defaultPolicy,
    rules: fw.rules.map((r) => ({
      name: r.name,
      verdict: r.verdict,
      destination: r.destination,
      ports:
        r.ports === undefined
          ? 'any'
          : r.ports.map((p) => (p.from === p.to ? p.from : `${String(p.from)}-${String(p.to)}`)),
      ...(r.comment === undefined ? {} : { comment: r.comment }),
    })),
  };
}

type Runner<K extends ActionName> = (
  args: ActionArgs[K],
  ctx: ActionContext,
) => Promise<string> | string;

const RUNNERS: { [K in ActionName]: Runner<K> } = {
  firewall: async (args, ctx) => {
    const model = need(ctx.world.network, 'network model');
    if ('restore' in args) {
      await model.firewall.set(ctx.startRules, { existing: 'apply' });
      return 'firewall: the starting rules again';
    }
    if ('ruleset' in args) {
      await model.firewall.set(args.ruleset, { existing: args.existing });
      return `firewall: rules replaced (${String(args.ruleset.rules.length)} rules)`;
    }
    const ports = args.block.map(String);
    await model.firewall.set(
      {
        defaultPolicy: ctx.startRules.defaultPolicy,
        rules: [
          {
            name: `scenario-${args.verdict}`,
            verdict: args.verdict,
            destination: 'any',
            ports,
            comment: 'a scenario step',
          },
          ...(ctx.startRules.rules ?? []),
        ],
      },
      { existing: args.existing },
    );
    return `firewall: ${args.verdict === 'drop' ? 'drop' : 'refuse'} ${ports.join(', ')} (open connections ${args.existing === 'apply' ? 'cut' : 'kept'})`;
  },
  dns: async (args, ctx) => {
    const model = need(ctx.world.network, 'network model');
    const host = ctx.hosts[args.host];
    const old = model.dns.record(host).addresses;
    const from = old.join(', ');
    const to =
      args.move === 'inside'
        ? model.dns.move(host).addresses.join(', ')
        : model.dns.setAnswer(host, [ctx.outsideAddress(args.host)]).addresses.join(', ');
    await model.settled();
    if (args.retireOld) {
      for (const address of old) {
        const name = `retired-${address.replace(/[^A-Za-z0-9.]/g, '_')}`;
        if (model.faults.list().some((f) => f.name === name)) continue;
        await model.faults.add({ name, type: 'down', endpoint: { address } });
      }
    }
    return `dns: ${host} moved ${args.move} the allowed ranges: ${from} → ${to}${args.retireOld ? ` (${from} retired)` : ''}`;
  },
  network: async (args, ctx) => {
    const model = need(ctx.world.network, 'network model');
    if ('remove' in args) {
      await model.faults.remove(args.remove);
      return `network: toxic ${args.remove} removed`;
    }
    const f = await model.faults.add(args.add);
    const where = Object.entries(f.endpoint)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
    return `network: toxic ${f.name} (${f.type} ${JSON.stringify(f.attributes)}) on ${where === '' ? 'every endpoint' : where}`;
  },
  backOffice: (args, ctx) => {
    const bo = need(ctx.world.backOffice, 'back office');
    if ('clear' in args) {
      bo.faults.clear(args.service);
      return `back office: ${args.service} healthy again (faults cleared)`;
    }
    const rules = args.faults.map((r) => scaleDurations(r, ctx.factor));
    bo.faults.set(args.service, rules);
    const what = args.faults
      .map((r) => {
        const a = r.action;
        const kind = a.type === 'status' ? String(a.status) : a.type;
        const extra = [
          r.probability !== undefined ? `1 in ${String(Math.round(1 / r.probability))}` : '',
          r.forMs !== undefined ? `for ${String(r.forMs / 1000)}s` : '',
          r.delay !== undefined ? `delay ${r.delay.type}` : '',
        ].filter((x) => x !== '');
        return `${kind}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
      })
      .join('; ');
    return `back office: ${args.service} → ${what}`;
  },
  serviceBus: (args, ctx) => {
    const sb = need(ctx.world.serviceBus, 'Service Bus');
    if ('cbs' in args) {
      sb.faults.refuseCbs = args.cbs ?? undefined;
      return args.cbs === null
        ? 'service bus: put-token verified again'
        : `service bus: every put-token answered ${String(args.cbs)}`;
    }
    if ('dropConnections' in args) {
      return `service bus: ${String(sb.dropConnections())} AMQP connections dropped`;
    }
    if ('lockLoss' in args) {
      return `service bus: ${String(sb.engine.forceLockLoss('all'))} message locks lost`;
    }
    sb.faults.serverBusy = args.serverBusy ? true : undefined;
    sb.faults.serverBusyEntities = args.serverBusy ? args.entities : undefined;
    const which = args.entities === undefined ? 'every' : `${args.entities.join(', ')}:`;
    return args.serverBusy
      ? `service bus: server busy (${which} receive and settlement refused: throttling)`
      : 'service bus: throttling over';
  },
  hybrid: (_args, ctx) => {
    const hc = need(ctx.world.hybrid, 'Azure Relay');
    return `azure relay: ${String(hc.endpoint.expireTokens({}))} listener tokens expired (1008)`;
  },
  relay: async (args, ctx) => {
    const stopped = await ctx.relay.stop(args.signal);
    if (!args.start) return `relay: ${stopped}`;
    const started = await ctx.relay.start({
      clockOffsetMs: offsetMs(args.clockOffset),
      keys: args.keys,
      wait: args.wait,
    });
    return `relay: ${stopped === '' ? '' : `${stopped}; `}${started}`;
  },
  tenantKeys: (args, ctx) => {
    const tenant = need(ctx.world.tenant, 'tenant');
    if ('add' in args) {
      const secret = randomBytes(32);
      tenant.addKey(args.add, secret);
      ctx.keys.keys.push({ kid: args.add, secret, retired: false });
      return `tenant: key ${args.add} added (rotation begins; both keys accepted)`;
    }
    const k = ctx.keys.keys.find((x) => x.kid === args.retire);
    if (k === undefined) throw new Error(`the tenant has no key ${args.retire}`);
    const ended = tenant.retireKey(args.retire);
    k.retired = true;
    return `tenant: key ${args.retire} retired (${String(ended.length)} sessions on it ended)`;
  },
  share: async (args, ctx) => {
    const share = ctx.share;
    if (share === undefined) throw new Error('this run has no mounted file share');
    await share.set(args.state);
    return `file share: ${args.state}`;
  },
};

/** Carries out one action; resolves with its timeline line. */
export function runAction<K extends ActionName>(
  action: K,
  args: ActionArgs[K],
  ctx: ActionContext,
): Promise<string> {
  return Promise.resolve((RUNNERS[action] as Runner<K>)(args, ctx));
}

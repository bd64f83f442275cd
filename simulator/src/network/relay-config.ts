// The "relay config" the network model exports: what a relay under test needs to dial
// logical endpoints unchanged. In: the DNS model's answers and the endpoint proxies. Out: a
// JSON document (shape below, documented in docs/network-model.md): the relay resolves a
// name (hosts, or the injected resolver), checks the logical address against its egress
// policy, then dials the loopback `dial` target of that logical address:port.
import { z } from 'zod';

export const RELAY_CONFIG_VERSION = 1;

const dial = z.strictObject({ host: z.string(), port: z.int().min(1).max(65535) });

export const relayConfigSchema = z.strictObject({
  version: z.literal(RELAY_CONFIG_VERSION),
  /** Current DNS answers, like a hosts file, for a relay in another process. */
  hosts: z.array(z.strictObject({ name: z.string(), addresses: z.array(z.string()) })),
  /** Every logical endpoint the simulator serves, with the loopback port standing for it. */
  endpoints: z.array(
    z.strictObject({
      host: z.string(),
      logicalAddress: z.string(),
      port: z.int().min(1).max(65535),
      dial,
      /** false: an address the name answered before (a move, a poisoned answer). */
      current: z.boolean(),
    }),
  ),
});

export type RelayConfig = z.infer<typeof relayConfigSchema>;
export type RelayEndpoint = RelayConfig['endpoints'][number];

/** The dial target for a logical address and port, or undefined when none is served. */
export function dialTarget(
  config: RelayConfig,
  logicalAddress: string,
  port: number,
): { host: string; port: number } | undefined {
  return config.endpoints.find((e) => e.logicalAddress === logicalAddress && e.port === port)?.dial;
}

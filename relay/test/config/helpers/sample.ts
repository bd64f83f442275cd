// A valid relay config and the environment its env: references need, with secrets drawn at
// run time. In: nothing. Out: fresh objects for each call, so a test may mutate its copy, and
// the secret values themselves so a test can check they never appear in output.
import { randomBytes } from 'node:crypto';

export interface Sample {
  readonly config: Record<string, unknown>;
  readonly env: Record<string, string>;
  /** Every secret value (tenant keys in base64, SAS keys). */
  readonly secrets: readonly string[];
}

export function sample(): Sample {
  const tenantKey = randomBytes(32).toString('base64');
  const sbKey = randomBytes(32).toString('base64');
  const hcKey = randomBytes(32).toString('base64');
  return {
    env: { RC_TENANT_KEY: tenantKey, RC_SB_KEY: sbKey, RC_HC_KEY: hcKey },
    secrets: [tenantKey, sbKey, hcKey],
    config: {
      version: 1,
      instanceId: 'relay-test',
      tenant: { id: 'council-42', keys: [{ kid: 'k1', secret: 'env:RC_TENANT_KEY' }] },
      serviceBus: {
        host: 'council-42.servicebus.windows.net',
        keyName: 'relay',
        key: 'env:RC_SB_KEY',
      },
      hybrid: {
        host: 'council-42-relay.servicebus.windows.net',
        keyName: 'relay',
        key: 'env:RC_HC_KEY',
        paths: ['council-tax'],
      },
      egress: { ranges: { prefixes: ['51.140.0.0/15'] } },
      backOffice: { 'council-tax': 'http://127.0.0.1:18080' },
      routes: [{ name: 'council-tax', service: 'council-tax' }],
    },
  };
}

/** Sets `value` at `path` in `obj` (creating objects on the way); undefined deletes. */
export function setPath(
  obj: Record<string, unknown>,
  path: readonly (string | number)[],
  value: unknown,
): void {
  let cur = obj as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) {
    const next = cur[seg];
    if (typeof next !== 'object' || next === null) cur[seg] = {};
    cur = cur[seg] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (last === undefined) return;
  if (value === undefined) {
    if (Array.isArray(cur) && typeof last === 'number') cur.splice(last, 1);
    else Reflect.deleteProperty(cur, last);
  } else cur[last] = value;
}

// The down fault. In: an endpoint selector. Out: every matching endpoint refuses connections
// (its loopback listener is closed, so a dial gets ECONNREFUSED, as from a closed port) and
// its open connections are closed, until the fault is removed. It acts on the listener, not
// on a connection: its toxicity must be 1 and its direction is ignored.
import { z } from 'zod';
import { passThrough, type FaultKind } from './core';

const attributes = z.strictObject({});

export const down: FaultKind<z.infer<typeof attributes>> = {
  type: 'down',
  scope: 'endpoint',
  summary: 'the endpoint refuses connections (ECONNREFUSED); open ones are closed',
  attributes,
  create: (_a, ctx) => passThrough(ctx),
};

// Defect unbounded-probe (FAULT-002): the connectivity probe has no time bound of its own: it
// waits for the TLS handshake as long as the connection takes. Against a firewall that drops
// (accepts nothing, answers nothing) the probe round never ends, so the relay never falls back
// to 443 nor says why.
'use strict';
const { relayModule } = require('../defect-kit.js');

/** An hour: longer than any scenario runs. */
const NO_BOUND_MS = 3_600_000;

module.exports = {
  description:
    'its connectivity probe waits for the TLS handshake as long as the connection takes (no probe timeout), so a dropping firewall holds the probe round and the fallback forever',
  patches: [
    {
      module: relayModule('connectivity/probe'),
      patch(exports) {
        const prober = exports.egressProber;
        exports.egressProber = (egress) => {
          const probe = prober(egress);
          return (target, options) => probe(target, { ...options, timeoutMs: NO_BOUND_MS });
        };
      },
    },
  ],
};

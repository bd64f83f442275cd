// Defect lan-sized-deadline (FAULT-013): the relay's Hybrid Connections request deadline is sized
// for a LAN (15 s from the request's arrival to its response status) instead of just under
// Azure's 60 s. On a 256 kbit/s line a 1 MB PDF takes about 32 s to come down the rendezvous
// socket, so the relay gives up on it (503 RELAY_E_HC_DEADLINE) while it is still arriving.
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    'its Hybrid Connections request deadline is 15 s (sized for a LAN), so a large body on a slow line runs out of time',
  patches: [
    {
      module: relayModule('transports/hc-config'),
      patch(exports) {
        const parse = exports.parseHcListenerConfig;
        exports.parseHcListenerConfig = (input) =>
          Object.freeze({ ...parse(input), responseDeadlineMs: 15_000 });
      },
    },
  ],
};

// Defect never-renews-hc-token (FAULT-011): the relay's Hybrid Connections listeners never renew
// their SAS token on the open control channel (the renewal is scheduled far beyond the token's
// lifetime), so every channel is closed by the service with 1008 when its token runs out.
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    'the Hybrid Connections listeners never renew their SAS token, so the service closes each control channel (1008) when its token runs out',
  patches: [
    {
      module: relayModule('transports/hc-config'),
      patch(exports) {
        const parse = exports.parseHcListenerConfig;
        exports.parseHcListenerConfig = (input) =>
          Object.freeze({ ...parse(input), renewAtFraction: 1000 });
      },
    },
  ],
};

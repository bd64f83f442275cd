// Defect unnamed-range (FAULT-003): the relay refuses an address outside its ranges without
// saying which range is missing: no word of what was allowed, nor of where Microsoft's file
// publishes the address (the refusal as it was before the relay named it).
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    'it refuses an address outside its ranges without naming what was allowed nor where the service-tag file publishes the address',
  patches: [
    {
      module: relayModule('egress/explain'),
      patch(exports) {
        exports.outsideExplainer = () => () => '';
      },
    },
  ],
};

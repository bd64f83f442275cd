// Defect no-clock-diagnosis (FAULT-009): the relay never reads its clock against the
// namespace's, so a REJECT caused by a clock outside the skew window is reported as a key
// problem ("check that key id k1 is active") and a drifting clock goes unmentioned.
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    "the relay never reads its clock against the namespace's: a REJECT for a clock outside the 120 s window is reported as a key problem, and a drifting clock goes unmentioned",
  patches: [
    {
      module: relayModule('messaging/clock-skew'),
      patch(exports) {
        exports.readClockSkew = () => undefined;
      },
    },
  ],
};

// Defect sticky-https (FAULT-001): once the relay has fallen back to 443 it never goes back to
// TCP: its mode choice keeps https even when the TCP path works again.
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    'once it has fallen back to 443 the relay never goes back to TCP (its mode choice keeps https even when the TCP path works again)',
  patches: [
    {
      module: relayModule('connectivity/modes'),
      patch(exports) {
        const choose = exports.chooseMode;
        let fellBack = false;
        exports.chooseMode = (results, configured) => {
          const choice = choose(results, configured);
          if (choice.mode === 'https') fellBack = true;
          if (fellBack && choice.mode === 'tcp') {
            return Object.freeze({ ...choice, mode: 'https', reason: 'https (sticky)' });
          }
          return choice;
        };
      },
    },
  ],
};

// Defect permanent-503 (FAULT-004): the relay takes a back office's 503 Service Unavailable for
// a permanent refusal, as if it were a 4xx: the work is dead-lettered on the first answer
// instead of being retried and held until the service is back.
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    "the relay takes a back office's 503 for a permanent refusal and dead-letters the work at once instead of retrying it and holding it until the service is back",
  patches: [
    {
      module: relayModule('work/backoffice/policy'),
      patch(exports) {
        const classify = exports.classifyStatus;
        exports.classifyStatus = (status) => (status === 503 ? 'permanent' : classify(status));
      },
    },
  ],
};

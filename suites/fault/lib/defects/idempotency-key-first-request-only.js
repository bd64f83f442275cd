// Defect idempotency-key-first-request-only (FAULT-006): the relay sends a message's
// Idempotency-Key with its first request to the back office only; a retry (after a reset, a
// timeout, or a redelivery) goes without it. A retry after an answer lost on the way back is
// then a new submission to the back office: the effect is duplicated.
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    "the relay sends a message's Idempotency-Key with its first request only, so a retry after a lost answer makes a second submission",
  patches: [
    {
      module: relayModule('work/backoffice/client'),
      patch(exports) {
        const create = exports.createBackOfficeClient;
        exports.createBackOfficeClient = (input, deps = {}) => {
          const sent = new Set();
          const fetch = (url, init) => {
            const headers = { ...init.headers };
            const key = headers['idempotency-key'];
            if (key !== undefined) {
              if (sent.has(key)) delete headers['idempotency-key'];
              else sent.add(key);
            }
            return globalThis.fetch(url, { ...init, headers });
          };
          return create(input, { ...deps, fetch });
        };
      },
    },
  ],
};

// Defect swallows-failures (FAULT-015): the relay turns a back-office call that still fails
// after its retries into a success: it answers 201 with an empty receipt and completes the
// message. A poison message is silently lost (the tenant is told it arrived) instead of being
// given back until the broker dead-letters it.
'use strict';
const { Buffer } = require('node:buffer');
const { Readable } = require('node:stream');
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    'the relay answers a message whose back-office call still fails after its retries with success and completes it, so a poison message is lost instead of dead-lettered',
  patches: [
    {
      module: relayModule('work/router'),
      patch(exports) {
        const create = exports.createRouter;
        exports.createRouter = (...args) => {
          const router = create(...args);
          return Object.freeze({
            ...router,
            async perform(work) {
              try {
                return await router.perform(work);
              } catch (e) {
                if (
                  e === null ||
                  typeof e !== 'object' ||
                  e.code !== 'RELAY_E_BACKOFFICE_TRANSIENT'
                ) {
                  throw e;
                }
                return {
                  status: 201,
                  headers: { 'content-type': 'application/xml' },
                  body: Readable.from([Buffer.from('<Receipt/>')]),
                  outcome: 'success',
                  service: work.route,
                };
              }
            },
          });
        };
      },
    },
  ],
};

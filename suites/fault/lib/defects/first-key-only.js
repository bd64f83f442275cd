// Defect first-key-only (FAULT-010): the relay only ever uses the first tenant key of its
// config: it handshakes under it, but ignores the second one, so the work sealed under the old
// key during a rotation cannot be opened (ENV_E_KID) and is refused.
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    'the relay only ever uses the first tenant key of its config and ignores the second, so during a rotation the work sealed under the old key cannot be opened',
  patches: [
    {
      module: relayModule('messaging/keys'),
      patch(exports) {
        const proto = exports.TenantKeys.prototype;
        const get = proto.get;
        proto.get = function get1(kid) {
          return kid === this.primary.kid ? get.call(this, kid) : undefined;
        };
      },
    },
  ],
};

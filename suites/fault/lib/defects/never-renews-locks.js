// Defect never-renews-locks (FAULT-005): the relay never renews the lock of a message it works
// on: the Service Bus SDK's automatic renewal is off and the renewal before a retry wait does
// nothing. A message held longer than its lock (a slow back office, a queue for a slot) is
// redelivered while the relay still works on it.
'use strict';
const { relayModule } = require('../defect-kit.js');

/** The client with receivers that never renew a message's lock. */
function withoutRenewal(client) {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'createReceiver') {
        return (entity, options = {}) => {
          const receiver = target.createReceiver(entity, {
            ...options,
            maxAutoLockRenewalDurationInMs: 0,
          });
          return new Proxy(receiver, {
            get(r, p) {
              if (p === 'renewMessageLock') return (m) => Promise.resolve(m.lockedUntilUtc);
              const v = Reflect.get(r, p, r);
              return typeof v === 'function' ? v.bind(r) : v;
            },
          });
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

module.exports = {
  description:
    'the relay never renews the lock of a message it works on, so a message held longer than its lock is redelivered while the relay still works on it',
  patches: [
    {
      module: relayModule('messaging/sb'),
      patch(exports) {
        const factory = exports.clientFactory;
        exports.clientFactory = (source) => {
          const get = factory(source);
          const wrapped = new WeakMap();
          return () => {
            const client = get();
            let w = wrapped.get(client);
            if (w === undefined) {
              w = withoutRenewal(client);
              wrapped.set(client, w);
            }
            return w;
          };
        };
      },
    },
  ],
};

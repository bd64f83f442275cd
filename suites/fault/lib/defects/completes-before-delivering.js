// Defect completes-before-delivering (FAULT-008): the relay settles each Service Bus request
// (completes it) as soon as it receives it, then does the work: a relay killed in between has
// lost the message for good (the broker has forgotten it, nobody answers the tenant). The
// relay's own later complete, abandon or dead-letter of that message is made a no-op.
'use strict';
const { relayModule } = require('../defect-kit.js');

/** The work receiver's queue (the relay config's default serviceBus.entities.requests). */
const REQUESTS = 'requests';

function bound(target, prop) {
  const v = Reflect.get(target, prop, target);
  return typeof v === 'function' ? v.bind(target) : v;
}

function completingFirst(receiver) {
  const settled = new WeakSet();
  const settle = ['completeMessage', 'abandonMessage', 'deadLetterMessage', 'deferMessage'];
  return new Proxy(receiver, {
    get(target, prop) {
      if (prop === 'subscribe') {
        return (handlers, options) =>
          target.subscribe(
            {
              ...handlers,
              processMessage: async (message) => {
                await target.completeMessage(message);
                settled.add(message);
                return handlers.processMessage(message);
              },
            },
            options,
          );
      }
      if (settle.includes(prop)) {
        return (message, ...rest) =>
          settled.has(message) ? Promise.resolve() : target[prop](message, ...rest);
      }
      if (prop === 'renewMessageLock') {
        return (message) =>
          settled.has(message) ? Promise.resolve(new Date()) : target.renewMessageLock(message);
      }
      return bound(target, prop);
    },
  });
}

module.exports = {
  description:
    'the relay completes each Service Bus request when it receives it, before doing the work (a relay killed in between loses the message)',
  patches: [
    {
      module: relayModule('messaging/sb'),
      patch(exports) {
        const factory = exports.clientFactory;
        const wrapped = new WeakMap();
        const wrap = (client) => {
          let proxy = wrapped.get(client);
          if (proxy === undefined) {
            proxy = new Proxy(client, {
              get(target, prop) {
                if (prop === 'createReceiver') {
                  return (entity, options) => {
                    const r = target.createReceiver(entity, options);
                    return entity === REQUESTS ? completingFirst(r) : r;
                  };
                }
                return bound(target, prop);
              },
            });
            wrapped.set(client, proxy);
          }
          return proxy;
        };
        exports.clientFactory = (source) => {
          const get = factory(source);
          return () => wrap(get());
        };
      },
    },
  ],
};

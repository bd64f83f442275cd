// Defect ignores-server-busy (FAULT-014): the relay ignores Service Bus throttling. Its requests
// receiver never sees server busy (the errors are swallowed before the relay's handler), so the
// relay neither backs off nor closes the receiver: the SDK, left alone, attaches a link detached
// with server busy again at once, in a loop.
'use strict';
const { relayModule } = require('../defect-kit.js');

/** The receiver with ServiceBusy errors kept from the relay's processError. */
function deafReceiver(receiver) {
  const subscribe = receiver.subscribe.bind(receiver);
  receiver.subscribe = (handlers, options) =>
    subscribe(
      {
        ...handlers,
        processError: (args) =>
          args.error !== null && typeof args.error === 'object' && args.error.code === 'ServiceBusy'
            ? Promise.resolve()
            : handlers.processError(args),
      },
      options,
    );
  return receiver;
}

module.exports = {
  description:
    'the relay ignores Service Bus throttling: it does not back off, and the SDK left alone re-attaches its receiver at once, in a loop',
  patches: [
    {
      module: relayModule('messaging/sb'),
      patch(exports) {
        const factory = exports.clientFactory;
        // One proxy per client: the relay tells a new client from the old one by identity.
        const proxies = new WeakMap();
        const deaf = (client) => {
          let proxy = proxies.get(client);
          if (proxy === undefined) {
            proxy = new Proxy(client, {
              get(target, prop) {
                const value = Reflect.get(target, prop, target);
                if (prop === 'createReceiver') {
                  return (...args) => deafReceiver(target.createReceiver(...args));
                }
                return typeof value === 'function' ? value.bind(target) : value;
              },
            });
            proxies.set(client, proxy);
          }
          return proxy;
        };
        exports.clientFactory = (source) => {
          const current = factory(source);
          return () => deaf(current());
        };
      },
    },
  ],
};

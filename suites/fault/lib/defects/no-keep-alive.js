// Defect no-keep-alive (FAULT-012): the relay has no keep-alive of its own. Its Service Bus
// connection opens with the SDK's fixed idle timeout (60 s, checked at twice that) and nothing
// watches it, and its Hybrid Connections listeners ping their control channels once an hour. A
// half-open connection (a firewall that forgot the flow, no FIN, no RST) then holds the relay
// for minutes: the SDK notices late and reconnects by itself, the control channels never.
'use strict';
const { relayModule } = require('../defect-kit.js');

module.exports = {
  description:
    'it has no keep-alive of its own: the SDK default idle timeout, no watch on the Service Bus connection, and Hybrid Connections pings once an hour',
  patches: [
    {
      module: relayModule('connectivity/servicebus'),
      patch(exports) {
        const clientFor = exports.serviceBusClientFor;
        exports.serviceBusClientFor = (mode, egress, choice = {}) =>
          clientFor(mode, egress, { ...choice, idleTimeoutMs: undefined });
        exports.watchServiceBusConnection = () => () => undefined;
      },
    },
    {
      module: relayModule('transports/hc-config'),
      patch(exports) {
        const parse = exports.parseHcListenerConfig;
        exports.parseHcListenerConfig = (input) =>
          Object.freeze({ ...parse(input), pingIntervalMs: 3_600_000 });
      },
    },
  ],
};

// A child process that drives the real @azure/service-bus SDK against one connection string
// and prints one JSON line. In: SB_CONNECTION_STRING, SB_QUEUE, and the process environment
// (NODE_EXTRA_CA_CERTS is how a Node program trusts the simulator's CA: Node reads it only
// at start-up, hence a child). Out: {"ok":true,"body":...} or {"ok":false,"code":...}.
'use strict';
const { ServiceBusClient } = require('@azure/service-bus');

async function main() {
  const client = new ServiceBusClient(process.env.SB_CONNECTION_STRING, {
    retryOptions: { maxRetries: 0, timeoutInMs: 10000 },
  });
  try {
    const queue = process.env.SB_QUEUE;
    await client.createSender(queue).sendMessages({ body: { via: 'tls' }, messageId: 'tls-1' });
    const receiver = client.createReceiver(queue);
    const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5000 });
    if (msg === undefined) throw new Error('no message came back');
    await receiver.completeMessage(msg);
    return { ok: true, body: msg.body, messageId: msg.messageId };
  } finally {
    await client.close();
  }
}

main().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
  },
  (e) => {
    process.stdout.write(JSON.stringify({ ok: false, code: e.code, message: e.message }) + '\n');
  },
);

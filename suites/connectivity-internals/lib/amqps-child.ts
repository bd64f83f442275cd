// A child process that drives the real SDK over AMQPS (tcp mode) through the egress layer.
// Node reads NODE_EXTRA_CA_CERTS only at start-up and the SDK takes no CA for AMQPS, so the
// simulator's CA reaches it only in a fresh process. In: CONN_SETTINGS (the relay settings as
// JSON, without the key), CONN_SB_KEY (the SAS key, made at run time by the parent),
// CONN_QUEUE. Out: one JSON line on stdout: {ok, body, dials} or {ok: false, code, message}.
import diagnostics from 'node:diagnostics_channel';
import {
  createEgress,
  serviceBusClientFor,
  type ConnectivityConfigInput,
} from '../../../relay/src/connectivity';

async function main(): Promise<Record<string, unknown>> {
  const settings = JSON.parse(process.env.CONN_SETTINGS ?? '{}') as ConnectivityConfigInput;
  const key = process.env.CONN_SB_KEY ?? '';
  const queue = process.env.CONN_QUEUE ?? 'q1';
  const dials: unknown[] = [];
  diagnostics.subscribe('relay:egress:dial', (d) => dials.push(d));
  const egress = await createEgress({ ...settings, serviceBus: { ...settings.serviceBus, key } });
  const client = await serviceBusClientFor('tcp', egress, {
    clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 10_000 } },
  });
  try {
    await client.createSender(queue).sendMessages({ body: { via: 'amqps' }, messageId: 'amqps-1' });
    const receiver = client.createReceiver(queue);
    const [msg] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    if (msg === undefined) throw new Error('no message came back');
    await receiver.completeMessage(msg);
    return { ok: true, body: msg.body as unknown, dials };
  } finally {
    await client.close();
  }
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (e: unknown) => {
    const err = e as { code?: unknown; message?: unknown };
    process.stdout.write(
      `${JSON.stringify({ ok: false, code: String(err.code), message: String(err.message) })}\n`,
    );
  },
);

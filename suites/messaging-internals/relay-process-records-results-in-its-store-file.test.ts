// The relay process and its idempotency store file (issue 7, internals; the DLV cases build on
// it). In: the world, a relay child whose config names idempotency.file, one Service Bus request,
// then a SIGKILL. Out: the back office received the message id as its Idempotency-Key, and the
// record the relay wrote before its reply is in the file after the kill (status, route, body
// digest), so a redelivery would be answered from it. (The world's requests queue has duplicate
// detection, so the same id sent again is dropped by the broker before any relay sees it; the
// relay-side repeat is covered in-process by a-repeated-message-id-executes-once.test.ts.)
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { kill } from 'node:process';
import t from 'tap';
import { openFileIdempotencyStore } from '../../relay/src/work/idempotency';
import { isEvent } from '../lib/relay-child';
import { startRelayWorld } from '../lib/relay-world';

void t.test(
  'the relay records each result in its store file before a SIGKILL can lose it',
  async (t) => {
    const rw = await startRelayWorld(t);
    const tenant = rw.world.tenant;
    const backOffice = rw.world.backOffice;
    const ref = backOffice?.data.councilTax.references[0];
    if (tenant === undefined || backOffice === undefined || ref === undefined)
      throw new Error('world');
    const config = rw.writeRelayConfig('relay-store.json', (c) => {
      c.idempotency = { file: 'idempotency.jsonl' };
    });

    const relay = rw.startRelay(config);
    await rw.live(relay);
    const reply = await tenant.sendWork('council-tax', Buffer.alloc(0), {
      messageId: 'ct-read-1',
      properties: { path: `/accounts/${ref}` },
    });
    t.equal(reply.status, 200);
    await relay.waitFor(isEvent('relay:work', { outcome: 'completed' }), 'the completion');
    const entry = backOffice.journal.find({ service: 'council-tax', path: `/accounts/${ref}` });
    t.equal(
      entry?.headers['idempotency-key'],
      'ct-read-1',
      'the message id reached the back office as Idempotency-Key',
    );

    kill(relay.pid, 'SIGKILL');
    await relay.exited;
    const store = await openFileIdempotencyStore(join(rw.dir, 'idempotency.jsonl'));
    t.teardown(() => store.close());
    const record = store.get('ct-read-1');
    t.equal(record?.route, 'council-tax', 'the record survived the SIGKILL');
    t.equal(record?.status, 200);
    t.equal(
      record?.bodySha256,
      createHash('sha256').update(reply.body).digest('hex'),
      'it holds the answer the tenant got',
    );
  },
);

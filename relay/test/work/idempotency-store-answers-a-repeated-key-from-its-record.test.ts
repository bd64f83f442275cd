// The idempotency store's rules, for both stores (memory and file). In: records put with an
// injected clock. Out: a repeated key is answered from its record; unknown and expired keys
// are not; the oldest records go beyond maxEntries; a large body keeps only its length and
// sha-256; bad keys, statuses and options are typed errors.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import {
  memoryIdempotencyStore,
  openFileIdempotencyStore,
  type IdempotencyOptions,
  type IdempotencyStore,
  type StoreDeps,
} from '../../src/work/idempotency';

type Make = (
  t: tap.Test,
  options: IdempotencyOptions,
  deps: StoreDeps,
) => Promise<IdempotencyStore>;

const STORES: readonly [string, Make][] = [
  ['memory', (_t, options, deps) => Promise.resolve(memoryIdempotencyStore(options, deps))],
  [
    'file',
    async (t, options, deps) => {
      const dir = mkdtempSync(join(tmpdir(), 'relaycheck-store-'));
      const store = await openFileIdempotencyStore(join(dir, 'store.jsonl'), options, deps);
      t.teardown(async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  ],
];

for (const [label, make] of STORES) {
  void t.test(`${label}: a repeated key is answered from its record`, async (t) => {
    let now = 1_000_000;
    const store = await make(t, { ttlMs: 60_000 }, { now: () => now });
    const body = Buffer.from('<Created ref="CT-1"/>');
    const put = await store.put({
      key: 'msg-1',
      route: 'ctb-intake',
      status: 201,
      contentType: 'application/xml',
      body,
    });
    t.equal(put.at, now, 'stamped with the injected clock');
    const got = store.get('msg-1');
    t.equal(got?.status, 201);
    t.equal(got?.route, 'ctb-intake');
    t.equal(got?.contentType, 'application/xml');
    t.same(got?.body, body, 'the recorded body');
    t.equal(got?.bodySha256, createHash('sha256').update(body).digest('hex'));
    t.equal(store.get('msg-2'), undefined, 'an unknown key has no record');
    now += 60_000;
    t.ok(store.get('msg-1'), 'kept up to ttlMs');
    now += 1;
    t.equal(store.get('msg-1'), undefined, 'forgotten after ttlMs');
  });

  void t.test(`${label}: the oldest records go beyond maxEntries`, async (t) => {
    let now = 1_000;
    const store = await make(t, { maxEntries: 3 }, { now: () => now });
    for (let i = 1; i <= 5; i++) {
      now += 1;
      await store.put({ key: `m-${i}`, route: 'r', status: 200, body: Buffer.alloc(0) });
    }
    t.equal(store.size, 3);
    t.same(
      [1, 2, 3, 4, 5].map((i) => store.get(`m-${i}`) !== undefined),
      [false, false, true, true, true],
    );
    await store.put({ key: 'm-3', route: 'r', status: 500, body: Buffer.alloc(0) });
    await store.put({ key: 'm-6', route: 'r', status: 200, body: Buffer.alloc(0) });
    t.equal(store.get('m-3')?.status, 500, 'a key put again is the newest and replaced');
    t.equal(store.get('m-4'), undefined, 'so m-4 was the oldest');
  });

  void t.test(`${label}: bodies held in memory stay within maxTotalBodyBytes`, async (t) => {
    let now = 1_000;
    const store = await make(t, { maxBodyBytes: 100, maxTotalBodyBytes: 250 }, { now: () => now });
    for (let i = 1; i <= 3; i++) {
      now += 1;
      await store.put({ key: `b-${i}`, route: 'r', status: 200, body: Buffer.alloc(100, i) });
    }
    t.same(
      [1, 2, 3].map((i) => store.get(`b-${i}`) !== undefined),
      [false, true, true],
      'the oldest went when the third body passed 250 bytes',
    );
    t.same(store.get('b-3')?.body, Buffer.alloc(100, 3), 'the newest is kept whole');
  });

  void t.test(`${label}: a body over maxBodyBytes keeps its length and digest only`, async (t) => {
    const store = await make(t, { maxBodyBytes: 16 }, {});
    const body = randomBytes(17);
    const r = await store.put({ key: 'big', route: 'documents', status: 200, body });
    t.ok(r.bodyOmitted);
    t.equal(r.body.length, 0);
    t.equal(r.bodyBytes, 17);
    t.equal(r.bodySha256, createHash('sha256').update(body).digest('hex'));
    const small = await store.put({ key: 'small', route: 'd', status: 200, body: randomBytes(16) });
    t.notOk(small.bodyOmitted, 'exactly maxBodyBytes is kept');
  });

  void t.test(`${label}: bad records are typed errors and change nothing`, async (t) => {
    const store = await make(t, {}, {});
    for (const key of ['', 'x'.repeat(129), 'with space', 'é']) {
      await t.rejects(store.put({ key, route: 'r', status: 200, body: Buffer.alloc(0) }), {
        code: 'RELAY_E_STORE_RECORD',
      });
    }
    for (const status of [99, 600, 200.5]) {
      await t.rejects(store.put({ key: 'k', route: 'r', status, body: Buffer.alloc(0) }), {
        code: 'RELAY_E_STORE_RECORD',
      });
    }
    t.equal(store.size, 0);
  });
}

void t.test('bad options are RELAY_E_STORE_CONFIG naming the option', async (t) => {
  t.throws(() => memoryIdempotencyStore({ maxEntries: 0 }), {
    code: 'RELAY_E_STORE_CONFIG',
    message: /maxEntries/,
  });
  t.throws(() => memoryIdempotencyStore({ ttlMs: 5 }), { code: 'RELAY_E_STORE_CONFIG' });
  t.throws(() => memoryIdempotencyStore({ maxBodyBytes: 1024, maxTotalBodyBytes: 1000 }), {
    code: 'RELAY_E_STORE_CONFIG',
    message: /maxTotalBodyBytes/,
  });
  await t.rejects(openFileIdempotencyStore(''), { code: 'RELAY_E_STORE_CONFIG' });
});

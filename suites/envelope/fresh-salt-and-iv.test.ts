// ENV-025: with the system's randomness every sealed message gets its own 16-byte salt and
// 12-byte iv: none repeats over 10,000 messages, and the same body sealed twice gives
// different bytes. In: the default randomness. Out: tap results.
import { kase } from '../lib/case';
import { sealBody } from '../../relay/src/protocol/envelope';
import { fixedClock, sealParams } from '../fuzz/targets/envelope';

void kase('ENV-025', (t) => {
  const params = sealParams({ deps: { clock: fixedClock() } }); // randomness: the default
  const salts = new Set<string>();
  const ivs = new Set<string>();
  const body = Buffer.from('the same body every time');
  const count = 10_000;
  let lengthsOk = true;
  for (let i = 0; i < count; i++) {
    const { metadata } = sealBody(params, body);
    lengthsOk &&= metadata.salt.length === 16 && metadata.iv.length === 12;
    salts.add(metadata.salt.toString('hex'));
    ivs.add(metadata.iv.toString('hex'));
  }
  t.ok(lengthsOk, 'every salt is 16 bytes and every iv 12 bytes');
  t.equal(salts.size, count, 'no salt repeats');
  t.equal(ivs.size, count, 'no iv repeats');
  t.notSame(sealBody(params, body).sealed, sealBody(params, body).sealed, 'sealing twice differs');
  t.end();
});

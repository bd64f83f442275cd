// A dial refused for its address names the missing range (FAULT-003). In: the egress layer over
// the UK excerpt of ServiceTags_Public with the ServiceBus tags of uksouth and ukwest selected,
// and a resolver whose answer for the Service Bus host moves into AzureCloud.uksouth, then out
// of every published range; the same policy over plain prefixes. Out: RELAY_E_EGRESS_RANGE whose
// message, and the refused relay:egress:dial event's reason, say what was allowed and where the
// source publishes the address (or that it does not); plain prefixes keep the short message.
import { join } from 'node:path';
import t from 'tap';
import { createEgress } from '../../src/connectivity';
import { RANGES, SB_HOST, recordEvents, tableResolver, testSettings } from './helpers/fakes';

const SOURCE = join(
  __dirname,
  '..',
  '..',
  '..',
  'fixtures',
  'service-tags',
  'ServiceTags_Public_excerpt_uk.json',
);

async function egressAnswering(address: string, serviceTags: boolean) {
  return createEgress(
    testSettings({
      egress: {
        ranges: serviceTags
          ? {
              serviceTags: { source: SOURCE, regions: ['uksouth', 'ukwest'], tags: ['ServiceBus'] },
            }
          : { prefixes: RANGES },
      },
    }),
    { networkMap: null, resolver: tableResolver({ [SB_HOST]: [address] }) },
  );
}

void t.test('an address published under another tag: the tag and prefix are named', async (t) => {
  const rec = recordEvents(['relay:egress:dial']);
  t.teardown(rec.stop);
  const egress = await egressAnswering('4.158.0.10', true);
  await t.rejects(egress.plan({ host: SB_HOST, port: 5671, purpose: 'probe' }), {
    code: 'RELAY_E_EGRESS_RANGE',
    message:
      /4\.158\.0\.10 is outside the allowed ranges \(ServiceBus\.UKSouth, ServiceBus\.UKWest of ServiceTags change 367\); that source publishes it in AzureCloud\.uksouth 4\.158\.0\.0\/15: add that tag \(family AzureCloud\)/,
  });
  t.match(
    rec.events.map((e) => e.data),
    [
      {
        verdict: 'refused',
        code: 'RELAY_E_EGRESS_RANGE',
        address: '4.158.0.10',
        reason: /AzureCloud\.uksouth 4\.158\.0\.0\/15/,
      },
    ],
  );
});

void t.test('an address the source does not publish: a stale list is suspected', async (t) => {
  const egress = await egressAnswering('203.0.113.7', true);
  await t.rejects(egress.plan({ host: SB_HOST, port: 443, purpose: 'probe' }), {
    code: 'RELAY_E_EGRESS_RANGE',
    message:
      /203\.0\.113\.7 is outside the allowed ranges \(.*\); that source does not publish it at all: the list may be stale/,
  });
});

void t.test('plain prefixes: the short refusal', async (t) => {
  const egress = await egressAnswering('203.0.113.7', false);
  await t.rejects(egress.plan({ host: SB_HOST, port: 443, purpose: 'probe' }), {
    code: 'RELAY_E_EGRESS_RANGE',
    message: /: 203\.0\.113\.7 is outside the allowed ranges; nothing was dialled$/,
  });
});

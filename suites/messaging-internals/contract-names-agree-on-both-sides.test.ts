// The messaging contract is written down twice: relay/src/messaging/contract.ts (the relay may
// not import the simulator) and simulator/src/cloud/tenant/contract.ts (the simulator may not
// import the relay's messaging). In: both copies. Out: they agree, name for name.
import t from 'tap';
import {
  DEFAULT_ENTITIES,
  HC_REQUEST_HEADERS,
  HELLO_TTL_MS,
  PROPERTY,
  SUBJECT,
} from '../../relay/src/messaging';
import { METADATA_FIELDS } from '../../relay/src/protocol/envelope';
import {
  TENANT_DEFAULT_ENTITIES,
  TENANT_HELLO_TTL_MS,
  TENANT_PROPERTY,
  TENANT_SUBJECT,
} from '../../simulator/src/cloud/tenant';

void t.test(
  'the relay and the tenant driver use the same entity, property and subject names',
  (t) => {
    t.same(TENANT_DEFAULT_ENTITIES, DEFAULT_ENTITIES, 'entities');
    t.same(TENANT_PROPERTY, PROPERTY, 'properties');
    t.same(TENANT_SUBJECT, SUBJECT, 'subjects');
    t.equal(TENANT_HELLO_TTL_MS, HELLO_TTL_MS, 'HELLO time-to-live');
    t.same(
      [...HC_REQUEST_HEADERS].sort(),
      [...Object.values(METADATA_FIELDS), PROPERTY.messageId, PROPERTY.route].sort(),
      'the HC request headers are the envelope metadata plus rc-message-id and rc-route',
    );
    t.end();
  },
);

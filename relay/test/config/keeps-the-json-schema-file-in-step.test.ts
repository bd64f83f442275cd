// docs/relay/config.schema.json is generated from the zod schema (relayConfigJsonSchema) and
// must stay equal to it; the example configs point editors at it. To regenerate, see
// docs/relay/config.md ("JSON Schema").
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { relayConfigJsonSchema } from '../../src/config';

const ROOT = join(__dirname, '..', '..', '..');

void t.test('the committed JSON Schema equals the generated one', (t) => {
  const committed: unknown = JSON.parse(
    readFileSync(join(ROOT, 'docs', 'relay', 'config.schema.json'), 'utf8'),
  );
  t.same(
    committed,
    relayConfigJsonSchema(),
    'regenerate docs/relay/config.schema.json (docs/relay/config.md says how)',
  );
  t.end();
});

void t.test('the schema is draft 2020-12, strict, and names every top-level field', (t) => {
  const schema = relayConfigJsonSchema() as {
    $schema: string;
    additionalProperties: boolean;
    properties: Record<string, unknown>;
    required: string[];
  };
  t.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  t.equal(schema.additionalProperties, false);
  t.same(Object.keys(schema.properties).sort(), [
    '$schema',
    'antivirus',
    'backOffice',
    'connectivity',
    'delivery',
    'egress',
    'health',
    'hybrid',
    'idempotency',
    'instanceId',
    'limits',
    'log',
    'profile',
    'routes',
    'serviceBus',
    'tenant',
    'tls',
    'version',
  ]);
  t.same(schema.required.sort(), ['egress', 'hybrid', 'serviceBus', 'tenant', 'version']);
  t.end();
});

void t.test('each call returns a fresh object', (t) => {
  const a = relayConfigJsonSchema();
  a.title = 'changed';
  t.not(relayConfigJsonSchema().title, 'changed');
  t.end();
});

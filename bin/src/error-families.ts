// Every family of typed error codes in the project, in the order docs/errors.md lists them.
// In: the families declared beside the code that raises them. Out: one list, used by the
// test that keeps docs/errors.md in step with the code.
import type { ErrorFamily } from '../../relay/src/protocol/errors';
import { HANDSHAKE_ERRORS } from '../../relay/src/protocol/handshake';
import { ENVELOPE_ERRORS } from '../../relay/src/protocol/envelope';
import { SAS_ERRORS } from '../../relay/src/protocol/sas';
import { RANGES_ERRORS } from '../../relay/src/egress/errors';
import { FIREWALL_ERRORS } from './firewall/errors';
import { PREFLIGHT_ERRORS } from './preflight/errors';
import { RELAY_HC_ERRORS } from '../../relay/src/transports/errors';
import { RELAY_ROUTE_ERRORS } from '../../relay/src/work/route-path';
import { RELAY_CONTENT_ERRORS } from '../../relay/src/work/content';
import { RELAY_STORE_ERRORS } from '../../relay/src/work/idempotency';
import { RELAY_BACKOFFICE_ERRORS } from '../../relay/src/work/backoffice/errors';
import { RELAY_FILEDROP_ERRORS } from '../../relay/src/work/filedrop/errors';
import { RELAY_AV_ERRORS } from '../../relay/src/work/antivirus/errors';
import { SIM_SB_ERRORS } from '../../simulator/src/cloud/servicebus/engine/errors';
import { SIM_CONTROL_ERRORS } from '../../simulator/src/control/json-http';
import { SIM_AMQP_ERRORS } from '../../simulator/src/cloud/servicebus/amqp/errors';
import { SIM_HC_ERRORS } from '../../simulator/src/cloud/hybrid/errors';
import { SIM_BO_ERRORS } from '../../simulator/src/backoffice/errors';
import { SIM_NET_ERRORS } from '../../simulator/src/network/errors';
import { SIM_WORLD_ERRORS } from '../../simulator/src/world/config';
import { RELAY_CONFIG_ERRORS } from '../../relay/src/config/errors';
import { RELAY_HEALTH_ERRORS } from '../../relay/src/health/errors';
import { RELAY_EGRESS_ERRORS } from '../../relay/src/connectivity/errors';
import { RELAY_SESSION_ERRORS, RELAY_WORK_ERRORS } from '../../relay/src/messaging/errors';
import { SIM_TENANT_ERRORS } from '../../simulator/src/cloud/tenant/errors';
import { REPORT_ERRORS } from '../../reports/src/errors';
import { SUITE_EVIDENCE_ERRORS } from '../../suites/lib/evidence';
import { SUITE_SECRETS_ERRORS } from '../../suites/lib/secrets-scan';
import { RUN_ERRORS } from '../../suites/runner/errors';
import { BENCH_ERRORS } from '../../suites/bench/errors';
import { SCENARIO_ERRORS } from '../../suites/fault/lib/errors';

export const ERROR_FAMILIES: readonly ErrorFamily<string>[] = [
  HANDSHAKE_ERRORS,
  ENVELOPE_ERRORS,
  SAS_ERRORS,
  RANGES_ERRORS,
  FIREWALL_ERRORS,
  PREFLIGHT_ERRORS,
  RELAY_HC_ERRORS,
  RELAY_CONFIG_ERRORS,
  RELAY_HEALTH_ERRORS,
  RELAY_ROUTE_ERRORS,
  RELAY_CONTENT_ERRORS,
  RELAY_STORE_ERRORS,
  RELAY_BACKOFFICE_ERRORS,
  RELAY_FILEDROP_ERRORS,
  RELAY_AV_ERRORS,
  RELAY_EGRESS_ERRORS,
  RELAY_SESSION_ERRORS,
  RELAY_WORK_ERRORS,
  SIM_TENANT_ERRORS,
  SIM_SB_ERRORS,
  SIM_CONTROL_ERRORS,
  SIM_AMQP_ERRORS,
  SIM_HC_ERRORS,
  SIM_BO_ERRORS,
  SIM_NET_ERRORS,
  SIM_WORLD_ERRORS,
  SUITE_EVIDENCE_ERRORS,
  SUITE_SECRETS_ERRORS,
  REPORT_ERRORS,
  RUN_ERRORS,
  BENCH_ERRORS,
  SCENARIO_ERRORS,
];

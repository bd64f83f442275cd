// The typed refusals of the report writers. In: a code of the `report` family, a message and
// safe details (a file path, an errno, a JSON path, a version). Out: a ReportError. Reports
// are files, never wire answers, so no code carries an HTTP status or AMQP condition.
import { defineErrors, familyError } from '../../relay/src/protocol/errors';

export const REPORT_ERRORS = defineErrors('report', {
  REPORT_E_FORMAT: {
    summary:
      'The text is not a relaycheck report: not JSON, not an object, or its `schema` field is not "relaycheck-report".',
  },
  REPORT_E_VERSION: {
    summary:
      'The report is of a schema version this relaycheck does not read (a newer one, or none); the message names the version found.',
  },
  REPORT_E_SCHEMA: {
    summary:
      'The report names version 1 but does not have its shape: a missing, mistyped or unknown field, or counts and verdict that disagree with its cases (details.path names the field).',
  },
  REPORT_E_INPUT: {
    summary:
      'The report builder was given unusable run data (a duplicated case id, an end before the start, a negative or non-finite duration, a bad timestamp) or benchmark data that breaks the schema of the bench section (details.path names the field).',
  },
  REPORT_E_WRITE: {
    summary:
      'A report file or the reports/latest link could not be written (details.path and details.errno say which and why); files already renamed into place stay whole.',
  },
  REPORT_E_READ: {
    summary:
      'A report.json could not be read: missing, a directory, or no permission (details.path and details.errno).',
  },
});

export type ReportErrorCode = (typeof REPORT_ERRORS.codes)[number];

export class ReportError extends familyError(REPORT_ERRORS) {}

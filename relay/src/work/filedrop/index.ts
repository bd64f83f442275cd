// The relay's atomic file drop: online forms' PDFs and evidence into per-form-type folders. In: a
// validated config (form type -> absolute folder) and drops (form type, idempotency key, body).
// Out: receipts, typed errors with their settlement (dead-letter or abandon), `relay:filedrop` events.
export {
  FILEDROP_ABANDON_CODES,
  FILEDROP_DEAD_LETTER_CODES,
  RELAY_FILEDROP_ERRORS,
  RelayFileDropError,
  fileDropSettlementOf,
  isFileDropError,
  isPermanentDropError,
  type RelayFileDropErrorCode,
} from './errors';
export {
  FORM_TYPE,
  MAX_FORM_TYPES,
  parseFileDropConfig,
  type FileDropConfig,
  type FileDropInput,
} from './config';
export { FILEDROP_CHANNELS, type DropEvent, type DropOutcome } from './events';
export {
  SWEEP_MAX_ENTRIES,
  TEMP_NAME,
  createFileDrop,
  fileDropName,
  type DropInput,
  type DropReceipt,
  type FileDrop,
  type FileDropDeps,
} from './drop';

// The relay's antivirus scan through clamd (ClamAV's daemon, INSTREAM over a unix socket or
// loopback TCP). In: a validated config and bodies to scan. Out: clean / unscanned outcomes,
// typed RelayAvErrors (infected, unavailable, unscannable, aborted, body), `relay:av` events.
export {
  AV_DEAD_LETTER_CODES,
  RELAY_AV_ERRORS,
  RelayAvError,
  SIGNATURE_CLIP,
  clipSignature,
  isRelayAvError,
  type RelayAvErrorCode,
} from './errors';
export {
  MAX_SCAN_BYTES,
  MAX_SOCKET_PATH,
  MAX_TIMEOUT_MS,
  antivirusConfigSchema,
  isLoopbackHost,
  parseAntivirusConfig,
  type AntivirusConfig,
  type AntivirusInput,
  type ClamdTarget,
} from './config';
export { AV_CHANNELS, type AvEvent, type AvVerdict } from './events';
export { CHUNK_BYTES, parseScanReply, type ScanReply } from './clamd';
export {
  createScanner,
  type ScanBody,
  type ScanOptions,
  type ScanOutcome,
  type Scanner,
} from './scanner';

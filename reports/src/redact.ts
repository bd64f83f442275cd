// Keeps secrets out of reports. In: free text from test output or a command line. Out: the
// same text with credential-shaped runs replaced by [redacted]: SAS tokens, sig= values, keys
// in connection strings, Authorization and bearer values, secret-named JSON fields, and
// base64 strings of 32 bytes (the shape of every key relaycheck generates). Pure.

export const REDACTED = '[redacted]';

/** base64 / base64url alphabet characters: a key is a whole run of these, never part of one. */
const B64 = 'A-Za-z0-9+/_\\-';
/** One base64url character. */
const URL = '[A-Za-z0-9_-]';

const RULES: readonly (readonly [RegExp, string])[] = [
  // A whole SAS token, in clear or URL-encoded ("SharedAccessSignature%20sr%3D...").
  [/SharedAccessSignature(?:\s+|%20|\+)[^\s"'<>]+/gi, `SharedAccessSignature ${REDACTED}`],
  // A signature anywhere else: a query string, a token split across fields, URL-encoded.
  [/\b(sig|signature)(=|%3D)[^&\s"'<>;,]+/gi, `$1$2${REDACTED}`],
  // Connection strings: SharedAccessKey=...; (and the key of a shared access policy).
  [
    /\b(SharedAccessKey|AccountKey|PrimaryKey|SecondaryKey)(\s*[=:]\s*)[^;\s"'<>,]+/gi,
    `$1$2${REDACTED}`,
  ],
  // HTTP authorization values, and bearer tokens quoted elsewhere.
  [/\b(Authorization\s*[:=]\s*)("?)[^\s"]+(?:\s+[^\s",;]+)?/gi, `$1$2${REDACTED}`],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]{20,}/g, `Bearer ${REDACTED}`],
  // Secret-named JSON fields: "key": "...", "secret": "...", "sig": "...".
  [
    /"(sig|signature|key|secret|password|token|sharedAccessKey|primaryKey|secondaryKey)"(\s*:\s*)"[^"]*"/gi,
    `"$1"$2"${REDACTED}"`,
  ],
  // 32 bytes of base64 with padding: 43 characters and '=' (the padding ends it, whatever
  // follows).
  [new RegExp(`(?<![${B64}])[A-Za-z0-9+/]{43}=(?!=)`, 'g'), REDACTED],
  // 32 bytes of base64url (no padding) that looks random: both letter cases (a random key
  // lacks one with odds of about 1 in 5 billion; requiring a digit too would miss 1 in 150).
  [
    new RegExp(
      `(?<![${B64}=])(?=${URL}{0,42}[a-z])(?=${URL}{0,42}[A-Z])${URL}{43}(?![${B64}=])`,
      'g',
    ),
    REDACTED,
  ],
];

/** `text` with every credential-shaped run replaced by [redacted]. Idempotent. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}

// The names the PDF check acts on, and the policy that decides what each one costs. In: decoded
// name tokens (from the body, from object streams, from objects hidden in stream data) with an
// offset, and the policy (`actions`, `embeddedFiles`: 'refuse' | 'flag'). Out: a refusal (rule
// 'actions' or 'embedded', details.finding naming what was found) or a finding remembered for
// the summary (sorted, unique).
//
// Which names, and why:
// - Refused under actions: 'refuse' (flagged under 'flag'): /JavaScript and /JS (scripts),
//   /Launch (runs a program or opens a file), /SubmitForm (sends form data to a URL),
//   /ImportData (reads a file into the form), /GoToE and /GoToR (open an embedded or another
//   file; a remote path can leak the user's NTLM hash), /RichMedia and /RichMediaExecute
//   (Flash and video players, a long history of exploits), /XFA (XML forms carry their own
//   scripts), /3D (3D annotations carry scripts and a fragile parser).
// - Flagged only, never refused by themselves: /OpenAction and /AA say WHEN an action runs
//   (on opening, on a page or field event), not what it does: whatever dangerous thing it does
//   is one of the names above and is refused on its own, so an OpenAction that is a /GoTo to a
//   page — what many ordinary writers emit — passes with the finding 'open-action'. /URI is a
//   link: ordinary letters carry them and a viewer asks before following one; 'uri'.
// - Refused under embeddedFiles: 'refuse' (flagged under 'flag'): /EmbeddedFile (the stream
//   type), /EmbeddedFiles (the name tree) -> 'embedded-file'; /FileAttachment (the annotation)
//   -> 'file-attachment'.
// Names are matched whole and case-sensitively, as viewers match them, after `#xx` decoding.
import type { ErrorDetails } from '../../protocol/errors';
import type { RelayContentError } from './errors';

export type PdfPolicyChoice = 'refuse' | 'flag';

export interface PdfPolicy {
  readonly actions: PdfPolicyChoice;
  readonly embeddedFiles: PdfPolicyChoice;
}

/** Everything a summary's `findings` may hold. */
export const PDF_FINDINGS = [
  '3d',
  'additional-actions',
  'bad-stream',
  'embedded-file',
  'file-attachment',
  'goto-embedded',
  'goto-remote',
  'hidden-object',
  'import-data',
  'javascript',
  'launch',
  'open-action',
  'rich-media',
  'submit-form',
  'uri',
  'xfa',
] as const;

export type PdfFinding = (typeof PDF_FINDINGS)[number];

type NameKind = 'action' | 'embedded' | 'notice';

/** Name (decoded, without its slash) -> the finding and its kind. */
export const PDF_NAMES: ReadonlyMap<
  string,
  { readonly finding: PdfFinding; readonly kind: NameKind }
> = new Map<string, { finding: PdfFinding; kind: NameKind }>([
  ['JavaScript', { finding: 'javascript', kind: 'action' }],
  ['JS', { finding: 'javascript', kind: 'action' }],
  ['Launch', { finding: 'launch', kind: 'action' }],
  ['SubmitForm', { finding: 'submit-form', kind: 'action' }],
  ['ImportData', { finding: 'import-data', kind: 'action' }],
  ['GoToE', { finding: 'goto-embedded', kind: 'action' }],
  ['GoToR', { finding: 'goto-remote', kind: 'action' }],
  ['RichMedia', { finding: 'rich-media', kind: 'action' }],
  ['RichMediaExecute', { finding: 'rich-media', kind: 'action' }],
  ['XFA', { finding: 'xfa', kind: 'action' }],
  ['3D', { finding: '3d', kind: 'action' }],
  ['OpenAction', { finding: 'open-action', kind: 'notice' }],
  ['AA', { finding: 'additional-actions', kind: 'notice' }],
  ['URI', { finding: 'uri', kind: 'notice' }],
  ['EmbeddedFile', { finding: 'embedded-file', kind: 'embedded' }],
  ['EmbeddedFiles', { finding: 'embedded-file', kind: 'embedded' }],
  ['FileAttachment', { finding: 'file-attachment', kind: 'embedded' }],
]);

/** 1 at (length << 8 | first char) of each name above: most names are passed over by it. */
const CANDIDATE: Uint8Array = (() => {
  const t = new Uint8Array(256 * 256);
  for (const name of PDF_NAMES.keys()) t[(name.length << 8) | name.charCodeAt(0)] = 1;
  return t;
})();

export type Refuse = (rule: string, why: string, details?: ErrorDetails) => RelayContentError;

/** The findings of one body, and the policy's verdict on each name. */
export class PdfFindings {
  readonly #found = new Set<PdfFinding>();
  readonly #policy: PdfPolicy;
  readonly #refuse: Refuse;

  constructor(policy: PdfPolicy, refuse: Refuse) {
    this.#policy = policy;
    this.#refuse = refuse;
  }

  /** One name token: refused (throws) or remembered, per the policy; others are ignored. */
  name(name: string | undefined, at: number): void {
    const refused = this.verdict(name, at);
    if (refused !== undefined) throw refused;
  }

  /** As name(), but returns the refusal instead of throwing it. */
  verdict(name: string | undefined, at: number): RelayContentError | undefined {
    if (name === undefined || CANDIDATE[(name.length << 8) | (name.charCodeAt(0) & 0xff)] !== 1) {
      return undefined;
    }
    const rule = PDF_NAMES.get(name);
    if (rule === undefined) return undefined;
    const { finding, kind } = rule;
    if (kind === 'action' && this.#policy.actions === 'refuse') {
      return this.#refuse('actions', `an active PDF feature (/${name}) is refused by policy`, {
        finding,
        offset: at,
      });
    }
    if (kind === 'embedded' && this.#policy.embeddedFiles === 'refuse') {
      return this.#refuse('embedded', `an embedded file (/${name}) is refused by policy`, {
        finding,
        offset: at,
      });
    }
    this.#found.add(finding);
    return undefined;
  }

  add(finding: PdfFinding): void {
    this.#found.add(finding);
  }

  /** The findings so far, sorted. */
  list(): readonly PdfFinding[] {
    return Object.freeze([...this.#found].sort());
  }
}

// What a format renders. In: nothing. Out: the RenderedFile shape: one file's text and the
// suffix added to --out (iptables writes "<out>.v4" and "<out>.v6"; the others "<out>").
export interface RenderedFile {
  /** Appended to the --out path: "" for a single file, ".v4" / ".v6" for iptables. */
  readonly suffix: string;
  /** What the file is, for the summary line ("IPv4 rules for iptables-restore"). */
  readonly label?: string;
  readonly text: string;
}

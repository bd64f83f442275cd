// Reading summary.md back in tests. In: a Markdown table row. Out: its cells, split on the
// pipes that are not escaped (an escaped pipe stays inside its cell).
export function cells(line: string): string[] {
  return line
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

// The security part of index.html. In: a report's `security` section (../security.ts). Out:
// HTML: the section "Security": the tally ("N attacks: N refused, N failed, N skipped"), the
// antivirus facts (clamd and its version, the scanner mode, why AV cases were skipped), and one
// table with a row per attack, grouped by area under a header row with the group's tally: the
// case id (linked to its details), the attack, the verdict in words and colour, and its evidence
// (why it failed or was skipped, expected and observed, the telling lines). Every text is
// escaped. Pure.
import {
  SECURITY_VERDICTS,
  SECURITY_VERDICT_MEANING,
  antivirusFacts,
  securityTally,
  type SecurityRow,
  type SecuritySection,
} from '../security';
import { REPORT_OUTCOMES } from '../schema';
import { escapeHtml as h } from './escape';

/** The few rules the security part adds to the page's style sheet. */
export const SECURITY_STYLE = `
table.security td.id { white-space: nowrap; }
table.security tr.group th { background: var(--bg-soft); font-size: 1.02em; }
table.security tr.group .tally { font-weight: 400; color: var(--muted); margin-left: 0.6em; }
table.security td.evidence { font-size: 0.9em; overflow-wrap: anywhere; max-width: 560px; }
table.security td.evidence p { margin: 0 0 4px; }
table.security td.evidence ul { margin: 2px 0 0; padding-left: 1.1em; }
table.security td.evidence code { font-size: 0.95em; }
table.security tr.attack-fail td:first-child, table.security tr.attack-non-strict td:first-child { border-left: 4px solid var(--fail); }
`;

/** An attack's row anchor: `attack-XML-001`. */
export function attackAnchor(id: string): string {
  return `attack-${id}`;
}

function badge(outcome: string, word: string): string {
  return `<span class="outcome ${h(outcome)}">${h(word)}</span>`;
}

function evidenceCell(r: SecurityRow): string {
  let html = '';
  if (r.reason !== null) html += `<p class="why"><strong>why:</strong> ${h(r.reason)}</p>`;
  if (r.expected !== null) {
    html += `<p class="expected"><strong>expected:</strong> <code>${h(r.expected)}</code></p>`;
  }
  if (r.observed !== null) {
    html += `<p class="observed"><strong>observed:</strong> <code>${h(r.observed)}</code></p>`;
  }
  if (r.evidence.length > 0) {
    html += `<ul class="lines">${r.evidence.map((l) => `<li><code>${h(l)}</code></li>`).join('')}</ul>`;
  }
  return html === '' ? '<span class="note">no evidence recorded beyond the verdict</span>' : html;
}

function attackRow(r: SecurityRow): string {
  return (
    `<tr id="${h(attackAnchor(r.id))}" class="attack-${h(r.outcome)}" data-outcome="${h(r.outcome)}">` +
    `<td class="id"><a href="#case-${h(r.id)}">${h(r.id)}</a></td>` +
    `<td>${h(r.attack)}${r.level === 'should' ? ' <span class="note">(should)</span>' : ''}</td>` +
    `<td>${badge(r.outcome, SECURITY_VERDICTS[r.outcome])}</td>` +
    `<td class="evidence">${evidenceCell(r)}</td></tr>`
  );
}

/** The section "Security" of the page. */
export function securitySection(section: SecuritySection): string {
  let html = '<section id="security" aria-labelledby="security-title">';
  html += '<h2 id="security-title">Security</h2>';
  html += `<p class="tally"><strong>${h(securityTally(section.counts))}.</strong> Each attack is a case of the run; its id opens the case's details.</p>`;
  html +=
    '<p class="note">' +
    REPORT_OUTCOMES.filter((o) => o === 'pass' || section.counts[o] > 0)
      .map((o) => `${badge(o, SECURITY_VERDICTS[o])} ${h(SECURITY_VERDICT_MEANING[o])}`)
      .join('; ') +
    '.</p>';
  if (section.antivirus !== undefined) {
    html += '<h3>Antivirus</h3><dl class="facts" id="security-antivirus">';
    for (const [k, v] of antivirusFacts(section.antivirus)) {
      html += `<dt>${h(k)}</dt><dd>${h(v)}</dd>`;
    }
    html += '</dl>';
  }
  html +=
    '<table id="security-table" class="security"><caption>Every attack the run tried, by group: the verdict, and the evidence (why, expected and observed, the telling lines of what the case recorded).</caption>' +
    '<thead><tr><th scope="col">case</th><th scope="col">attack</th><th scope="col">verdict</th><th scope="col">evidence</th></tr></thead>';
  for (const g of section.groups) {
    html += `<tbody data-area="${h(g.area)}">`;
    html += `<tr class="group"><th scope="colgroup" colspan="4">${h(g.title)}<span class="tally">${h(securityTally(g.counts))}</span></th></tr>`;
    for (const r of section.rows) if (r.area === g.area) html += attackRow(r);
    html += '</tbody>';
  }
  html += '</table>';
  return `${html}</section>`;
}

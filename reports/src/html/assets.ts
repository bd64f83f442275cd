// The fixed parts of index.html: its style sheet and its one small script. In: nothing.
// Out: CSS and JavaScript text to inline. The script only filters the case table (text,
// outcome, area), opens a case's drill-down when a link leads to it and shows the filter
// form; it reads the page and fetches nothing. Without it every row and drill-down is there.

/** The Content-Security-Policy of the page: nothing may be loaded from anywhere. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export const STYLE = `
:root { --pass: #1a7f37; --non-strict: #b35900; --fail: #cf222e; --skip: #6e7781; --info: #0969da;
  --line: #d0d7de; --muted: #57606a; --bg-soft: #f6f8fa; color-scheme: light; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #fff; }
header.page, main, footer { max-width: 1100px; margin: 0 auto; padding: 0 20px; }
header.page { padding-top: 16px; }
header.page p { margin: 0; color: var(--muted); }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.3em; margin: 1.6em 0 0.6em; padding-bottom: 0.2em; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05em; margin: 1em 0 0.4em; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 18px; }
a { color: #0550ae; }
.banner { border: 2px solid; border-radius: 8px; padding: 12px 18px; margin: 14px 0; }
.banner.ready { border-color: var(--pass); background: #dafbe1; }
.banner.not-ready { border-color: var(--fail); background: #ffebe9; }
.banner .verdict { font-size: 1.7em; font-weight: 700; margin: 0; }
.banner .headline { margin: 4px 0 8px; font-weight: 600; }
.banner ul { margin: 4px 0 8px; padding-left: 1.3em; }
.banner .reason { color: #3d444d; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
thead th { background: var(--bg-soft); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.matrix td.count { text-align: right; font-variant-numeric: tabular-nums; }
.matrix td.count a { display: block; text-decoration: none; color: inherit; }
.matrix td.count .word { font-size: 0.8em; margin-left: 0.3em; }
.matrix td.zero { color: #8c959f; }
.matrix td.nz-pass { background: #dafbe1; } .matrix td.nz-non-strict { background: #fff1e5; }
.matrix td.nz-fail { background: #ffebe9; font-weight: 700; } .matrix td.nz-skip { background: #eaeef2; }
.matrix td.nz-info { background: #ddf4ff; }
.matrix tr.total th, .matrix tr.total td { font-weight: 700; border-top: 2px solid #8c959f; }
.outcome { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 0.85em; font-weight: 600; color: #fff; white-space: nowrap; }
.outcome.pass { background: var(--pass); } .outcome.non-strict { background: var(--non-strict); }
.outcome.fail { background: var(--fail); } .outcome.skip { background: var(--skip); }
.outcome.info { background: var(--info); }
.filter { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; padding: 8px 10px; background: var(--bg-soft); border: 1px solid var(--line); border-radius: 6px; }
.filter fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: 10px; flex-wrap: wrap; }
.filter legend { float: left; margin-right: 6px; font-weight: 600; }
.filter input[type="search"] { min-width: 240px; padding: 3px 6px; }
#filter-status { color: var(--muted); margin: 4px 0; }
.cases td.reason { max-width: 420px; overflow-wrap: anywhere; }
.cases td.id { white-space: nowrap; }
details.case { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0; padding: 0 12px; }
details.case[open] { padding-bottom: 10px; }
details.case > summary { cursor: pointer; padding: 6px 0; font-weight: 600; }
details.case:target { outline: 3px solid #54aeff; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0; }
dl.facts dt { font-weight: 600; color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { background: var(--bg-soft); border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; font-size: 0.9em; }
.note { color: var(--muted); font-style: italic; }
table.assertions pre, table.events pre { margin: 0; }
table.assertions pre.diag { margin-top: 4px; color: #3d444d; }
table.assertions tr.failed td:first-child { border-left: 4px solid var(--fail); }
table.assertions td.at code { font-size: 0.85em; overflow-wrap: anywhere; }
table.events { font-size: 0.9em; }
table.events td { padding: 2px 6px; overflow-wrap: anywhere; }
table.events td:first-child { white-space: nowrap; }
table.events .fields { display: block; color: var(--muted); font-family: ui-monospace, monospace; font-size: 0.9em; }
table.events tr.gap td { text-align: center; }
details.more { margin: 6px 0; }
details.more > summary { cursor: pointer; color: #0550ae; }
.case-charts figure { margin: 8px 0 14px; max-width: 760px; }
figure { margin: 12px 0 20px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.9em; }
footer { color: var(--muted); font-size: 0.85em; margin-top: 30px; padding-bottom: 30px; }
`;

/** The filter and drill-down script (ES2017, no modules, no network). */
export const SCRIPT = `
(function () {
  'use strict';
  var form = document.getElementById('case-filter');
  var table = document.getElementById('case-table');
  if (!form || !table) return;
  var text = document.getElementById('filter-text');
  var area = document.getElementById('filter-area');
  var status = document.getElementById('filter-status');
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="outcome"]'));
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  function apply() {
    var query = text.value.trim().toLowerCase();
    var wanted = {};
    boxes.forEach(function (b) { wanted[b.value] = b.checked; });
    var shown = 0;
    rows.forEach(function (row) {
      var ok = wanted[row.getAttribute('data-outcome')] === true &&
        (area.value === '' || row.getAttribute('data-area') === area.value) &&
        (query === '' || row.getAttribute('data-search').indexOf(query) !== -1);
      row.hidden = !ok;
      if (ok) shown += 1;
    });
    status.textContent = shown === rows.length
      ? 'All ' + rows.length + ' cases shown.'
      : shown + ' of ' + rows.length + ' cases shown.';
  }
  function openCase(id) {
    var target = document.getElementById(id);
    if (target && target.tagName === 'DETAILS') target.open = true;
  }
  function openFromHash() {
    var id = '';
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    if (id.indexOf('case-') === 0) openCase(id);
  }
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (e) { e.preventDefault(); });
  form.addEventListener('reset', function () { setTimeout(apply, 0); });
  document.addEventListener('click', function (e) {
    var link = e.target instanceof Element ? e.target.closest('a') : null;
    if (!link) return;
    var href = link.getAttribute('href') || '';
    if (href.indexOf('#case-') === 0) openCase(href.slice(1));
    if (link.hasAttribute('data-filter-outcome')) {
      var outcome = link.getAttribute('data-filter-outcome');
      boxes.forEach(function (b) { b.checked = outcome === '' || b.value === outcome; });
      area.value = link.getAttribute('data-filter-area') || '';
      text.value = '';
      apply();
    }
  });
  window.addEventListener('hashchange', openFromHash);
  form.hidden = false;
  apply();
  openFromHash();
})();
`;

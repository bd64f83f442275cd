// Deliberately broken relays, one per fault a scenario names (docs/scenarios.md, "Proving a
// scenario"). In: the files of ./defects/ (one defect each: its description and its patches:
// a relay module matched by path, and a function that changes that module's exports). Out: the
// defects by name (the file name). Each is the smallest change that brings back one fault a
// customer reported; a scenario that still passes with it could not catch that fault. Loaded
// into a relay child by ./relay-preload.js, and read by defects-list.ts for their names.
'use strict';
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const DIR = join(__dirname, 'defects');
const DEFECTS = {};
for (const file of readdirSync(DIR).sort()) {
  if (file.endsWith('.js')) DEFECTS[file.slice(0, -3)] = require(join(DIR, file));
}

module.exports = { DEFECTS };

// Loaded with `node --require` into a relay child of a scenario run (never into a relay a user
// runs). In: RELAYCHECK_CLOCK_OFFSET_MS (the relay server's clock is this far off: Date.now and
// new Date() move, timers do not), RELAYCHECK_DEFECT (the name of a deliberate defect from
// ./defects.js, to prove a scenario catches the fault it names). Out: the patched process.
// Plain JavaScript: it runs before the relay's own loader (ts-node or dist/).
'use strict';

const offset = Number(process.env.RELAYCHECK_CLOCK_OFFSET_MS ?? '0');
if (Number.isFinite(offset) && offset !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + offset);
      else super(...args);
    }
    static now() {
      return realNow() + offset;
    }
  }
  globalThis.Date = SkewedDate;
}

const defectName = process.env.RELAYCHECK_DEFECT;
if (defectName !== undefined && defectName !== '') {
  const { DEFECTS } = require('./defects.js');
  const defect = DEFECTS[defectName];
  if (defect === undefined) {
    process.stderr.write(`relay-preload: no defect ${defectName}\n`);
    process.exit(70);
  }
  const Module = require('node:module');
  const originalLoad = Module._load;
  const patched = new Set();
  Module._load = function load(request, parent, isMain) {
    const exports = originalLoad.call(this, request, parent, isMain);
    let file;
    try {
      file = Module._resolveFilename(request, parent, isMain);
    } catch {
      return exports;
    }
    for (const [i, p] of defect.patches.entries()) {
      if (!patched.has(i) && p.module.test(file.replace(/\\/g, '/'))) {
        patched.add(i);
        p.patch(exports);
        process.stderr.write(`relay-preload: defect ${defectName} patched ${file}\n`);
      }
    }
    return exports;
  };
}

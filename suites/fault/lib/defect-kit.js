// What the deliberate defects of ./defects/ share. In: a relay module's path under relay/src.
// Out: the pattern that matches it from the sources (ts-node) or from dist/ (compiled).
'use strict';

/** A relay source module, from the sources (.ts) or from dist/ (.js). */
function relayModule(path) {
  return new RegExp(`/relay/src/${path}\\.(ts|js)$`);
}

module.exports = { relayModule };

#!/usr/bin/env node
// The relaycheck command. In: argv. Out: the exit code of the chosen sub-command.
// Loads the TypeScript sources through ts-node (transpile only: `npm test` type-checks).
'use strict';
const path = require('node:path');

require('ts-node').register({
  transpileOnly: true,
  project: path.join(__dirname, '..', 'tsconfig.json'),
});
require('./src/main')
  .main(process.argv)
  .then((code) => {
    process.exitCode = code;
  });

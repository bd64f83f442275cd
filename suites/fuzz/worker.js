// Worker-thread entry of `npm run fuzz`: registers ts-node, then runs one fuzz target.
'use strict';
const path = require('node:path');

require('ts-node').register({
  transpileOnly: true,
  project: path.join(__dirname, '..', '..', 'tsconfig.json'),
});
require('./worker-main');

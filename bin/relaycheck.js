#!/usr/bin/env node
// The relaycheck command. In: argv. Out: the exit code of the chosen sub-command.
// Loads the TypeScript sources through ts-node (transpile only: `npm test` type-checks),
// except the long-running processes: `relaycheck sim` (whose memory is a published figure)
// and `relaycheck relay` run the compiled JavaScript of dist/ when that is up to date (`npm
// ci` builds it); the simulator also runs with a small V8 young generation (SIM_NODE_FLAGS);
// see docs/benchmarks.md. A stale or missing dist/ falls back to ts-node, never to old code.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const { spawn } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
/** V8 flags of the simulator process: 2 MB semi-spaces instead of 16, and V8's memory-over-speed mode. */
const SIM_NODE_FLAGS = ['--max-semi-space-size=2', '--optimize-for-size'];
const COMPILED_MAIN = path.join(ROOT, 'dist', 'bin', 'src', 'main.js');
const SOURCE_DIRS = ['bin/src', 'relay/src', 'simulator/src', 'suites'];

/** The newest modification time of any .ts file under `dir` (0 when there is none). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when dist/ holds a build at least as new as every TypeScript source. */
function compiledIsFresh() {
  let built;
  try {
    built = fs.statSync(COMPILED_MAIN).mtimeMs;
  } catch {
    return false;
  }
  return SOURCE_DIRS.every((dir) => newestSource(path.join(ROOT, dir)) <= built);
}

/** Runs this script again with the simulator's V8 flags; signals pass through to it. */
function reexecWithFlags() {
  const child = spawn(process.execPath, [...SIM_NODE_FLAGS, __filename, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal === 'SIGINT' ? 130 : 143);
    if (child.connected) child.disconnect();
  });
}

const isSim = process.argv[2] === 'sim';
const hasFlags = SIM_NODE_FLAGS.every((f) => process.execArgv.includes(f));

if (isSim && !hasFlags) {
  reexecWithFlags();
} else {
  if (isSim && process.send !== undefined) {
    // Started by reexecWithFlags: when that parent goes away (even by SIGKILL), stop too.
    process.on('disconnect', () => {
      process.kill(process.pid, 'SIGTERM');
    });
    process.channel?.unref();
  }
  let main;
  if ((isSim || process.argv[2] === 'relay') && compiledIsFresh()) {
    main = require(COMPILED_MAIN);
  } else {
    require('ts-node').register({
      transpileOnly: true,
      project: path.join(ROOT, 'tsconfig.json'),
    });
    main = require('./src/main');
  }
  main.main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
